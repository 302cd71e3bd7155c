// The Publisher actor's mailbox.
import { actorAddress, type Ask } from '../../runtime/address.js';

export type PublisherTopic = 'files' | 'summary';

export type PublisherIn =
  /** Internal: the watch directory changed, or the periodic scan is due. */
  | { type: 'publisher.scan' }
  /** Internal: the outcome of one file (or of one attempt to deliver it). */
  | { type: 'publisher.result'; dbms: string; table: string; dest: string; error?: string }
  /** Internal: a scan ended with `pending` files still waiting for an operator. */
  | { type: 'publisher.idle'; pending: number }
  | Ask<{ type: 'publisher.stats'; topic: PublisherTopic; format: 'table' | 'json' }, string>;

export const PUBLISHER = actorAddress<PublisherIn>('publisher');
