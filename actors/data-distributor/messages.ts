// The Distributor actor's mailbox.
import type { Member } from '../_shared/ha-members.js';
import { actorAddress, type Ask } from '../../runtime/address.js';

export type DistributorIn =
  /** Internal: distr_dir changed, or the periodic scan is due. */
  | { type: 'distributor.scan' }
  /** Internal: a member got a file. */
  | { type: 'distributor.sent'; member: Member; file: string; bytes: number }
  /** Internal: sending to a member failed; it is tried again from `retryAt` (epoch ms). */
  | { type: 'distributor.failed'; member: Member; file: string; error: string; retryAt: number }
  /**
   * Internal: a scan ended. `members` and `pending` (files each member still lacks) are the cluster as the scan saw
   * it; `error` says why nothing could be sent (no cluster, no metadata).
   */
  | {
      type: 'distributor.idle';
      cluster: string;
      members: Member[];
      pending: Record<string, number>;
      waiting: number;
      archived: number;
      error?: string;
    }
  | Ask<{ type: 'distributor.stats'; format: 'table' | 'json' }, string>;

export const DATA_DISTRIBUTOR = actorAddress<DistributorIn>('data-distributor');
