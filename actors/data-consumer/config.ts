// `run data consumer where start_date = -3d [and end_date = ..] [and mode = active|suspend]` (seed 003), plus
// edgelake-rt's `cluster_id`, `interval` and `max_requests`.
// Dates: `YY-MM-DD HH:MM:SS` or an offset back from now (`-30d`, `-2h`): dates.ts.
import { duration, int, oneOf, required, schema, str, type Infer } from '../../runtime/config/schema.js';

export const CONSUMER_MODES = ['active', 'suspend'] as const;
export type ConsumerMode = (typeof CONSUMER_MODES)[number];

const shape = {
  start_date: required(str(undefined, { doc: 'first file time to check: -3d, YY-MM-DD HH:MM:SS' })),
  end_date: str(undefined, { doc: 'end of the range (default: now, at each check)' }),
  mode: oneOf(CONSUMER_MODES, 'active', { doc: 'suspend: compare, but request no files' }),
  cluster_id: str(undefined, {
    doc: 'cluster policy id (default: the cluster of the operator policy naming this node)',
  }),
  interval: duration(10, { doc: 'time between two checks' }),
  max_requests: int(100, { min: 1, max: 10_000 }, { doc: 'files requested per check at most' }),
};
export const dataConsumerSchema = schema('data consumer', shape);
export type DataConsumerConfig = Infer<typeof shape>;
