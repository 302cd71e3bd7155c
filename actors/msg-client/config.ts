// `run msg client where broker, port, user, password, log, log_error, only_log, user-agent, topic = (...)`
// and the rest of EdgeLake's keys (member_cmd.py L9066-9154). `broker` is a host, `local` (this node's
// message broker) or `rest` (REST POSTs with `command: data`). EdgeLake refuses a top-level `qos`; here it
// is the default QoS of the client's topics (the issue asks for it), a topic's own `qos` wins.
// edgelake-rt adds `clean` (MQTT clean session; `false` with a fixed `client_id` keeps the session on the
// broker, so QoS 1 messages published while the node is down or unacknowledged at a crash are redelivered).
import { bool, int, nested, port, repeated, required, schema, str, type Infer } from '../../runtime/config/schema.js';
import { ConfigError } from '../../base/errors.js';
import { topicSchema } from '../_shared/topic.js';
import { Status } from '../../base/status.js';

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
  clean: bool(true, {
    doc: 'MQTT clean session; false (with client_id) keeps the session and its queued messages on the broker',
  }),
  topic: required(repeated(nested(topicSchema))),
};
export const msgClientSchema = schema('msg client', shape, {
  refine(v, path) {
    if (!v.topic || v.topic.length === 0)
      throw new ConfigError(`${path}.topic: required (one topic = (...) per topic)`, { code: Status.MqttInfo });
    if (v.broker === 'rest' && !v['user-agent'])
      throw new ConfigError(`${path}.user-agent: required with broker = rest`, { code: Status.MqttInfo });
  },
});
export type MsgClientConfig = Infer<typeof shape>;

/**
 * Validates the config a worker receives: the node hands over the parsed config, in which each topic's
 * `column.*` members sit under `extra`; they go back to their keys so the same schema checks them again.
 */
export function parseWorkerConfig(raw: unknown): MsgClientConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return msgClientSchema.parse(raw);
  const r = raw as Record<string, unknown>;
  const flat = (t: unknown): unknown => {
    if (typeof t !== 'object' || t === null || Array.isArray(t)) return t;
    const { extra, ...rest } = t as Record<string, unknown>;
    return typeof extra === 'object' && extra !== null ? { ...rest, ...extra } : t;
  };
  const topic = Array.isArray(r['topic']) ? r['topic'].map(flat) : flat(r['topic']);
  return msgClientSchema.parse(r['topic'] === undefined ? r : { ...r, topic });
}
