// The operator actor's mailbox.
import type { DbmsNotice } from '../../node/notices.js';
import { actorAddress, type Ask } from '../../runtime/address.js';

export type OperatorTopic = 'json' | 'sql' | 'inserts' | 'error' | 'summary' | 'config' | 'retry';

export type OperatorIn =
  /** Internal: the streamer's ring has batches (or its wait timed out). */
  | { type: 'operator.drain'; ring: string; hasData: boolean }
  /** Internal: watch-dir files written and quiet (quiet-watch.ts), or a scan of the directory (no paths). */
  | { type: 'operator.file'; paths?: string[] }
  /** Internal: the watch-dir files queued by `operator.file` events, taken together (file-group.ts). */
  | { type: 'operator.files' }
  /** Internal: replay journal entries that never came through a ring. */
  | { type: 'operator.reconcile' }
  /** Internal: a table's ring frames left journal entries behind (apply.ts `leftBehind`): apply them now. */
  | { type: 'operator.catchup'; dbms: string; table: string }
  /** Internal: tables whose retry backoff is over (actors/operator/retry.ts). */
  | { type: 'operator.retry' }
  /** `connect dbms` / `disconnect dbms`. */
  | DbmsNotice
  | Ask<{ type: 'operator.stats'; topics: OperatorTopic[]; format: 'table' | 'json'; nodeName?: string }, string>;

export const OPERATOR = actorAddress<OperatorIn>('operator');
