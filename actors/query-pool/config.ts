// The Query Pool's options (node.yaml `services: query_pool:`, `run query pool where ...`, `set query pool <n>`).
import { duration, int, schema, type Infer } from '../../runtime/config/schema.js';
import { DEFAULT_MAX_RESULT_MB, DEFAULT_MAX_TEMP_MB } from '../../storage/dbms/query.js';

const shape = {
  threads: int(3, { min: 1, max: 64 }, { doc: "worker threads, each running one query at a time (EdgeLake's 3)" }),
  timeout: duration(30, {
    doc: 'how long a query may run before it is interrupted (per call: `sql <dbms> timeout = <s>`)',
  }),
  max_result_mb: int(
    DEFAULT_MAX_RESULT_MB,
    { min: 1, max: 65536 },
    { doc: 'largest result a query may return (its rows as printed); a larger one fails with error 9' },
  ),
  max_temp_mb: int(
    DEFAULT_MAX_TEMP_MB,
    { min: 1, max: 1048576 },
    {
      doc: "disk a query's temporary files (sorts, joins, materialized results) may take; past it the query is interrupted with error 9",
    },
  ),
};
export const queryPoolSchema = schema('query pool', shape);
export type QueryPoolConfig = Infer<typeof shape>;

const workerShape = { ...shape, index: int(1) };
export const queryWorkerSchema = schema('query worker', workerShape);
export type QueryWorkerConfig = Infer<typeof workerShape>;
