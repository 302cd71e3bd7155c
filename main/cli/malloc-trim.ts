// Giving freed native memory back to the kernel. glibc keeps what a thread's malloc arena has freed as its own
// free list (a high-water mark per arena), and the node's threads (REST, streamer, operator, libsql's) each peak
// at different moments of a long load: in a 10-minute soak anonymous RSS kept rising while the V8 heaps stayed
// flat, and malloc_trim(0) called into the running node through gdb dropped it from 260 to 192 MB (bench/README.md
// soak; 167 MB in use of 261 MB held). A running process cannot change glibc's tunables (they are read at exec),
// so the node calls malloc_trim(0) itself, on the main thread, every `ELRT_MALLOC_TRIM_MS` (10 s; 0 = never):
// glibc walks every arena (malloc.c `__malloc_trim`) and madvises their free pages away, in about a millisecond
// for a busy node's heaps. koffi (a prebuilt FFI, no compiler at install) calls it; on a system without glibc
// (musl, macOS) the trimmer is off and says so once.
import type { Logger } from '../../base/log.js';
import { errorMessage } from '../../base/errors.js';

export const DEFAULT_TRIM_MS = 10_000;

export interface Trimmer {
  /** Trims now; returns glibc's answer (1: memory was given back) and the time it took. */
  trim(): { released: boolean; ms: number };
  stop(): void;
}

type TrimFn = (pad: number) => number;

async function loadTrim(): Promise<TrimFn> {
  if (process.platform !== 'linux') throw new Error(`malloc_trim is glibc's; this is ${process.platform}`);
  const koffi = (await import('koffi')).default;
  const libc = koffi.load('libc.so.6');
  return libc.func('int malloc_trim(size_t pad)') as TrimFn;
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
  const timer = setInterval(() => {
    const r = trim();
    // A slow trim holds each arena's lock while it walks it: worth knowing, never expected.
    if (r.ms > 50) log.warn('malloc_trim was slow', { ms: Math.round(r.ms) });
  }, everyMs);
  timer.unref();
  return { trim, stop: () => clearInterval(timer) };
}
