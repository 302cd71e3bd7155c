// The message broker actor's mailbox.

import type { BrokerRoutes } from '../_shared/msg-routes.js';

export type { LocalRoutes } from '../_shared/msg-routes.js';

export type BrokerIn =
  | { type: 'broker.info' }
  /** `get local broker`: the event counters as EdgeLake's table. */
  | { type: 'broker.stats' }
  /** The `broker = local` msg clients changed (run / exit msg client). */
  | BrokerRoutes;

export interface BrokerInfo {
  address: string;
  port: number;
  threads: number;
  clients: number;
  /** Publishes handed to msg clients, and waiting for their answer. */
  handedOver: number;
  inFlight: number;
}
