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
