// The actor host: the entry module of every actor's worker thread.
// Handshake (Piscina style): wait for `start`, import the definition, validate the config, run
// `init`, then answer `ready` (or `init-failed`). Only then does the supervisor count it running.
// Messages are handled one at a time in arrival order; every handled message returns one credit
// to the sender through the credit cell (credit.ts), which is what bounds the mailbox (see worker-ref.ts).
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { parentPort } from 'node:worker_threads';
import type { ActorContext, AnyActorDefinition } from './actor.js';
import { actorAddress, type ActorAddress, type AskMessage, type ReplyOf } from './address.js';
import { ManualClock, systemClock, type Clock } from './clock.js';
import {
  ActorExitedError,
  assertNever,
  AskTimeoutError,
  CommandError,
  EdgeRtError,
  errorMessage,
  reviveError,
  serializeError,
} from '../base/errors.js';
import { createLogger, type LogLevel } from '../base/log.js';
import type { Ring } from './ring.js';
import { CreditReturn } from './credit.js';
import { Inbox, SELF, SEND } from './inbox.js';
import { MetricsBuffer } from './metrics.js';
import { isolateGc } from './gc.js';
import { watchBursts, type BurstGc } from './burst-gc.js';
import {
  compactingGc,
  eventLoopBusy,
  idleGcCompact,
  idleGcQuietMs,
  scheduleIdleGc,
  type IdleGc,
  type IdleGcState,
} from './idle-gc.js';
import type { ActorMessage, FromHost, OutItem, ReplyEnvelope, StartMessage, ToHost } from './wire.js';

const port = parentPort;
if (!port) throw new Error('runtime/host.ts must run in a worker thread');

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

let def: AnyActorDefinition | undefined;
let ctx: ActorContext | undefined;
let state: unknown;
let running = false;
let stopping = false;
/** The mailbox: what arrived and is not handled yet (inbox.ts). */
const inbox = new Inbox();
let idleGc: IdleGc | undefined;
/** Where the post-start collection stands, for `sys.stats` (tests read it rather than guess from heap sizes). */
let idleGcState: IdleGcState = 'off';
let burstGc: BurstGc | undefined;
let draining = false;
let out: OutItem[] = [];
let outScheduled = false;
/** Set at start: the cell through which handled messages return credit. */
let credit: CreditReturn | undefined;
/** A message was handled since the last turn's end: the sender may be waiting to hear of it. */
let creditPending = false;
let askSeq = 0;
const pending = new Map<number, Pending>();
const rings = new Map<string, Ring>();
/**
 * ring.js (and msgpackr with it) is loaded only by actors that get a ring: it is about half of a
 * worker's start-up imports, which every restart pays (`npm run bench -- restart`).
 */
let RingClass: typeof Ring | undefined;
async function loadRing(): Promise<typeof Ring> {
  RingClass ??= (await import('./ring.js')).Ring;
  return RingClass;
}
/**
 * Set while a `ring.attach` waits for ring.js to load: ring attach/detach stay in arrival order, and
 * `drain` handles no message before them (as when the attach was synchronous).
 */
let ringsPending: Promise<void> | undefined;
const abort = new AbortController();
const metrics = new MetricsBuffer();
/** How often metrics go to the main thread: what a crash may lose, and the scrape's freshness. */
const METRICS_MS = 1000;
let metricsTimer: NodeJS.Timeout | undefined;
let manualClock: ManualClock | undefined;

function post(msg: FromHost): void {
  port!.postMessage(msg);
}

function emit(item: OutItem): void {
  out.push(item);
  if (!outScheduled) {
    outScheduled = true;
    // Flush once per turn: every envelope produced in this turn travels in one postMessage.
    setImmediate(flush);
  }
}

function flush(): void {
  outScheduled = false;
  if (creditPending) {
    creditPending = false;
    credit?.wake();
  }
  if (out.length === 0) return;
  const items = out;
  out = [];
  post({ t: 'batch', items });
}

/**
 * Every METRICS_MS: this worker's heap and event-loop delay (a blocked loop is what a slow actor looks like), then
 * everything the actor reported, as one `metrics` item. The timer is unref'd: it never keeps a worker alive.
 */
function startMetrics(id: string): void {
  // 100 ms: a sampling timer in every worker costs idle CPU (issue 12: an idle node uses ~0%); a blocked loop
  // shows at this resolution just as well.
  const delay = monitorEventLoopDelay({ resolution: 100 });
  delay.enable();
  const labels = { actor: id };
  metricsTimer = setInterval(() => {
    // The V8 heap only: process.memoryUsage() also reads the process's RSS from /proc each time. Used and total
    // both: a heap whose use stays level can still grow what it holds (a young generation grown under load).
    const heap = getHeapStatistics();
    metrics.set('edgelake_rt_worker_heap_used_bytes', labels, heap.used_heap_size);
    metrics.set('edgelake_rt_worker_heap_total_bytes', labels, heap.total_heap_size);
    // Nanoseconds from perf_hooks; a histogram with no sample yet reports 0 for its percentiles.
    metrics.set(
      'edgelake_rt_worker_event_loop_delay_seconds',
      { ...labels, quantile: '0.99' },
      delay.percentile(99) / 1e9,
    );
    metrics.set('edgelake_rt_worker_event_loop_delay_seconds', { ...labels, quantile: '1' }, delay.max / 1e9);
    delay.reset();
    flushMetrics();
  }, METRICS_MS);
  metricsTimer.unref();
}

function flushMetrics(): void {
  if (!metrics.empty) emit({ k: 'metrics', r: metrics.take() });
}

function makeContext(start: StartMessage, clock: Clock): ActorContext {
  const log = createLogger(start.id, (rec) => emit({ k: 'log', rec }), start.logLevel as LogLevel);
  return {
    self: actorAddress(start.id),
    kind: start.kind,
    clock,
    log,
    signal: abort.signal,
    node: start.node,
    metrics,
    send(to, msg) {
      if (to === start.id) {
        inbox.add(msg, SELF);
        if (!draining) void drain();
        return;
      }
      emit({ k: 'send', to, m: msg });
    },
    ask<To extends ActorMessage, T extends To['type']>(
      to: ActorAddress<To>,
      msg: AskMessage<To, T>,
      timeoutMs = 30_000,
    ): Promise<ReplyOf<To, T>> {
      const id = ++askSeq;
      // The reply is whatever the target's handler returned: its type is the one the target's mailbox declares
      // (runtime/address.ts), which the host carries but cannot check.
      return new Promise<ReplyOf<To, T>>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new AskTimeoutError(`ask ${msg.type} to ${to} timed out after ${timeoutMs} ms`, { retriable: true }));
        }, timeoutMs);
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
        emit({ k: 'ask', id, to, m: msg, timeoutMs });
      });
    },
    ring<T>(name: string) {
      return rings.get(name) as Ring<T> | undefined;
    },
    ringNames: () => [...rings.keys()],
    exit(reason) {
      const normal = reason === 'normal';
      void shutdown(normal ? 'normal' : reason.message).then(() => {
        flush();
        post(normal ? { t: 'exit', normal } : { t: 'exit', normal, e: serializeError(reason) });
      });
    },
  };
}

function isPromise(v: unknown): v is Promise<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

function workerStats(): {
  heapUsed: number;
  heapTotal: number;
  external: number;
  idleGc: IdleGcState;
} {
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, idleGc: idleGcState };
}

async function drain(): Promise<void> {
  if (!running || !def || !ctx) return;
  draining = true;
  try {
    while (!inbox.empty && !stopping) {
      while (ringsPending) {
        const p = ringsPending;
        await p;
        if (ringsPending === p) ringsPending = undefined;
      }
      const m = inbox.next();
      if (m === undefined) break;
      const tag = inbox.tag;
      const askId = tag > 0 ? tag : 0;
      try {
        // `sys.stats` is the runtime's own question (any actor): this worker's heap and post-start collection, for
        // tests and benches.
        let r = m.type === 'sys.stats' ? workerStats() : def.handle(state, m, ctx);
        if (isPromise(r)) r = await r;
        if (askId !== 0) emit({ k: 'reply', id: askId, ok: true, v: r });
      } catch (err) {
        if (askId !== 0) emit({ k: 'reply', id: askId, ok: false, e: serializeError(err) });
        if (!(err instanceof EdgeRtError)) {
          // Not a typed error: a bug or an injected fault. Let it crash (OTP): the supervisor
          // restarts the actor from a clean state and writes one crash report.
          flushMetrics();
          flush();
          throw err;
        }
        ctx.log.warn('message failed', { type: m?.type, error: err.message });
      }
      if (tag !== SELF) {
        // The credit is visible to the sender's next `send` at once; a sender that waits for it is woken once
        // per turn, even while the queue is still busy: a slow handler must not hold back the credits of the
        // messages it already handled until the whole mailbox drains.
        credit!.handledOne();
        creditPending = true;
        if (!outScheduled) {
          outScheduled = true;
          setImmediate(flush);
        }
      }
    }
  } finally {
    draining = false;
  }
}

async function shutdown(reason: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  abort.abort();
  for (const [id, p] of pending) {
    clearTimeout(p.timer);
    p.reject(new ActorExitedError(`actor is stopping (${reason})`));
    pending.delete(id);
  }
  if (def?.stop && ctx && running) {
    // A stop that throws still ends the actor: its resources are what it could release; the reason is logged.
    try {
      await def.stop(state, reason, ctx);
    } catch (err) {
      ctx.log.error('actor stop failed', { reason, error: errorMessage(err) });
    }
  }
  running = false;
  idleGc?.cancel();
  burstGc?.stop();
  if (metricsTimer) clearInterval(metricsTimer);
  // What the actor counted up to its stop goes out with its last batch.
  flushMetrics();
}

async function start(msg: StartMessage): Promise<void> {
  try {
    const mod = (await import(msg.entry)) as { default?: AnyActorDefinition };
    if (!mod.default) throw new CommandError(`${msg.entry} has no default export (an actor definition)`);
    def = mod.default;
    credit = new CreditReturn(msg.credit);
    const given = Object.entries(msg.rings);
    if (given.length > 0) {
      const R = await loadRing();
      for (const [name, sab] of given) rings.set(name, R.attach(sab));
    }
    let clock: Clock = systemClock;
    if (msg.clock.kind === 'manual') clock = manualClock = new ManualClock(msg.clock.start);
    ctx = makeContext(msg, clock);
    // Read before init: a bad value fails the start, not a running actor.
    const quietMs = idleGcQuietMs();
    const compact = idleGcCompact();
    // Before init: a long init (the operator's journal replay) reports its progress as it goes.
    startMetrics(msg.id);
    const cfg = def.config(msg.config);
    state = await def.init(ctx, cfg);
    running = true;
    flushMetrics();
    flush();
    post({ t: 'ready' });
    void drain();
    startIdleGc(quietMs, compact);
  } catch (err) {
    if (metricsTimer) clearInterval(metricsTimer);
    flushMetrics();
    flush();
    post({ t: 'init-failed', e: serializeError(err) });
  }
}

/**
 * The post-start collection (idle-gc.ts), once this worker has been quiet for a moment after `ready`. Quiet is
 * measured as the event loop's utilization, not as "no message": an idle node's actors get messages of their own
 * every second (the operator's `operator.reconcile` and `operator.drain`, the streamer's `streamer.drain`), each
 * handled in microseconds, while a loaded worker's loop is busy a large share of the time.
 */
function startIdleGc(quietMs: number, compact: boolean): void {
  const gc = isolateGc();
  if (quietMs === 0 || gc === undefined) return;
  const collect = compact ? compactingGc(gc) : gc;
  idleGc = scheduleIdleGc({ gc: collect, quietMs, busy: eventLoopBusy() });
  idleGcState = 'waiting';
  // Then the same after each burst that grew the heap (burst-gc.ts), measured from what the first one left.
  void idleGc.done.then((outcome) => {
    idleGcState = outcome;
    if (outcome !== 'cancelled' && running) burstGc = watchBursts({ gc: collect, quietMs });
  });
}

/** The main thread's answer to one of this actor's asks. */
function settle(r: ReplyEnvelope): void {
  const p = pending.get(r.id);
  if (!p) return; // timed out already; the late reply has nobody to go to
  pending.delete(r.id);
  clearTimeout(p.timer);
  if (r.ok) p.resolve(r.v);
  else p.reject(reviveError(r.e));
}

port.on('message', (msg: ToHost) => {
  switch (msg.t) {
    case 'start':
      void start(msg);
      return;
    case 'batch':
      for (const env of msg.items) {
        if (env.k === 'reply') settle(env);
        else inbox.add(env.m, env.k === 'ask' ? env.id : SEND);
      }
      if (!draining) void drain();
      return;
    case 'sends':
      inbox.addSends(msg.m);
      if (!draining) void drain();
      return;
    case 'stop':
      void shutdown(msg.reason).then(() => {
        flush();
        post({ t: 'stopped' });
      });
      return;
    case 'clock':
      manualClock?.advance(msg.advanceMs);
      return;
    case 'ring.attach': {
      const attach = (R: typeof Ring): void => {
        rings.set(msg.name, R.attach(msg.sab));
        if (def?.onRing && ctx && running) def.onRing(state, msg.name, ctx);
      };
      if (RingClass && !ringsPending) attach(RingClass);
      else ringsPending = (ringsPending ?? Promise.resolve()).then(loadRing).then(attach);
      return;
    }
    case 'ring.detach':
      if (ringsPending) ringsPending = ringsPending.then(() => void rings.delete(msg.name));
      else rings.delete(msg.name);
      return;
    default:
      assertNever(msg, 'host message');
  }
});
