// The post-start collection: what V8's memory reducer does 8-10 s after an isolate starts, done as soon as the
// isolate is quiet. Starting a thread (loading its modules, the handshake, init) grows its young generation from
// 2 x 1 MB semi-spaces to 3-4 MB (workers) and leaves old-space garbage; V8 gives that back only when its memory
// reducer runs, which it schedules `gc_memory_reducer_start_delay_ms` (8 s) after the heap first grows and then
// only if the allocation rate is low. An idle node was 128 MB 5 s after start and 106 MB at 15 s (bench/README.md
// memory).
// A forced gc() alone does not shrink a new space: V8 shrinks it at the end of a collection (heap.cc
// `ReduceNewSpaceSize`) when the reduce-memory flag is set (the memory reducer's, not gc()'s) or when the
// allocation rate the GC tracer measured is below 1 KB/ms (`kLowAllocationThroughput`). The tracer takes one sample
// per collection into a ring of 10 (gc-tracer.h `RingBuffer`) and averages the last 5 s of them, so after a start
// the samples say "allocating fast" until about 6 s without a collection. Eleven cheap scavenges 100 ms apart
// replace the start-up samples with quiet ones; the last one shrinks the new space. Measured in a probe (one worker
// after loading modules): new space 12 -> 1 MB, each scavenge well under a millisecond on an empty new space.
// Then six full collections, also 100 ms apart, free the start-up garbage of old space and the rest of the new
// space: with one, a worker's new space was still 1.0-1.3 MB resident at 5.5 s; with six, 0.3 MB in every worker
// (what V8's memory reducer leaves), and the idle node 3 MB lower at 5 s (bench/README.md memory). Not bytecode
// flushing (`bytecode_old_age` is 5): --trace-flush-bytecode printed no flush in 16 s with or without them.
// The full collections compact old space as V8 does when it optimizes for memory: `--optimize-for-size` is set for
// the duration of each `gc()` call and cleared after it (`compactingGc`). A plain full collection evacuates only
// pages more than 70 % free, one optimizing for memory those more than 20 % free (mark-compact.cc
// `ComputeEvacuationHeuristics`), which is what V8's memory reducer gets (with its reduce-memory flag, which gc()
// cannot set) 8-10 s after start: 112 -> 105 MB at 5 s (bench/README.md memory). The flag is process-wide, so
// other threads see it for the few ms of that call, at a moment when this one is idle; set for a node's whole life
// it halved ingest (bench/README.md memory), which is why it is never left on. `ELRT_IDLE_GC_COMPACT=0` runs plain
// full collections instead; a node started with --optimize-for-size keeps it.
// Never under load: the sequence waits for `quietMs` without activity and starts over when the thread was busy
// between two steps (a busy isolate's samples would not be quiet anyway, and its full collection would cost a
// pause). It runs at most once per isolate; later, V8's own heuristics decide as before.

import { setFlagsFromString } from 'node:v8';

/** The isolate's `gc` (V8's --expose-gc extension): no argument is a full collection. */
export type GcFunction = (opts?: { type: 'minor' | 'major' }) => void;

/** Scavenges before the full collections: one more than the GC tracer's 10 samples. */
export const QUIET_SCAVENGES = 11;
/** Full collections at the end (measured: six leave each new space at 0.3 MB, one at 1.0-1.3). */
export const FULL_COLLECTIONS = 6;
/**
 * Between two scavenges: long enough that what a step allocates (timers, a metrics flush) and what the previous
 * scavenge promoted read as far below 1 KB/ms.
 */
export const STEP_MS = 100;
export const DEFAULT_QUIET_MS = 1000;
/** After this long without a quiet moment the sequence gives up; the memory reducer still runs on its own. */
export const GIVE_UP_MS = 120_000;

export interface IdleGcOptions {
  gc: GcFunction;
  /** True when the thread worked since the previous call (each call starts a new window). */
  busy: () => boolean;
  quietMs: number;
  stepMs?: number;
  giveUpMs?: number;
}

export type IdleGcOutcome = 'collected' | 'gave-up' | 'cancelled';
/** Where a thread's post-start collection stands: not scheduled, waiting for quiet or under way, or its outcome. */
export type IdleGcState = IdleGcOutcome | 'waiting' | 'off';

export interface IdleGc {
  /** Settles once: after the collection, when it gave up, or when cancelled. */
  readonly done: Promise<IdleGcOutcome>;
  cancel(): void;
}

/** Schedules the post-start collection; its timers are unref'd (they never keep a thread alive). */
export function scheduleIdleGc(opts: IdleGcOptions): IdleGc {
  const stepMs = opts.stepMs ?? STEP_MS;
  const giveUpAt = performance.now() + (opts.giveUpMs ?? GIVE_UP_MS);
  let timer: NodeJS.Timeout | undefined;
  let settled = false;
  let finish: (o: IdleGcOutcome) => void = () => undefined;
  const done = new Promise<IdleGcOutcome>((r) => (finish = r));
  const end = (o: IdleGcOutcome): void => {
    if (settled) return;
    settled = true;
    if (timer !== undefined) clearTimeout(timer);
    finish(o);
  };
  const later = (ms: number, fn: () => void): void => {
    timer = setTimeout(fn, ms);
    timer.unref();
  };
  /** Waits `quietMs`; a busy window waits again (until the give-up time). */
  const waitQuiet = (): void => {
    opts.busy(); // a new window starts now
    later(opts.quietMs, () => {
      if (opts.busy()) {
        if (performance.now() >= giveUpAt) end('gave-up');
        else waitQuiet();
        return;
      }
      step(0);
    });
  };
  /** The full collections; work that arrives between two ends them (the young generation is given back already). */
  const full = (i: number): void => {
    opts.gc();
    if (i + 1 === FULL_COLLECTIONS) return end('collected');
    opts.busy();
    later(stepMs, () => (opts.busy() ? end('collected') : full(i + 1)));
  };
  const step = (i: number): void => {
    if (i === QUIET_SCAVENGES) return full(0);
    opts.gc({ type: 'minor' });
    // What the scavenge itself did is not work that arrived.
    opts.busy();
    later(stepMs, () => {
      if (opts.busy()) waitQuiet();
      else step(i + 1);
    });
  };
  waitQuiet();
  return { done, cancel: () => end('cancelled') };
}

/**
 * Busy when the event loop worked more than `share` of the window since the previous call. An idle node's threads
 * still get a little work each second (a metrics batch from each worker on the main thread, housekeeping ticks in
 * the operator and the streamer: well under 1 % of the loop); a loaded one's loop is busy most of the time.
 */
export function eventLoopBusy(share = 0.05): () => boolean {
  let last = performance.eventLoopUtilization();
  return () => {
    const now = performance.eventLoopUtilization();
    const busy = performance.eventLoopUtilization(now, last).utilization > share;
    last = now;
    return busy;
  };
}

/**
 * `ELRT_IDLE_GC_MS`: how long an isolate must be quiet after its start before the post-start collection
 * (default 1000; 0 turns it off).
 */
export function idleGcQuietMs(env: NodeJS.ProcessEnv = process.env): number {
  const v = env['ELRT_IDLE_GC_MS'];
  if (v === undefined || v === '') return DEFAULT_QUIET_MS;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`ELRT_IDLE_GC_MS must be a whole number of ms, got '${v}'`);
  return n;
}

/** `ELRT_IDLE_GC_COMPACT`: whether the full collections compact as for memory (default 1; 0 runs plain ones). */
export function idleGcCompact(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env['ELRT_IDLE_GC_COMPACT'];
  if (v === undefined || v === '' || v === '1') return true;
  if (v === '0') return false;
  throw new Error(`ELRT_IDLE_GC_COMPACT must be 0 or 1, got '${v}'`);
}

/**
 * `gc` whose full collections compact as V8 does when optimizing for memory (the header says why); `gc` itself
 * when the process runs with --optimize-for-size already (it is not cleared then).
 */
export function compactingGc(
  gc: GcFunction,
  execArgv: readonly string[] = process.execArgv,
  nodeOptions: string = process.env['NODE_OPTIONS'] ?? '',
): GcFunction {
  if (/--optimize[-_]for[-_]size/.test([...execArgv, nodeOptions].join(' '))) return gc;
  return (opts) => {
    if (opts?.type === 'minor') return gc(opts);
    setFlagsFromString('--optimize-for-size');
    try {
      gc();
    } finally {
      setFlagsFromString('--no-optimize-for-size');
    }
  };
}
