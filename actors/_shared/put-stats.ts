// The REST server's PUT counters, which the streamer's `get streaming` shows beside its own (EdgeLake keeps
// both in one table). Kept here because both actors speak it.
import { actorAddress, type Ask } from '../../runtime/address.js';

export interface RestPutStats {
  /** Rows accepted by `dbms.table`, written as files (`mode: file`). */
  files: Record<string, { files: number; rows: number }>;
  /** Rows accepted by `dbms.table` into the streamer (`mode: streaming`). */
  streamed: Record<string, { calls: number; rows: number }>;
}

export type PutStatsQuery = Ask<{ type: 'rest.put-stats' }, RestPutStats>;

/** The REST server, as the streamer's commands ask it. */
export const PUT_STATS = actorAddress<PutStatsQuery>('rest-server');
