// The main-thread handle of one actor running in its own worker thread.
//
// Mailbox bound (credit protocol): the handle counts envelopes sent; the host counts those it has
// handled in a shared credit cell (credit.ts), one credit per handled message; the difference is the
// mailbox depth. When it reaches `capacity`, `send` refuses (returns false, nothing is queued) and `ask` rejects with a
// retriable MailboxFullError: the sender learns it must wait, and `whenWritable()` tells it
// when. Overflow policy: reject the newest message, never grow without bound. Messages that
// workers route to each other through the supervisor follow the same rule; a refused routed
// `send` is dropped, counted in `dropped` and logged (an `ask` fails back to its sender).
import { Worker } from 'node:worker_threads';
import {
  ActorExitedError,
  AskTimeoutError,
  MailboxFullError,
  StartupError,
  reviveError,
  serializeError,
} from '../base/errors.js';
import { CreditWatch } from './credit.js';
import { spawnHost } from './spawn-host.js';
import type { ActorStatus, ExitInfo, WorkerActorOptions } from './worker-options.js';
import type { ActorMessage, FromHost, InEnvelope, OutItem, ReplyEnvelope, StartMessage, ToHost } from './wire.js';

interface PendingAsk {
  resolve(v: unknown): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
  type: string;
}

/**
 * Envelopes per postMessage at most when one turn sends many (see `enqueue`). Measured with
 * `npm run bench -- mailbox`: 128 gave about 20% more messages/s than one batch per turn.
 */
const FLUSH_AT = 128;

/**
 * How many handled messages a full mailbox's sender waits for before the host wakes it mid-turn (credit.ts): a
 * quarter of the capacity, so that it refills that quarter while the host still has three to handle. In alternating
 * scratch runs (mailbox bench, capacity 1024) the counting worker's event loop was busy about 93% of an actor round
 * with a quarter against about 85% with half (it waited for the refill); an eighth was no better than a quarter.
 */
const WAKE_WANT = (capacity: number): number => Math.max(1, capacity >> 2);

export class WorkerActor {
  readonly id: string;
  readonly kind: string;
  status: ActorStatus = 'starting';
  startedAt = 0;
  threadId = -1;
  dropped = 0;
  private worker: Worker | undefined;
  private readonly credit = new CreditWatch();
  /** Mailbox messages (sends and asks) posted to this incarnation, mod 2^32 like the cell's HANDLED. */
  private sent = 0;
  /**
   * Messages that surely still fit: capacity less the depth when the cell was last read, less what was sent since.
   * `send` reads the cell only when this reaches 0 (credit only grows between reads).
   */
  private room: number;
  /** This turn's sends while it has nothing else to post: they travel as the messages alone (`sends`). */
  private outMsgs: ActorMessage[] = [];
  /** This turn's envelopes once an ask or a reply joined it (its earlier sends wrapped, in order). */
  private outEnv: (InEnvelope | ReplyEnvelope)[] | undefined;
  private flushScheduled = false;
  private askSeq = 0;
  private readonly asks = new Map<number, PendingAsk>();
  private writableWaiters: (() => void)[] = [];
  private stopWaiter: (() => void) | undefined;
  private exited = false;
  private stopRequested = false;
  private crashError: Error | undefined;

  constructor(private readonly opts: WorkerActorOptions) {
    this.id = opts.id;
    this.kind = opts.kind;
    this.room = opts.mailboxCapacity;
  }

  get capacity(): number {
    return this.opts.mailboxCapacity;
  }

  /** Messages sent and not yet handled. */
  get mailboxDepth(): number {
    return this.exited ? 0 : (this.sent - this.credit.handled()) | 0;
  }

  /** Whether one more message fits, reading the credit cell when the room last seen is used up. */
  private hasRoom(): boolean {
    if (this.room > 0) return true;
    this.room = this.capacity - ((this.sent - this.credit.handled()) | 0);
    return this.room > 0;
  }

  /** Spawns the worker and completes the handshake. Rejects with StartupError if init fails. */
  start(): Promise<void> {
    const w = spawnHost(this.id);
    this.worker = w;
    this.threadId = w.threadId;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      /** `ready` was received: from then on the worker's exit is an exit of a running actor. */
      let started = false;
      const fail = (err: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.status = 'failed';
        void w.terminate();
        reject(err);
      };
      const timer = setTimeout(
        () => fail(new StartupError(`${this.id}: no ready within ${this.opts.startTimeoutMs} ms`)),
        this.opts.startTimeoutMs,
      );
      w.on('message', (m: FromHost) => {
        if (!settled) {
          if (m.t === 'ready') {
            settled = true;
            started = true;
            clearTimeout(timer);
            this.status = 'running';
            this.startedAt = Date.now();
            this.flush();
            resolve();
            return;
          }
          if (m.t === 'init-failed') {
            fail(new StartupError(`${this.id}: init failed: ${m.e.message}`, { cause: reviveError(m.e) }));
            return;
          }
        }
        this.onHostMessage(m);
      });
      w.on('error', (err) => {
        if (!settled) fail(new StartupError(`${this.id}: worker error during start: ${err.message}`, { cause: err }));
        else this.crashError = err;
      });
      w.on('exit', (code) => {
        if (!started) {
          // A start that failed (init-failed, timeout) terminates the worker itself: that exit is
          // part of the startup failure, which the startup policy handles, not a crash to restart.
          this.exited = true;
          fail(new StartupError(`${this.id}: worker exited with code ${code} during start`));
          return;
        }
        this.onWorkerExit(code);
      });
      const start: StartMessage = {
        t: 'start',
        id: this.id,
        kind: this.kind,
        entry: this.opts.entry,
        config: this.opts.config,
        rings: this.opts.rings,
        credit: this.credit.sab,
        clock: this.opts.clock ?? { kind: 'system' },
        node: this.opts.node,
        logLevel: this.opts.logLevel ?? 'info',
      };
      w.postMessage(start satisfies ToHost);
    });
  }

  /** Fire and forget. False when the mailbox is full (nothing was queued): wait for `whenWritable`. */
  send(msg: ActorMessage): boolean {
    if (this.status !== 'running' || !this.hasRoom()) return false;
    this.room--;
    this.sent = (this.sent + 1) | 0;
    if (this.outEnv) this.outEnv.push({ k: 'send', m: msg });
    else this.outMsgs.push(msg);
    this.queued();
    return true;
  }

  /** Resolves when at least one more message fits. */
  whenWritable(): Promise<void> {
    if (this.exited || this.hasRoom()) return Promise.resolve();
    return new Promise((r) => {
      this.writableWaiters.push(r);
      if (this.writableWaiters.length === 1) this.waitForCredit();
    });
  }

  /** Waits on the credit cell until a message fits, then wakes every `whenWritable` waiter. */
  private waitForCredit(): void {
    const seen = this.credit.handled();
    this.room = this.capacity - ((this.sent - seen) | 0);
    if (this.room > 0 || this.exited) {
      this.wakeWriters();
      return;
    }
    void this.credit.wait(seen, WAKE_WANT(this.capacity)).then(() => {
      // The exit already woke the waiters (and released this wait).
      if (this.exited || this.writableWaiters.length === 0) return;
      this.waitForCredit();
    });
  }

  private wakeWriters(): void {
    const waiters = this.writableWaiters;
    this.writableWaiters = [];
    for (const w of waiters) w();
  }

  ask<R = unknown>(msg: ActorMessage, timeoutMs = 30_000): Promise<R> {
    if (this.status !== 'running') {
      return Promise.reject(new ActorExitedError(`${this.id} is not running (${this.status})`, { retriable: true }));
    }
    if (!this.hasRoom()) {
      return Promise.reject(new MailboxFullError(`${this.id}: mailbox full (${this.capacity})`, { retriable: true }));
    }
    this.room--;
    this.sent = (this.sent + 1) | 0;
    const id = ++this.askSeq;
    return new Promise<R>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.asks.delete(id);
        reject(new AskTimeoutError(`${this.id}: no reply to ${msg.type} within ${timeoutMs} ms`, { retriable: true }));
      }, timeoutMs);
      this.asks.set(id, { resolve: resolve as (v: unknown) => void, reject, timer, type: msg.type });
      this.enqueueOther({ k: 'ask', id, m: msg });
    });
  }

  /** Asks the actor to stop; after `shutdownMs` without `stopped`, terminates the worker. */
  async stop(reason: string, shutdownMs: number): Promise<void> {
    const w = this.worker;
    if (!w || this.exited) {
      this.status = 'stopped';
      return;
    }
    this.stopRequested = true;
    this.status = 'stopping';
    this.flush();
    const done = new Promise<void>((r) => (this.stopWaiter = r));
    w.postMessage({ t: 'stop', reason } satisfies ToHost);
    // The host answers `stopped` after its `stop` hook (then we terminate it); a hook slower
    // than shutdownMs is cut short by terminating the worker anyway.
    const timer = setTimeout(() => void w.terminate(), shutdownMs);
    await done;
    clearTimeout(timer);
    this.status = 'stopped';
  }

  /** Terminates the worker abruptly, as a crash: the supervisor's policy applies. */
  kill(): void {
    this.crashError = new ActorExitedError(`${this.id} killed`);
    void this.worker?.terminate();
  }

  advanceClock(ms: number): void {
    this.worker?.postMessage({ t: 'clock', advanceMs: ms } satisfies ToHost);
  }

  attachRing(name: string, sab: SharedArrayBuffer): void {
    this.worker?.postMessage({ t: 'ring.attach', name, sab } satisfies ToHost);
  }

  /** Queues an ask or a reply (which takes no credit: it is no mailbox message) behind this turn's sends. */
  private enqueueOther(env: InEnvelope | ReplyEnvelope): void {
    if (!this.outEnv) {
      const msgs = this.outMsgs;
      this.outMsgs = [];
      // Packed (map, not a pre-sized array): structured clone writes a holey array as a sparse one, key by key.
      this.outEnv = msgs.map((m): InEnvelope | ReplyEnvelope => ({ k: 'send', m }));
    }
    this.outEnv.push(env);
    this.queued();
  }

  private queued(): void {
    if ((this.outEnv ?? this.outMsgs).length >= FLUSH_AT) {
      // A sender that fills the mailbox in one turn would otherwise hand the worker one huge batch and
      // then wait: posting every FLUSH_AT envelopes lets the worker handle one batch while the next is
      // being built (the microtask flush still sends what is left).
      this.flush();
      return;
    }
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      // One postMessage per turn of the event loop, carrying every envelope of that turn.
      queueMicrotask(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    if (!this.worker || this.exited) return;
    const items = this.outEnv;
    if (items) {
      this.outEnv = undefined;
      this.worker.postMessage({ t: 'batch', items } satisfies ToHost);
    } else if (this.outMsgs.length > 0) {
      // Sends only (the common case under load): the messages alone, so that structured clone copies one object
      // per message instead of two (bench/README.md mailbox).
      const m = this.outMsgs;
      this.outMsgs = [];
      this.worker.postMessage({ t: 'sends', m } satisfies ToHost);
    }
  }

  private onHostMessage(m: FromHost): void {
    switch (m.t) {
      case 'batch':
        for (const item of m.items) this.onItem(item);
        return;
      case 'exit':
        // The actor ended itself; make the worker go and report the exit with its normality.
        this.stopRequested = m.normal;
        if (!m.normal && m.e) this.crashError = reviveError(m.e);
        void this.worker?.terminate();
        return;
      case 'stopped':
        void this.worker?.terminate();
        return;
      case 'ready':
      case 'init-failed':
        return;
    }
  }

  private onItem(item: OutItem): void {
    switch (item.k) {
      case 'reply': {
        const p = this.asks.get(item.id);
        if (!p) return; // the ask timed out; nobody waits for this reply
        this.asks.delete(item.id);
        clearTimeout(p.timer);
        if (item.ok) p.resolve(item.v);
        else p.reject(reviveError(item.e));
        return;
      }
      case 'send':
        this.opts.router.send(this.id, item.to, item.m);
        return;
      case 'ask': {
        const { id } = item;
        this.opts.router.ask(this.id, item.to, item.m, item.timeoutMs).then(
          (v) => this.replyToHost({ k: 'reply', id, ok: true, v }),
          (e: unknown) => this.replyToHost({ k: 'reply', id, ok: false, e: serializeError(e) }),
        );
        return;
      }
      case 'log':
        this.opts.router.log(item.rec);
        return;
      case 'metrics':
        this.opts.router.metrics?.(this.id, item.r);
        return;
    }
  }

  /** Replies travel with the envelopes of the same turn (one postMessage), in the order they were produced. */
  private replyToHost(reply: ReplyEnvelope): void {
    if (!this.exited && this.worker) this.enqueueOther(reply);
  }

  private onWorkerExit(code: number): void {
    this.exited = true;
    const normal = this.stopRequested;
    const reason = normal ? 'normal' : this.crashError ? this.crashError.message : `worker exited with code ${code}`;
    const failed = new ActorExitedError(`${this.id} exited (${reason}) with a pending request`);
    let n = 0;
    for (const [id, p] of this.asks) {
      clearTimeout(p.timer);
      p.reject(failed);
      this.asks.delete(id);
      n++;
    }
    // The depth reads 0 from now on; waiters are woken (their next send is refused: the actor is not running).
    this.credit.release();
    this.wakeWriters();
    this.status = normal ? 'stopped' : 'failed';
    const info: ExitInfo = { normal, reason, exitCode: code };
    if (this.crashError) info.error = this.crashError;
    if (n > 0) info.reason += ` (${n} pending ask${n > 1 ? 's' : ''} failed)`;
    this.stopWaiter?.();
    this.opts.onExit(info);
  }
}
