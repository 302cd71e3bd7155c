// What workers may send to or ask the node (the main thread), addressed as actor `node`.
export type NodeIn =
  /** Run an EdgeLake command through the dispatcher; the reply is its text. */
  | { type: 'node.command'; text: string; source: string; method?: 'GET' | 'POST' }
  | { type: 'node.dict.get'; name: string }
  | { type: 'node.identity' }
  /** Keep this actor's state on the main thread, to be handed back after a restart (not across node restarts). */
  | { type: 'node.stash.put'; value: unknown }
  | { type: 'node.stash.get' }
  /** Settings a service keeps on the node while it is not running (e.g. streamer thresholds). */
  | { type: 'node.settings.get'; kind: string }
  /** The connected logical databases and their configs (the operator opens its own connections). */
  | { type: 'node.dbms.list' };

export interface NodeIdentity {
  name: string;
  identity: string;
  connections: Record<string, { external: string; internal: string; bind: string }>;
}
