// `run kafka consumer where ip, port, reset = latest|earliest, threads, topic = (...)`
// (EdgeLake member_cmd.py L9199-9255; same topic syntax as `run msg client`). EdgeLake's `threads`
// (default 3) sized its worker pool; here it is how many partitions are processed concurrently.
// edgelake-rt adds the consumer group, its session timeout and how often offsets are committed.
import {
  duration,
  int,
  nested,
  oneOf,
  port,
  repeated,
  required,
  schema,
  str,
  type Infer,
} from '../../runtime/config/schema.js';
import { ConfigError } from '../../base/errors.js';
import { topicSchema } from '../_shared/topic.js';

const shape = {
  ip: required(str()),
  port: required(port()),
  reset: oneOf(['latest', 'earliest'] as const, 'latest'),
  threads: int(3, { min: 1, max: 16 }),
  group_id: str(undefined, { doc: 'consumer group (default edgelake-<node name>)' }),
  topic: required(repeated(nested(topicSchema))),
  session_timeout: duration(30, { doc: 'consumer group session timeout (a dead member is replaced after it)' }),
  commit_interval: duration(1, {
    doc: 'offsets of durable records are committed at most this often (0: after every batch); re-reads after a crash are skipped by the journal marks',
  }),
};
export const kafkaConsumerSchema = schema('kafka consumer', shape, {
  refine(cfg, path) {
    if (cfg.session_timeout < 1)
      throw new ConfigError(`${path}.session_timeout: expected at least 1 second (got ${cfg.session_timeout})`);
  },
});
export type KafkaConsumerConfig = Infer<typeof shape>;

/**
 * The config as the worker receives it: already parsed once by the node, so each topic carries its
 * `column.*` keys under `extra`. Putting them back lets the same schema parse it again.
 */
export function parseKafkaConsumerConfig(raw: unknown): KafkaConsumerConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return kafkaConsumerSchema.parse(raw);
  const r = raw as Record<string, unknown>;
  const flat = (t: unknown): unknown => {
    if (typeof t !== 'object' || t === null || Array.isArray(t) || !('extra' in t)) return t;
    const { extra, ...rest } = t as Record<string, unknown>;
    return { ...rest, ...(extra as Record<string, unknown>) };
  };
  const topic = Array.isArray(r['topic']) ? r['topic'].map(flat) : flat(r['topic']);
  return kafkaConsumerSchema.parse(r['topic'] === undefined ? r : { ...r, topic });
}
