// Giving freed native memory back to the kernel, on glibc (on jemalloc, which the node runs on where the system has
// it, none of this is used: allocator.ts). glibc keeps what a thread's malloc arena has freed as its own
// free list (a high-water mark per arena), and the node's threads (REST, streamer, operator, libsql's) each peak
// at different moments of a long load: in a 10-minute soak anonymous RSS kept rising while the V8 heaps stayed
// flat, and malloc_trim(0) called into the running node through gdb dropped it from 260 to 192 MB (bench/README.md
// soak; 167 MB in use of 261 MB held). glibc has no setting that trims on its own, so the node calls
// malloc_trim(0) itself (on a thread of libuv's pool) every `ELRT_MALLOC_TRIM_MS` (10 s; 0 = never): glibc walks
// every arena (malloc.c `__malloc_trim`) and madvises their free pages away, in about a millisecond for a busy
// node's heaps with an arena per thread, 50-100 ms with the two arenas of the cap below. koffi (a prebuilt FFI, no
// compiler at install) calls it; on a system without glibc (musl, macOS) the trimmer is off and says so once.
// malloc_trim does not reach two things (malloc.c `mtrim`): the top chunk of a thread's arena (only the main
// arena's is trimmed) and blocks glibc serves from an arena because its mmap threshold rose. glibc raises the
// threshold to the size of each large mmapped block freed (up to 32 MB) and the top's trim threshold to twice that,
// so after a burst of 512 KB body pieces and 8 MB slices, later large buffers come from the arenas and stay there.
// `mallopt(M_MMAP_THRESHOLD)` at run time fixes the threshold (and turns the raising off, as MALLOC_MMAP_THRESHOLD_
// does at exec): the CLI sets 128 KiB, glibc's own starting value, and the same trim threshold, before the node's
// threads start (`ELRT_MALLOC_MMAP_THRESHOLD`, bytes; 0 leaves glibc's dynamic threshold; a MALLOC_MMAP_THRESHOLD_
// in the environment is left as glibc read it). What it changes after a large PUT and what it costs ingest:
// bench/README.md put-55mb-rss.
// glibc gives each thread that mallocs while the others hold their arenas an arena of its own, up to eight per core
// (malloc.c `arena_get2`): the node's writing threads (REST, streamer, operator, the query workers, libsql's and V8's
// own) each keep their arena's high-water mark and free lists, and a soak's anonymous RSS climbed about 1 MB a
// minute with every V8 heap level (bench/README.md soak). `mallopt(M_ARENA_MAX)` before the workers start caps
// how many arenas are made from then on (`ELRT_MALLOC_ARENA_MAX`, default 2; 0 leaves glibc's limit;
// MALLOC_ARENA_MAX in the environment is left as glibc read it): threads past the cap share the existing arenas, so
// freed chunks are reused by whichever thread allocates next instead of waiting in the arena of the thread that
// freed them. Node's first threads (V8's platform workers) made their arenas before this code runs, and glibc keeps
// them: a soak's node had six (gdb `malloc_stats`, bench/README.md soak). So `start` first execs itself with
// MALLOC_ARENA_MAX set (arena-exec.ts), and this mallopt caps only when that could not be done.
import type { Logger } from '../../base/log.js';
import { errorMessage } from '../../base/errors.js';

export const DEFAULT_TRIM_MS = 10_000;
/** glibc's initial (and, fixed, the CLI's) mmap threshold: malloc.c DEFAULT_MMAP_THRESHOLD_MIN. */
export const DEFAULT_MMAP_THRESHOLD = 128 * 1024;
/** glibc's largest mmap threshold on 64-bit (malloc.c HEAP_MAX_SIZE / 2). */
const MAX_MMAP_THRESHOLD = 32 * 1024 * 1024;
// malloc.h
const M_TRIM_THRESHOLD = -1;
const M_MMAP_THRESHOLD = -3;
const M_ARENA_MAX = -8;
/** The CLI's arena cap: what Heroku and others ship for many-threaded servers; ingest cost in bench/README.md soak. */
export const DEFAULT_ARENA_MAX = 2;

export interface Trimmer {
  /** Trims now; returns glibc's answer (1: memory was given back) and the time it took. */
  trim(): { released: boolean; ms: number };
  stop(): void;
}

type TrimFn = ((pad: number) => number) & {
  /** koffi's asynchronous call: runs on a thread of libuv's pool, answers on this thread's event loop. */
  async: (pad: number, cb: (err: unknown, released: number) => void) => void;
};
type MalloptFn = (param: number, value: number) => number;

async function libc(): Promise<ReturnType<typeof import('koffi').load>> {
  if (process.platform !== 'linux') throw new Error(`malloc_trim and mallopt are glibc's; this is ${process.platform}`);
  const koffi = (await import('koffi')).default;
  return koffi.load('libc.so.6');
}

async function loadTrim(): Promise<TrimFn> {
  return (await libc()).func('int malloc_trim(size_t pad)') as TrimFn;
}

/**
 * The fixed mmap threshold from the environment: `ELRT_MALLOC_MMAP_THRESHOLD` bytes (default 128 KiB, 0 = glibc's
 * dynamic threshold); undefined also when MALLOC_MMAP_THRESHOLD_ is set (glibc took that one at exec).
 */
export function mmapThresholdBytes(env: NodeJS.ProcessEnv = process.env): number | undefined {
  if ((env['MALLOC_MMAP_THRESHOLD_'] ?? '') !== '') return undefined;
  const v = env['ELRT_MALLOC_MMAP_THRESHOLD'];
  if (v === undefined || v === '') return DEFAULT_MMAP_THRESHOLD;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > MAX_MMAP_THRESHOLD)
    throw new Error(
      `ELRT_MALLOC_MMAP_THRESHOLD must be a whole number of bytes up to ${MAX_MMAP_THRESHOLD}, got '${v}'`,
    );
  return n === 0 ? undefined : n;
}

/**
 * glibc's mallopt, which answers 1 on success and 0 on a value it refuses; undefined (logged: glibc keeps `keeps`)
 * where there is none.
 */
async function loadMallopt(log: Logger, keeps: string): Promise<MalloptFn | undefined> {
  try {
    return (await libc()).func('int mallopt(int param, int value)') as MalloptFn;
  } catch (err) {
    log.info(`mallopt is not available: glibc keeps ${keeps}`, { error: errorMessage(err) });
    return undefined;
  }
}

/**
 * Fixes glibc's mmap and trim thresholds at `bytes` for the whole process (call before the node's threads start:
 * their arenas are served under it from their first block). False when mallopt is not there (logged) or refused.
 */
export async function fixMmapThreshold(bytes: number, log: Logger): Promise<boolean> {
  const mallopt = await loadMallopt(log, 'its dynamic mmap threshold');
  if (mallopt === undefined) return false;
  const ok = mallopt(M_MMAP_THRESHOLD, bytes) === 1 && mallopt(M_TRIM_THRESHOLD, bytes) === 1;
  if (!ok) log.warn('mallopt refused the mmap threshold', { bytes });
  return ok;
}

/**
 * The arena cap from the environment: `ELRT_MALLOC_ARENA_MAX` (default 2, 0 = glibc's own limit, eight per core);
 * undefined also when MALLOC_ARENA_MAX is set (glibc took that one at exec).
 */
export function arenaMax(env: NodeJS.ProcessEnv = process.env): number | undefined {
  if ((env['MALLOC_ARENA_MAX'] ?? '') !== '') return undefined;
  const v = env['ELRT_MALLOC_ARENA_MAX'];
  if (v === undefined || v === '') return DEFAULT_ARENA_MAX;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 1024)
    throw new Error(`ELRT_MALLOC_ARENA_MAX must be a whole number of arenas up to 1024, got '${v}'`);
  return n === 0 ? undefined : n;
}

/**
 * Caps glibc's arenas at `n` for the whole process (before the node's threads start: a thread takes its arena at its
 * first malloc and keeps it). False when mallopt is not there (logged) or refused.
 */
export async function limitArenas(n: number, log: Logger): Promise<boolean> {
  const mallopt = await loadMallopt(log, 'its own arena limit');
  if (mallopt === undefined) return false;
  const ok = mallopt(M_ARENA_MAX, n) === 1;
  if (!ok) log.warn('mallopt refused the arena limit', { arenas: n });
  return ok;
}

/** The trim interval from the environment: `ELRT_MALLOC_TRIM_MS`, default 10 s, 0 turns it off. */
export function trimIntervalMs(env: NodeJS.ProcessEnv = process.env): number {
  const v = env['ELRT_MALLOC_TRIM_MS'];
  if (v === undefined || v === '') return DEFAULT_TRIM_MS;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`ELRT_MALLOC_TRIM_MS must be a whole number of ms, got '${v}'`);
  return n;
}

/** Starts trimming every `everyMs`; undefined when it is off (0) or glibc's malloc_trim is not there (logged). */
export async function startMallocTrim(everyMs: number, log: Logger): Promise<Trimmer | undefined> {
  if (everyMs === 0) return undefined;
  let fn: TrimFn;
  try {
    fn = await loadTrim();
  } catch (err) {
    log.info('malloc_trim is not available: freed native memory stays with the allocator', {
      error: errorMessage(err),
    });
    return undefined;
  }
  const trim = (): { released: boolean; ms: number } => {
    const t0 = performance.now();
    const released = fn(0) === 1;
    return { released, ms: performance.now() - t0 };
  };
  // The periodic trim runs on a thread of libuv's pool, not on the main thread: with the arenas capped at two, each
  // holds every thread's chunks, and walking them took 50-100 ms under a soak's load (bench/README.md soak), which
  // on the main thread delayed the control socket and REST's routing by as much. One trim at a time.
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    const t0 = performance.now();
    try {
      fn.async(0, (err) => {
        running = false;
        if (err) log.warn('malloc_trim failed', { error: errorMessage(err) });
        // Other threads wait for an arena's lock while the trim walks it: worth knowing when it is long.
        else if (performance.now() - t0 > 200)
          log.info('malloc_trim was slow', { ms: Math.round(performance.now() - t0) });
      });
    } catch (err) {
      // The call could not be queued (koffi's async pool): the next tick tries again.
      running = false;
      log.warn('malloc_trim could not be queued', { error: errorMessage(err) });
    }
  }, everyMs);
  timer.unref();
  return { trim, stop: () => clearInterval(timer) };
}
