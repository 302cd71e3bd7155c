// The REST server actor's mailbox.

/** Node setting holding the `broker = rest` msg clients (user-agent product -> actor id), read at start. */
export const AGENTS_SETTING = 'rest-server.agents';
export type RestIn =
  | { type: 'rest.info' }
  | { type: 'rest.calls' }
  | { type: 'rest.pool'; details: boolean }
  | { type: 'rest.put-stats' }
  /** A `run msg client where broker = rest and user-agent = X` registered (or left): POST `command: data` goes there. */
  | { type: 'rest.agents'; agents: Record<string, string> };

export interface RestPutStats {
  files: Record<string, { files: number; rows: number }>;
  streamed: Record<string, { calls: number; rows: number }>;
}
