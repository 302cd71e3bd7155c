// The operator actor's mailbox.
import type { ConnectionConfig } from '../../storage/dbms/types.js';

export type OperatorTopic = 'json' | 'sql' | 'inserts' | 'error' | 'summary' | 'config';

export type OperatorIn =
  /** Internal: the streamer's ring has batches (or its wait timed out). */
  | { type: 'operator.drain'; ring: string; hasData: boolean }
  /** Internal: a file appeared in the watch directory (or the periodic scan runs: no path). */
  | { type: 'operator.file'; path?: string }
  /** Internal: replay journal entries that never came through a ring. */
  | { type: 'operator.reconcile' }
  | { type: 'operator.dbms'; name: string; config: ConnectionConfig }
  | { type: 'operator.dbms.disconnect'; name: string }
  | { type: 'operator.stats'; topics: OperatorTopic[]; format: 'table' | 'json' };
