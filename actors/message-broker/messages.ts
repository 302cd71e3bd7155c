// The message broker actor's mailbox.

/** Topic filters of the `broker = local` msg clients, by msg client actor id. */
export type LocalRoutes = Record<string, string[]>;

/** Where the node keeps the routes (node settings), so a restarted broker finds them. */
export const ROUTES_SETTING = 'message-broker.routes';

export type BrokerIn =
  | { type: 'broker.info' }
  /** `get local broker`: the event counters as EdgeLake's table. */
  | { type: 'broker.stats' }
  /** The `broker = local` msg clients changed (run / exit msg client). */
  | { type: 'broker.routes'; routes: LocalRoutes };

export interface BrokerInfo {
  address: string;
  port: number;
  threads: number;
  clients: number;
  /** Publishes handed to msg clients, and waiting for their answer. */
  handedOver: number;
  inFlight: number;
}
