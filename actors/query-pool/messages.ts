// A query worker's mailbox (`query-pool` is worker 1, `query-worker-<n>` the others). `query.run` is declared in
// node/query.ts, where the node that sends it can see it.
import { actorAddress, type Ask } from '../../runtime/address.js';
import type { QueryConsolidate, QueryRun } from '../../node/query.js';

export type QueryWorkerIn =
  | QueryRun
  /** The second pass of a network query (node/query/network-query.ts `consolidate`). */
  | QueryConsolidate
  /** Counters for `get query pool`. */
  | Ask<{ type: 'query.info' }, QueryWorkerInfo>
  /** Its own: a full collection is due after SQLite queries (release.ts). */
  | { type: 'query.collect' }
  /** Fault injection (supervision tests, drills): throws an untyped error, as a bug in the worker would. */
  | { type: 'query.fault' };

export const queryWorkerIn = (id: string) => actorAddress<QueryWorkerIn>(id);

export interface QueryWorkerInfo {
  id: string;
  handled: number;
  failed: number;
  timedOut: number;
  /** dbms names with an open connection in this worker. */
  open: string[];
}
