// The msg client actor's mailbox, and what it answers.
import type { MsgData, MsgPublish } from '../_shared/msg-routes.js';
import { actorAddress, type Ask } from '../../runtime/address.js';

export type { LocalPublish, PublishOutcome } from '../_shared/msg-routes.js';

export type MsgClientIn =
  /** `get msg clients`: counters, connection state and topics. */
  | Ask<{ type: 'msg.info' }, MsgClientInfo>
  /** From the message broker actor: PUBLISH packets of this client's topics. The reply (once the rows are durable) lets the broker acknowledge them. */
  | MsgPublish
  /** From the REST server: POST `command: data` with this client's user-agent. Answered once the rows are durable. */
  | MsgData
  /** Internal: the MQTT connection came up. */
  | { type: 'msg.conn.up'; sessionPresent: boolean }
  /** Internal: the MQTT connection went down or was refused. */
  | { type: 'msg.conn.down'; reason: string }
  /** Internal: the backoff delay is over, connect again. */
  | { type: 'msg.conn.retry' }
  /** Internal: the subscriptions of a connection were granted (or refused) by the broker. */
  | { type: 'msg.conn.subscribed'; granted: { topic: string; qos: number }[]; error?: string };

/** `msg-client-<n>`: one actor per `run msg client`. */
export const msgClientAt = (id: string) => actorAddress<MsgClientIn>(id);

export interface TopicStats {
  success: number;
  failure: number;
  rows: number;
  lastErrorTime: string;
  /** EdgeLake status code of the last failure (0: none). */
  lastErrorCode: number;
  /** The mapping's own reason for the last failure (topic, column, path). */
  lastReason: string;
}

export interface TopicInfo {
  name: string;
  qos: number;
  dbms: string;
  table: string;
  /** Mapping policy ids, in order (empty: the topic's own columns map it). */
  policy: string[];
  dynamic: boolean;
  /** One per column: name, type as written, mapping function as EdgeLake shows it, optional. */
  columns: { name: string; type: string; fn: string; optional: boolean }[];
  stats: TopicStats;
}

export interface MsgClientInfo {
  user: string;
  /** `host:port`, `local` or `rest`. */
  broker: string;
  /** `Connected`, `Connected to local Message Server`, `Not connected: <reason>`. */
  connection: string;
  messages: number;
  errors: number;
  rows: number;
  /** Messages received again after a crash or reconnect whose rows were already durable. */
  duplicates: number;
  lastMessageTime: string;
  lastErrorTime: string;
  lastErrorCode: number;
  lastReason: string;
  topics: TopicInfo[];
  dirs: { prep: string; watch: string; bwatch: string; err: string; blobs: string };
  /** The MQTT client id (external brokers), for diagnostics. */
  clientId: string;
}
