// One `topic = (...)` clause of `run msg client` / `run kafka consumer` (EdgeLake mqtt_client.py
// L2177-2373): name, qos, dbms, table, policy (repeated), persist, dynamic, and the column mappings
//   column.<name>.<str|int|float|timestamp|bool> = "bring [path]" | now | <constant>
//   column.<name> = (type = <t> | "bring .." and value = "bring .." | now | <constant> [and optional = true])
// which are kept raw here and compiled by protocols/mapping.
import { bool, int, repeated, required, schema, str, type Infer } from '../../runtime/config/schema.js';

const shape = {
  name: required(str()),
  qos: int(undefined, { min: 0, max: 2 }),
  dbms: str(),
  table: str(),
  // EdgeLake takes a list (mqtt_client.py L2034 `topic["policy"]` must be a list): each maps the message in turn.
  policy: repeated(str(undefined, { doc: 'id of a mapping policy that maps this topic; may repeat' })),
  persist: bool(false),
  dynamic: bool(false),
};
export const topicSchema = schema('topic', shape, { patterns: [/^column\.[^.]+(\.[a-z0-9]+)?$/i] });
export type TopicConfig = Infer<typeof shape> & { extra?: Record<string, unknown> };
