// The Blockchain Sync actor's mailbox.
import { actorAddress, type Ask } from '../../runtime/address.js';
import type { SyncNow } from '../../node/notices.js';

export type SyncIn =
  /** Internal: the period elapsed (or a forced sync is due). */
  | { type: 'sync.tick' }
  /** `run blockchain sync` (no options), a deletion: sync within 10 seconds (EdgeLake's forced sync). */
  | SyncNow
  /** Internal: the request to the master was sent, or could not be; `seen`: the ledger table's ids (source = dbms). */
  | { type: 'sync.sent'; error?: string; seen?: string[] }
  | Ask<{ type: 'sync.info' }, SyncInfo>;

export const BLOCKCHAIN_SYNC = actorAddress<SyncIn>('blockchain-sync');

/** What `get synchronizer` and `get processes` show of the running synchronizer. */
export interface SyncInfo {
  source: string;
  connection: string;
  /** Seconds between syncs. */
  time: number;
  /** Requests made to the master (EdgeLake's counter of sync loops). */
  calls: number;
  /** Syncs that failed: the request to the master could not be made. */
  failures: number;
  /** Why the last request failed ('' when it was sent). */
  lastError: string;
}
