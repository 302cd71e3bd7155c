// `run msg client where broker, port, user, password, log, log_error, only_log, user-agent, topic = (...)`
// and the rest of EdgeLake's keys (member_cmd.py L9066-9154). `broker` is a host, `local` (this node's
// message broker) or `rest` (REST POSTs with `command: data`). EdgeLake refuses a top-level `qos`; here it
// is the default QoS of the client's topics (the issue asks for it), a topic's own `qos` wins.
import { bool, int, nested, port, repeated, required, schema, str, type Infer } from '../../runtime/config/schema.js';
import { ConfigError } from '../../runtime/errors.js';
import { topicSchema } from './topic.js';

const shape = {
  broker: required(str()),
  port: port(1883),
  user: str(),
  password: str(undefined, { secret: true }),
  log: bool(false),
  log_error: bool(false),
  only_log: bool(false),
  'user-agent': str(),
  client_id: str(),
  project_id: str(),
  private_key: str(undefined, { secret: true }),
  location: str(),
  prep_dir: str(),
  watch_dir: str(),
  err_dir: str(),
  blobs_dir: str(),
  bwatch_dir: str(),
  master_node: str(),
  blockchain: str(),
  qos: int(undefined, { min: 0, max: 2 }),
  topic: repeated(nested(topicSchema)),
};
export const msgClientSchema = schema('msg client', shape, {
  refine(v, path) {
    if (v.broker === 'rest' && !v['user-agent'])
      throw new ConfigError(`${path}.user-agent: required with broker = rest`);
  },
});
export type MsgClientConfig = Infer<typeof shape>;
