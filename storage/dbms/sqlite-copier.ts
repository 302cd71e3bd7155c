// Copies the write-ahead log into the database on a thread of its own, so the writer's thread does not stop for it
// (bench/README.md, latency: the writer's TRUNCATE checkpoint at the log's bound copied ~40 MB and fsynced the
// database inside a write, and every PUT sent meanwhile waited for it).
// A PASSIVE checkpoint on another connection runs beside the writer: SQLite lets one checkpointer and one writer
// work at once (the checkpointer copies the frames committed when it began; the writer appends after them). What is
// left for the writer's own RESTART checkpoint (sqlite-wal.ts) is then the frames written while this one copied, and
// the database's fsync covers those only.
// The thread is a small eval'd CommonJS worker with its own libsql connection (no TypeScript entry: the same code
// runs from sources and from dist/); it starts at the first copy, so a writer that never reaches the bound never
// starts it, and it ends when the writer is quiet after writes (`retire`, sqlite.ts): a thread is an isolate, a stack
// and a connection, several MB a node kept for its life after one large PUT (bench/README.md, put-55mb-rss). The
// next copy starts a new one, off the writer's thread but for the Worker's creation.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { DbmsError } from '../../base/errors.js';
import type { CheckpointResult } from './sqlite-wal.js';

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.libsql);
const db = new Database(workerData.path, { timeout: workerData.busyTimeoutMs });
// It only reads and copies: SQLite's own checkpoint when this connection closes is not for it to run.
db.exec('PRAGMA wal_autocheckpoint=0');
// A connection knows the file is in WAL mode only once it has read it: before, its checkpoint answers -1, -1.
db.prepare('SELECT count(*) FROM sqlite_master').get();
parentPort.on('message', (m) => {
  if (m === 'close') {
    db.close();
    parentPort.close();
    return;
  }
  const t0 = performance.now();
  try {
    const result = db.prepare('PRAGMA wal_checkpoint(PASSIVE)').get();
    parentPort.postMessage({ result, ms: performance.now() - t0 });
  } catch (err) {
    parentPort.postMessage({ error: String((err && err.message) || err) });
  }
});
`;

const libsqlPath = createRequire(import.meta.url).resolve('libsql');

export type CopyState = 'idle' | 'copying' | 'copied';

export class LogCopier {
  private worker: Worker | undefined;
  /** Retired threads still closing their connection: `close` waits for them too. */
  private readonly retiring = new Map<Worker, Promise<void>>();
  private state: CopyState = 'idle';
  /** A failure to hand to the writer at its next step (it reports it and goes on without this copier). */
  private failure: Error | undefined;

  constructor(
    private readonly path: string,
    private readonly busyTimeoutMs: number,
    /** Told of each copy that finished (its length and SQLite's result). */
    private readonly onCopied: (out: { ms: number; result: CheckpointResult }) => void,
  ) {}

  /** 'copied' once a copy took every frame there was when it began (no reader held any back). */
  get status(): CopyState {
    return this.state;
  }

  /** The failure since the last call, if any (the copier is then closed; the writer copies inline). */
  takeFailure(): Error | undefined {
    const f = this.failure;
    this.failure = undefined;
    return f;
  }

  /** Starts a copy unless one is running. */
  start(): void {
    if (this.state === 'copying') return;
    this.state = 'copying';
    this.thread().postMessage('copy');
  }

  /** The writer emptied the log: the next copy is for frames written from now on. */
  reset(): void {
    if (this.state === 'copied') this.state = 'idle';
  }

  /**
   * Ends the thread unless a copy runs (false then: the caller tries again later); its connection is closed and the
   * next `start` makes a new thread. Nothing is lost: a copy only ever copies committed frames.
   */
  retire(): boolean {
    if (this.state === 'copying') return false;
    const w = this.worker;
    if (!w) return true;
    this.worker = undefined;
    this.state = 'idle';
    this.retiring.set(
      w,
      ended(w).then(() => void this.retiring.delete(w)),
    );
    return true;
  }

  /** Closes the thread's connection and waits for the thread to end (and for a retired one still closing). */
  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    // Held while they close: an unreferenced thread's exit would not keep the loop alive to be awaited.
    const closing = [...this.retiring.keys(), ...(w ? [w] : [])];
    for (const t of closing) t.ref();
    await Promise.all([...this.retiring.values(), w ? ended(w) : undefined]);
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(WORKER_SOURCE, {
      eval: true,
      // Bare: the operator's worker may run under a loader (tsx) this CommonJS source does not need.
      execArgv: [],
      workerData: { libsql: libsqlPath, path: this.path, busyTimeoutMs: this.busyTimeoutMs },
    });
    // A copier never keeps the node alive: the writer closes it before its own connection.
    w.unref();
    w.on('message', (m: { result?: CheckpointResult; ms?: number; error?: string }) => {
      // A retired thread has nothing more to say (retire never ends a thread with a copy running).
      if (this.worker !== w) return;
      if (m.error !== undefined || !m.result) {
        this.fail(
          new DbmsError(`sqlite ${this.path}: copying the log on its thread failed: ${m.error ?? 'no result'}`),
        );
        return;
      }
      this.state = m.result.busy === 0 && m.result.checkpointed === m.result.log ? 'copied' : 'idle';
      this.onCopied({ ms: m.ms ?? 0, result: m.result });
    });
    w.on('error', (err) => {
      if (this.worker !== w) return;
      this.fail(new DbmsError(`sqlite ${this.path}: the log copier's thread failed: ${err.message}`, { cause: err }));
    });
    this.worker = w;
    return w;
  }

  private fail(err: Error): void {
    this.failure = err;
    this.state = 'idle';
    const w = this.worker;
    this.worker = undefined;
    void w?.terminate();
  }
}

/** Asks a copier thread to close its connection and end; resolves when it has. */
function ended(w: Worker): Promise<void> {
  return new Promise<void>((resolve) => {
    w.once('exit', () => resolve());
    w.postMessage('close');
  });
}
