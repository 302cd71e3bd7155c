// What the msg clients, the message broker and the REST server tell each other: which `broker = local` client
// takes which topics, which `broker = rest` client takes which user-agent, and the PUBLISH packets the broker
// hands over. Kept here, not in one of the three folders, because all three speak it.
// This module owns the two routing tables: `publishRoutes` (called by the msg client service after every run and
// exit) is their only writer; it keeps them in the node's settings, so a restarted broker or REST server reads
// them at start (`readLocalRoutes`, `readRestAgents`), and tells the running ones (`broker.routes`, `rest.agents`).
import type { ActorContext } from '../../runtime/actor.js';
import { actorAddress, type Ask } from '../../runtime/address.js';
import type { NodeApi } from '../../node/service.js';
import { defineSetting, readSetting } from '../../node/settings.js';

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
export type MsgPublish = Ask<{ type: 'msg.publish'; items: LocalPublish[] }, PublishOutcome[]>;

/** From the REST server to a `broker = rest` msg client: a POST `command: data` body; answered ('') once durable. */
export type MsgData = Ask<{ type: 'msg.data'; topic: string; body: string }, string>;

/** A msg client (`msg-client-<n>`) as the broker and the REST server hand it data. */
export const msgSinkAt = (id: string) => actorAddress<MsgPublish | MsgData>(id);

/** Topic filters of the `broker = local` msg clients, by msg client actor id. */
export type LocalRoutes = Record<string, string[]>;

const ROUTES_SETTING = defineSetting<LocalRoutes>('message-broker.routes');

/** To the message broker: the `broker = local` msg clients changed (run / exit msg client). */
export type BrokerRoutes = { type: 'broker.routes'; routes: LocalRoutes };

/** The `broker = rest` msg clients: user-agent product (lower case) -> msg client actor id. */
export type AgentRoutes = Record<string, string>;

const AGENTS_SETTING = defineSetting<AgentRoutes>('rest-server.agents');

/** To the REST server: a `run msg client where broker = rest and user-agent = X` registered (or left). */
export type RestAgents = { type: 'rest.agents'; agents: AgentRoutes };

/** Stores both tables on the node and tells the running broker and REST server (a stopped one reads them at start). */
export function publishRoutes(node: NodeApi, routes: LocalRoutes, agents: AgentRoutes): void {
  node.settings.set(ROUTES_SETTING, routes);
  node.send(actorAddress<BrokerRoutes>('message-broker'), { type: 'broker.routes', routes });
  node.settings.set(AGENTS_SETTING, agents);
  node.send(actorAddress<RestAgents>('rest-server'), { type: 'rest.agents', agents });
}

/** The message broker's table at its start (empty when no `broker = local` client ever ran). */
export async function readLocalRoutes(ctx: ActorContext): Promise<LocalRoutes> {
  return (await readSetting(ctx, ROUTES_SETTING)) ?? {};
}

/** The REST server's table at its start. */
export async function readRestAgents(ctx: ActorContext): Promise<AgentRoutes> {
  return (await readSetting(ctx, AGENTS_SETTING)) ?? {};
}
