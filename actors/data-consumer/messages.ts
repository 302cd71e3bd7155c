// The Consumer actor's mailbox.
import type { ConsumerMode } from './config.js';
import type { Member } from '../_shared/ha-members.js';
import { defineSetting } from '../../node/settings.js';
import { actorAddress, type Ask } from '../../runtime/address.js';

export const CONSUMER_KIND = 'data-consumer';

/** What `set consumer mode` leaves on the node (NodeApi settings), for a restarted worker. */
export interface ConsumerSettings {
  mode: ConsumerMode;
}

export const CONSUMER_SETTING = defineSetting<ConsumerSettings>('data-consumer.mode');

export type ConsumerTopic = 'summary' | 'files';

/** What one check found at one peer (counts are this check's, `requested` and `fetched` are increments). */
export interface PeerReport {
  peer: Member;
  listed: number;
  missing: number;
  requested: number;
  fetched: number;
  errors: number;
  lastError?: string;
}

export type ConsumerIn =
  /** Internal: the periodic check is due. */
  | { type: 'consumer.check' }
  /** Internal: a check ended; `error` says why it could not compare (no cluster, almgm not connected). */
  | { type: 'consumer.checked'; cluster: string; start: string; end: string; peers: PeerReport[]; error?: string }
  | { type: 'consumer.mode'; mode: ConsumerMode }
  | Ask<{ type: 'consumer.stats'; topic: ConsumerTopic; format: 'table' | 'json' }, string>;

export const DATA_CONSUMER = actorAddress<ConsumerIn>(CONSUMER_KIND);
