// `run data consumer where start_date = -3d [and end_date = ..] [and mode = active|suspend]` (seed 003).
// Dates: `YY-MM-DD HH:MM:SS` or an offset back from now (`-30d`, `-2h`).
import { oneOf, required, schema, str, type Infer } from '../../runtime/config/schema.js';

const shape = {
  start_date: required(str()),
  end_date: str(),
  mode: oneOf(['active', 'suspend'] as const, 'active'),
};
export const dataConsumerSchema = schema('data consumer', shape);
export type DataConsumerConfig = Infer<typeof shape>;
