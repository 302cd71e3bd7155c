// `run scheduler [id]`: id 1 (default) runs user tasks, 0 is the system scheduler; ids above 10 are
// refused (EdgeLake member_cmd.py L11963-11994).
import { int, schema, type Infer } from '../../runtime/config/schema.js';

const shape = {
  id: int(1, { min: 0, max: 10 }),
};
export const schedulerSchema = schema('scheduler', shape);
export type SchedulerConfig = Infer<typeof shape>;
