// What a worker's main-thread handle (worker-ref.ts) is given, and what it reports: its options, its status, how it
// exited, and the router its actor's messages to other actors go through.
import type { LogRecord } from '../base/log.js';
import type { MetricReport } from './metrics.js';
import type { ActorMessage, NodeInfo } from './wire.js';

export type ActorStatus = 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';

export interface ExitInfo {
  /** A normal exit: asked to stop, or the actor ended itself with `normal`. */
  normal: boolean;
  reason: string;
  error?: Error;
  exitCode?: number;
}

/** How a worker's messages to other actors reach them. Implemented by the node / supervisor. */
export interface Router {
  send(from: string, to: string, msg: ActorMessage): void;
  ask(from: string, to: string, msg: ActorMessage, timeoutMs: number): Promise<unknown>;
  log(rec: LogRecord): void;
  /** What the actor reported for the node's metrics (runtime/metrics.ts); absent: dropped. */
  metrics?(from: string, reports: MetricReport[]): void;
}

/**
 * An actor's mailbox capacity when its spec names none: how many messages may be sent to it and not yet handled.
 * Memory: the bound is in messages, so a full mailbox holds this many of the actor's messages (serialized in its
 * port until the worker takes them, then as objects in its queue): 4096 small notices are a few hundred KB, and
 * an actor whose messages carry payloads names a smaller capacity in its descriptor (the msg client and the broker:
 * 1024). It is also the sender's window: a sender that outruns the actor is woken when a quarter of it is handled
 * (worker-ref.ts), and on a loaded machine each wake-up is a switch to the main thread and often a preemption of
 * the worker; at 1024 that was every 256 messages, and a sender woken late left the worker idle (bench/README.md
 * mailbox).
 */
export const DEFAULT_MAILBOX_CAPACITY = 4096;

export interface WorkerActorOptions {
  id: string;
  kind: string;
  entry: string;
  config: unknown;
  rings: Record<string, SharedArrayBuffer>;
  node: NodeInfo;
  router: Router;
  mailboxCapacity: number;
  startTimeoutMs: number;
  clock?: { kind: 'system' } | { kind: 'manual'; start: number };
  logLevel?: string;
  onExit: (info: ExitInfo) => void;
}
