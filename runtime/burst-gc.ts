// The post-start collection again after a burst (issue 12: RSS back within 20% of idle after a 55 MB PUT). A burst
// leaves an isolate with a grown young generation (V8 shrinks it only at a collection that sees a low allocation
// rate, and a thread that went quiet runs none) and with dead Buffers whose native memory V8 frees only when it
// collects them (external memory counts toward a collection only past its 64 MB soft limit); V8's memory reducer
// comes 8-10 s after the heap grew, if at all. After the 55 MB PUT, a probe of the node (each worker's
// `getHeapSpaceStatistics` and `process.memoryUsage` 20 s after the rows landed; scratch, not recorded) found one or
// the other in the operator: an 8 MB young generation in one run, 11 MB more external memory in another (the
// node's smaps showed 512 KB mappings holding the body's pieces, read back from the journal in the catch-up).
// So each worker watches its isolate: once a second it reads V8's committed heap plus its external memory (a V8
// getter, microseconds), and when that has grown GROWTH_BYTES past what the last collection left, it runs the
// post-start sequence again (idle-gc.ts: it waits until the thread is quiet, then eleven spaced scavenges that let
// the young generation shrink and six full collections). A load whose heap stays level never starts it; one that
// keeps the thread busy defers it until the thread is quiet (it gives up after idle-gc's GIVE_UP_MS and counts from
// there). What the collections free goes back to the system with jemalloc's decay, or on glibc at the next
// malloc_trim (main/cli/allocator.ts, main/cli/malloc-trim.ts).
// `ELRT_IDLE_GC_MS=0` turns it off with the post-start collection.
import { getHeapStatistics } from 'node:v8';
import { eventLoopBusy, scheduleIdleGc, type GcFunction, type IdleGc } from './idle-gc.js';

export const CHECK_MS = 1000;
/** Growth of heap + external memory since the last collection that calls for another. */
export const GROWTH_BYTES = 4 << 20;

export interface BurstGcOptions {
  gc: GcFunction;
  /** A fresh busy reader for each sequence (eventLoopBusy in a worker). */
  busy?: () => () => boolean;
  /** The isolate's memory the watch follows (bytes). */
  size?: () => number;
  quietMs: number;
  checkMs?: number;
  growthBytes?: number;
  stepMs?: number;
  /** Told when a sequence ends (tests, logs). */
  onCollected?: (before: number, after: number) => void;
}

/** V8's committed heap and the external memory it accounts for (Buffers, ArrayBuffers). */
export function isolateSize(): number {
  const h = getHeapStatistics();
  return h.total_physical_size + h.external_memory;
}

export interface BurstGc {
  stop(): void;
}

/** Starts watching; the baseline is the size now (call it after the post-start collection). Timers are unref'd. */
export function watchBursts(opts: BurstGcOptions): BurstGc {
  const size = opts.size ?? isolateSize;
  const busy = opts.busy ?? (() => eventLoopBusy());
  const growth = opts.growthBytes ?? GROWTH_BYTES;
  let base = size();
  let running: IdleGc | undefined;
  let stopped = false;
  const timer = setInterval(() => {
    if (running) return;
    const now = size();
    // What shrank on its own lowers the mark: the next burst is measured from there.
    if (now < base) base = now;
    if (now - base < growth) return;
    const seq = scheduleIdleGc({
      gc: opts.gc,
      busy: busy(),
      quietMs: opts.quietMs,
      ...(opts.stepMs !== undefined ? { stepMs: opts.stepMs } : {}),
    });
    running = seq;
    void seq.done.then((outcome) => {
      running = undefined;
      if (stopped || outcome === 'cancelled') return;
      // What is left is live (or the sequence gave up under load): the next burst counts from here.
      base = size();
      if (outcome === 'collected') opts.onCollected?.(now, base);
    });
  }, opts.checkMs ?? CHECK_MS);
  timer.unref();
  return {
    stop: () => {
      stopped = true;
      clearInterval(timer);
      running?.cancel();
    },
  };
}
