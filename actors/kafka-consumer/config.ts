// `run kafka consumer where ip, port, reset = latest|earliest, threads, topic = (...)`
// (EdgeLake member_cmd.py L9199-9255; same topic syntax as `run msg client`).
import { int, nested, oneOf, port, repeated, required, schema, str, type Infer } from '../../runtime/config/schema.js';
import { topicSchema } from '../msg-client/topic.js';

const shape = {
  ip: required(str()),
  port: required(port()),
  reset: oneOf(['latest', 'earliest'] as const, 'latest'),
  threads: int(1, { min: 1, max: 16 }),
  group_id: str(undefined, { doc: 'consumer group (default edgelake-<node name>)' }),
  topic: repeated(nested(topicSchema)),
};
export const kafkaConsumerSchema = schema('kafka consumer', shape);
export type KafkaConsumerConfig = Infer<typeof shape>;
