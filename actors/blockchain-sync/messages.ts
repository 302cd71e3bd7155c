// The Blockchain Sync actor's mailbox.
export type SyncIn =
  /** Internal: the period elapsed (or a forced sync is due). */
  | { type: 'sync.tick' }
  /** `run blockchain sync` (no options), a deletion: sync within 10 seconds (EdgeLake's forced sync). */
  | { type: 'sync.now' }
  /** Internal: the request to the master was sent, or could not be. */
  | { type: 'sync.sent'; error?: string }
  | { type: 'sync.info' };

/** What `get synchronizer` and `get processes` show of the running synchronizer. */
export interface SyncInfo {
  source: string;
  connection: string;
  /** Seconds between syncs. */
  time: number;
  /** Requests made to the master (EdgeLake's counter of sync loops). */
  calls: number;
  /** Why the last request failed ('' when it was sent). */
  lastError: string;
}
