// The REST server actor's mailbox. The `rest.request`, `rest.done` and `rest.closed` messages are its own
// server's callbacks, sent to `self` (never cloned: they carry the request and response objects).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RestAgents } from '../_shared/msg-routes.js';
import type { PutStatsQuery } from '../_shared/put-stats.js';
import { actorAddress, type Ask } from '../../runtime/address.js';
import type { AuthNotice } from '../../node/notices.js';

export type { RestPutStats } from '../_shared/put-stats.js';

export type RestIn =
  | Ask<{ type: 'rest.info' }, RestInfo>
  /** `get rest calls`: EdgeLake's table. */
  | Ask<{ type: 'rest.calls' }, string>
  /** `get rest pool`: EdgeLake's line, or its table with `details`. */
  | Ask<{ type: 'rest.pool'; details: boolean }, string>
  | PutStatsQuery
  | RestAgents
  /** The user table changed (node/auth/store.ts). */
  | AuthNotice
  /** Internal: a request arrived. */
  | { type: 'rest.request'; req: IncomingMessage; res: ServerResponse }
  /** Internal: a request was answered: its `get rest calls` row, and the rows it put (`get streaming`). */
  | { type: 'rest.done'; call: RestCall; put?: RestPut }
  /** Internal: a response closed (answered or aborted): one request fewer in flight. */
  | { type: 'rest.closed' }
  /** Internal: a request was refused: no valid user, or a browser's cross-site or simple request (browser.ts). */
  | { type: 'rest.refused'; why: 'auth' | 'browser' };

/** One answered request, as `get rest calls` counts it. */
export interface RestCall {
  /** The User-Agent product (`anylog`, `grafana`), undefined for others. */
  caller: string | undefined;
  /** The method, lower case. */
  call: string;
  /** Why it failed, undefined when it did not. */
  error: string | undefined;
  client: string;
}

/** Rows a PUT accepted into `key` (`dbms.table`). */
export interface RestPut {
  key: string;
  mode: 'streaming' | 'file';
  rows: number;
}

export const REST_SERVER = actorAddress<RestIn>('rest-server');

export interface RestInfo {
  address: string;
  port: number;
  connection: string;
  timeout: number;
  ssl: boolean;
  bind: boolean;
  threads: number;
  /** Origins allowed to call from a browser. */
  cors: string[];
  /** Requests refused: without a valid user, and as a browser's cross-site or simple request. */
  refused: { auth: number; browser: number };
}
