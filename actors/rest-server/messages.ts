// The REST server actor's mailbox.

import type { RestAgents } from '../_shared/msg-routes.js';

export type RestIn =
  | { type: 'rest.info' }
  | { type: 'rest.calls' }
  | { type: 'rest.pool'; details: boolean }
  | { type: 'rest.put-stats' }
  | RestAgents;

export interface RestPutStats {
  files: Record<string, { files: number; rows: number }>;
  streamed: Record<string, { calls: number; rows: number }>;
}
