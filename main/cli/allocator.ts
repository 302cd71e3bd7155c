// Which malloc the node's process runs on. glibc's keeps every span it has taken and gives back only whole free pages
// at a trim, so under a steady load the resident part of its arenas creeps up as spans are reused by blocks of other
// sizes (bench/README.md soak: no allocation site grows, the arenas' resident share does). jemalloc sorts blocks by
// size class into their own pages and hands back pages left unused for `dirty_decay_ms` (10 s) from a background
// thread. Where the system has it (Debian and Ubuntu: libjemalloc2; Redis depends on it), `start` runs the node on it:
// the re-exec that sets glibc's arena cap (arena-exec.ts) also puts the library in LD_PRELOAD, which the dynamic loader
// reads only at exec. Measured side by side on this project's 2-core machine (bench/README.md, "The allocator"), with
// the settings below: `ingest-sqlite` 0.93 of raw libsql against 0.78 on glibc in three alternating rounds each (both
// sides on the same malloc; 0.90 in the figures of record), idle 106 MB against 104. jemalloc's own defaults (an arena
// per four cores' threads, 10 s decay) held 116 MB idle, over the 110 MB target.
// `ELRT_ALLOCATOR`: `auto` (the default: jemalloc when found, else glibc), `jemalloc` (the same, and a warning when
// it is not found), `glibc` (never preload). An LD_PRELOAD the user set wins: nothing is preloaded then (their
// library may be another malloc, or heaptrack's hooks). A MALLOC_CONF the user set replaces ours. The node's own
// children (`system` commands, a child node) get the environment the user gave it back (`restoreEnvAfterExec`).
import { existsSync, readFileSync } from 'node:fs';

export type AllocatorChoice = 'auto' | 'jemalloc' | 'glibc';

/** Where distributions put jemalloc's shared library (Debian/Ubuntu multiarch, Fedora/RHEL, Alpine, Arch). */
export const JEMALLOC_PATHS = [
  '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2',
  '/usr/lib/aarch64-linux-gnu/libjemalloc.so.2',
  '/usr/lib64/libjemalloc.so.2',
  '/usr/lib/libjemalloc.so.2',
] as const;

/**
 * jemalloc's settings when the environment has no MALLOC_CONF. A background thread returns unused pages on its own
 * schedule, so an idle node's freed memory goes back without an allocation to trigger the purge; pages unused for a
 * second go back (jemalloc's default waits 10 s); one arena, with per-thread caches of blocks up to 4 KiB, instead
 * of one per four threads of each core: each arena keeps its own partly used pages. Measured with these: idle
 * 106 MB; jemalloc's defaults 116 MB (bench/README.md, "The allocator"). `lg_tcache_max:12` (4 KiB) is the name
 * jemalloc 5.2 knows too (5.3's `tcache_max:4096` is the same setting, and what the figures ran with).
 */
export const JEMALLOC_CONF = 'background_thread:true,narenas:1,lg_tcache_max:12,dirty_decay_ms:1000';

export function allocatorChoice(env: NodeJS.ProcessEnv = process.env): AllocatorChoice {
  const v = env['ELRT_ALLOCATOR'] ?? '';
  if (v === '') return 'auto';
  if (v === 'auto' || v === 'jemalloc' || v === 'glibc') return v;
  throw new Error(`ELRT_ALLOCATOR must be auto, jemalloc or glibc, got '${v}'`);
}

/** The first jemalloc library that exists, or undefined. */
export function findJemalloc(exists: (path: string) => boolean = existsSync): string | undefined {
  return JEMALLOC_PATHS.find((p) => exists(p));
}

/**
 * The variable the re-exec leaves in the new image's environment: the values LD_PRELOAD and MALLOC_CONF had before
 * (JSON; null for unset). Its presence says the exec was done, so the image does not exec again even where the loader
 * drops LD_PRELOAD (secure-execution mode: a node binary with file capabilities); `restoreEnvAfterExec` takes it out.
 */
export const EXEC_MARK = 'ELRT_REEXEC_ORIGINAL_ENV';
const RESTORED = ['LD_PRELOAD', 'MALLOC_CONF'] as const;

/** The mark's value for an environment about to be changed: what LD_PRELOAD and MALLOC_CONF were. */
export function execMark(env: NodeJS.ProcessEnv): string {
  return JSON.stringify(Object.fromEntries(RESTORED.map((k) => [k, env[k] ?? null])));
}

/**
 * In the re-executed image: gives LD_PRELOAD and MALLOC_CONF back the values the user had (the loader and jemalloc
 * read them at exec; this process's children should not inherit ours) and removes the mark. MALLOC_ARENA_MAX stays.
 */
export function restoreEnvAfterExec(env: NodeJS.ProcessEnv = process.env): void {
  const mark = env[EXEC_MARK];
  if (mark === undefined) return;
  delete env[EXEC_MARK];
  const was = JSON.parse(mark) as Record<string, string | null>;
  for (const k of RESTORED) {
    const v = was[k];
    if (v === undefined) continue;
    if (v === null) delete env[k];
    else env[k] = v;
  }
}

/** A variable as it was when this process was exec'd (/proc/self/environ), not as `process.env` has it since. */
export function execEnv(name: string, environ = (): string => readFileSync('/proc/self/environ', 'utf8')): string {
  try {
    const kv = environ()
      .split('\0')
      .find((x) => x.startsWith(`${name}=`));
    return kv === undefined ? '' : kv.slice(name.length + 1);
  } catch {
    return process.env[name] ?? '';
  }
}

/**
 * The allocator this process runs on: jemalloc when it was the first library preloaded at exec (read from
 * /proc/self/environ, the environment the loader saw) and is mapped, else the C library's.
 */
export function activeAllocator(
  maps = (): string => readFileSync('/proc/self/maps', 'utf8'),
  environ = (): string => readFileSync('/proc/self/environ', 'utf8'),
): 'jemalloc' | 'libc' {
  try {
    const first = execEnv('LD_PRELOAD', environ).split(/[: ]/)[0] ?? '';
    return /\/libjemalloc\.so/.test(first) && maps().includes(first) ? 'jemalloc' : 'libc';
  } catch {
    // No /proc (not Linux): nothing is preloaded by `start` there.
    return 'libc';
  }
}
