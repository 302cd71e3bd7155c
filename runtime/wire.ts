// The messages between the supervisor (main thread) and an actor host (worker thread).
// They travel over the worker's own MessagePort. Actor messages are batched: one postMessage
// carries every envelope produced in one turn of the sender's event loop.
import type { SerializedError } from '../base/errors.js';
import type { LogRecord } from '../base/log.js';
import type { MetricReport } from './metrics.js';

/** Anything an actor receives: a discriminated union on `type` (dotted lower-case). */
export interface ActorMessage {
  readonly type: string;
  readonly [key: string]: unknown;
}

/** Facts about the node that every actor may read. */
export interface NodeInfo {
  name: string;
  root: string;
  /** Dictionary values resolved at start (watch_dir, err_dir, ...). */
  dirs: Record<string, string>;
  /**
   * A runtime/shared-text.ts cell the node keeps equal to its identity (`<name>@<TCP address>`, what `get status`
   * shows) whenever it has one; no text while no TCP server is registered. Absent in nodes that do not keep it.
   */
  identity?: SharedArrayBuffer;
}

export interface StartMessage {
  t: 'start';
  id: string;
  kind: string;
  /** URL of the module whose default export is the actor definition. */
  entry: string;
  config: unknown;
  rings: Record<string, SharedArrayBuffer>;
  /** The mailbox's credit cell (runtime/credit.ts): the host counts handled messages in it. */
  credit: SharedArrayBuffer;
  clock: { kind: 'system' } | { kind: 'manual'; start: number };
  node: NodeInfo;
  logLevel: string;
}

/** One delivery into the actor's mailbox. `from` is the asking actor, for logs. */
export type InEnvelope = { k: 'send'; m: ActorMessage } | { k: 'ask'; id: number; m: ActorMessage };

/** The answer to one of the actor's own asks (the main thread's reply), batched with the envelopes of its turn. */
export type ReplyEnvelope =
  { k: 'reply'; id: number; ok: true; v: unknown } | { k: 'reply'; id: number; ok: false; e: SerializedError };

export type ToHost =
  | StartMessage
  /**
   * Mailbox envelopes and replies to the actor's asks, in the order the main thread produced them in one turn:
   * a worker that asks the node many things at once (the TCP server's duplex commands) gets their answers in one
   * message instead of one postMessage each.
   */
  | { t: 'batch'; items: (InEnvelope | ReplyEnvelope)[] }
  /** A turn's envelopes when all are sends: the messages alone, without an envelope object each to clone. */
  | { t: 'sends'; m: ActorMessage[] }
  | { t: 'stop'; reason: string }
  | { t: 'clock'; advanceMs: number }
  | { t: 'ring.attach'; name: string; sab: SharedArrayBuffer }
  | { t: 'ring.detach'; name: string };

export type OutItem =
  | { k: 'reply'; id: number; ok: true; v: unknown }
  | { k: 'reply'; id: number; ok: false; e: SerializedError }
  | { k: 'send'; to: string; m: ActorMessage }
  | { k: 'ask'; id: number; to: string; m: ActorMessage; timeoutMs: number }
  | { k: 'log'; rec: LogRecord }
  /** What the actor reported for the node's metrics since the last item (runtime/metrics.ts). */
  | { k: 'metrics'; r: MetricReport[] };

export type FromHost =
  | { t: 'ready' }
  | { t: 'init-failed'; e: SerializedError }
  | { t: 'batch'; items: OutItem[] }
  /** The actor ended itself (`ctx.exit`): `normal` matters to transient restarts. */
  | { t: 'exit'; normal: boolean; e?: SerializedError }
  | { t: 'stopped' };
