// Which malloc the node's process runs on. glibc's keeps every span it has taken and gives back only whole free
// pages at a trim, so under a steady load the resident part of its arenas creeps up as spans are reused by blocks
// of other sizes (bench/README.md soak: no allocation site grows, the arenas' resident share does). jemalloc sorts
// blocks by size class into their own pages and hands back pages left unused for `dirty_decay_ms` (10 s) from a
// background thread. `ELRT_ALLOCATOR=jemalloc` runs the node on it where the system has it (Debian and Ubuntu:
// libjemalloc2; Redis depends on it): the re-exec that sets glibc's arena cap (arena-exec.ts) also puts the library
// in LD_PRELOAD, which the dynamic loader reads only at exec; a node that does not find it says so and runs on glibc.
// It is not the default: measured side by side (bench/README.md, soak: the allocator), jemalloc took ingest from
// 0.80 to 0.88 of raw libsql (both sides on the same malloc) but held 12 MB more idle (116 MB against 104, over the
// 110 MB target) and 13-15 MB more under the soak's load, and the soak's growth was no lower. `glibc` (the default)
// never preloads. An LD_PRELOAD the user set is kept, after ours.
import { existsSync, readFileSync } from 'node:fs';

export type AllocatorChoice = 'jemalloc' | 'glibc';

/** Where distributions put jemalloc's shared library (Debian/Ubuntu multiarch, Fedora/RHEL, Alpine, Arch). */
export const JEMALLOC_PATHS = [
  '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2',
  '/usr/lib/aarch64-linux-gnu/libjemalloc.so.2',
  '/usr/lib64/libjemalloc.so.2',
  '/usr/lib/libjemalloc.so.2',
] as const;

/**
 * jemalloc's settings when the environment has no MALLOC_CONF: a background thread returns unused pages on its own
 * schedule, so an idle node's freed memory goes back without an allocation to trigger the purge.
 */
export const JEMALLOC_CONF = 'background_thread:true';

export function allocatorChoice(env: NodeJS.ProcessEnv = process.env): AllocatorChoice {
  const v = env['ELRT_ALLOCATOR'] ?? '';
  if (v === '') return 'glibc';
  if (v === 'jemalloc' || v === 'glibc') return v;
  throw new Error(`ELRT_ALLOCATOR must be glibc or jemalloc, got '${v}'`);
}

/** The first jemalloc library that exists, or undefined. */
export function findJemalloc(exists: (path: string) => boolean = existsSync): string | undefined {
  return JEMALLOC_PATHS.find((p) => exists(p));
}

/** Whether `path` is already among LD_PRELOAD's entries (separated by colons or spaces, ld.so(8)). */
export function preloads(env: NodeJS.ProcessEnv, path: string): boolean {
  return (env['LD_PRELOAD'] ?? '').split(/[: ]/).includes(path);
}

/** The allocator this process runs on: jemalloc when its library is mapped (preloaded), else the C library's. */
export function activeAllocator(maps = (): string => readFileSync('/proc/self/maps', 'utf8')): 'jemalloc' | 'libc' {
  try {
    return /\/libjemalloc\.so/.test(maps()) ? 'jemalloc' : 'libc';
  } catch {
    // No /proc (not Linux): nothing is preloaded by `start` there.
    return 'libc';
  }
}
