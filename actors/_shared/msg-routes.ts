// What the msg clients, the message broker and the REST server tell each other: which `broker = local` client
// takes which topics, which `broker = rest` client takes which user-agent, and the PUBLISH packets the broker
// hands over. Kept here, not in one of the three folders, because all three speak it.

/** One PUBLISH the node's message broker hands over (`broker = local`). */
export interface LocalPublish {
  topic: string;
  payload: Uint8Array;
  qos: 0 | 1 | 2;
  /** The publishing device's client id and packet id (QoS > 0), for redelivery dedupe. */
  clientId: string;
  messageId?: number;
  dup: boolean;
}

/** What `msg.publish` answers per item: `stored` (durable or deliberately dropped: acknowledge) or `failed` (do not acknowledge). */
export type PublishOutcome = 'stored' | 'failed';

/** From the message broker to a msg client: PUBLISH packets of its topics; answered once the rows are durable. */
export type MsgPublish = { type: 'msg.publish'; items: LocalPublish[] };

/** Topic filters of the `broker = local` msg clients, by msg client actor id. */
export type LocalRoutes = Record<string, string[]>;

/** Where the node keeps the routes (node settings), so a restarted broker finds them. */
export const ROUTES_SETTING = 'message-broker.routes';

/** To the message broker: the `broker = local` msg clients changed (run / exit msg client). */
export type BrokerRoutes = { type: 'broker.routes'; routes: LocalRoutes };

/** Node setting holding the `broker = rest` msg clients (user-agent product -> actor id), read at start. */
export const AGENTS_SETTING = 'rest-server.agents';

/** To the REST server: a `run msg client where broker = rest and user-agent = X` registered (or left). */
export type RestAgents = { type: 'rest.agents'; agents: Record<string, string> };
