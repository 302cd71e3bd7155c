// The message broker actor's mailbox.
import type { BrokerRoutes } from '../_shared/msg-routes.js';
import { actorAddress, type Ask } from '../../runtime/address.js';
import type { AuthNotice } from '../../node/notices.js';

export type { LocalRoutes } from '../_shared/msg-routes.js';

export type BrokerIn =
  | Ask<{ type: 'broker.info' }, BrokerInfo>
  /** `get local broker`: the event counters as EdgeLake's table. */
  | Ask<{ type: 'broker.stats' }, string>
  /** The `broker = local` msg clients changed (run / exit msg client). */
  | BrokerRoutes
  /** The user table changed (node/auth/store.ts). */
  | AuthNotice;

export const MESSAGE_BROKER = actorAddress<BrokerIn>('message-broker');

export interface BrokerInfo {
  address: string;
  port: number;
  threads: number;
  clients: number;
  /** Publishes handed to msg clients, and waiting for their answer. */
  handedOver: number;
  inFlight: number;
}
