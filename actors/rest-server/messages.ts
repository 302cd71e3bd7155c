// The REST server actor's mailbox.
import type { RestAgents } from '../_shared/msg-routes.js';
import type { PutStatsQuery } from '../_shared/put-stats.js';
import { actorAddress, type Ask } from '../../runtime/address.js';

export type { RestPutStats } from '../_shared/put-stats.js';

export type RestIn =
  | Ask<{ type: 'rest.info' }, RestInfo>
  /** `get rest calls`: EdgeLake's table. */
  | Ask<{ type: 'rest.calls' }, string>
  /** `get rest pool`: EdgeLake's line, or its table with `details`. */
  | Ask<{ type: 'rest.pool'; details: boolean }, string>
  | PutStatsQuery
  | RestAgents;

export const REST_SERVER = actorAddress<RestIn>('rest-server');

export interface RestInfo {
  address: string;
  port: number;
  connection: string;
  timeout: number;
  ssl: boolean;
  bind: boolean;
  threads: number;
}
