// The arena cap from the process's first instruction. glibc reads MALLOC_ARENA_MAX once, at exec, and Node's first
// threads (V8's platform workers, the main thread) take their arenas before any JavaScript runs, so the CLI's
// `mallopt(M_ARENA_MAX)` caps only the arenas made after it: a soak's node had six (gdb `malloc_stats`, bench/README.md
// soak). `start` therefore execs itself once more, before it loads anything else, with MALLOC_ARENA_MAX in its
// environment: execve(2) keeps the pid (users, service managers and the kill -9 tests signal the process they started),
// the open descriptors that are not close-on-exec, the arguments and Node's own flags. Node marks stdin, stdout and
// stderr close-on-exec at its start (node.cc PlatformInit); those three are handed on by clearing the flag just before
// the call. A forked Node (an IPC channel to its parent) is not re-executed. When the call fails, `start` goes on in
// this process and the late mallopt is the fallback (malloc-trim.ts `limitArenas`). koffi (a prebuilt FFI) makes the
// calls, as it does malloc_trim's. The same exec puts jemalloc in LD_PRELOAD where the system has it (allocator.ts):
// the dynamic loader reads that only at exec too.
import type { Logger } from '../../base/log.js';
import { errorMessage } from '../../base/errors.js';
import { allocatorChoice, EXEC_MARK, execMark, findJemalloc, JEMALLOC_CONF } from './allocator.js';
import { arenaMax } from './malloc-trim.js';

// fcntl.h
const F_GETFD = 1;
const F_SETFD = 2;
const FD_CLOEXEC = 1;

/** What the re-exec would do here: the arena cap and the library preloaded (either may be absent) and the new
 * environment, or why it is not done. */
export type ArenaExecPlan = { cap?: number; preload?: string; env: string[] } | { skip: string };

/**
 * Whether to re-execute, and with what: on Linux, not in a forked Node, when the environment lacks MALLOC_ARENA_MAX
 * (unless `ELRT_MALLOC_ARENA_MAX=0` asks for glibc's own limit) or has no LD_PRELOAD while `jemalloc`, the library
 * found, is to be used (allocator.ts). The environment is the process's, plus what is missing and the exec mark
 * (allocator.ts EXEC_MARK): the new image finds the mark and does not exec again, whatever the loader did with
 * LD_PRELOAD.
 */
export function arenaExecPlan(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  forked: boolean = process.channel !== undefined,
  jemalloc: string | null = allocatorChoice(env) === 'glibc' ? null : (findJemalloc() ?? null),
): ArenaExecPlan {
  if (platform !== 'linux') return { skip: `glibc's arena cap and LD_PRELOAD are Linux's; this is ${platform}` };
  // Node takes NODE_CHANNEL_FD out of the environment at its start, so a forked node is known by its channel: the
  // new image would not know the IPC pipe it inherits.
  if (forked) return { skip: 'a forked node (its IPC channel would not survive exec)' };
  if (env[EXEC_MARK] !== undefined) return { skip: 'already re-executed' };
  const cap = arenaMax(env);
  // A user's LD_PRELOAD wins: their library may be another malloc, or heaptrack's hooks.
  const preload = jemalloc !== null && (env['LD_PRELOAD'] ?? '') === '' ? jemalloc : undefined;
  if (cap === undefined && preload === undefined)
    return { skip: 'MALLOC_ARENA_MAX is set (or ELRT_MALLOC_ARENA_MAX=0) and there is no allocator to preload' };
  const set = new Map<string, string>();
  if (cap !== undefined) set.set('MALLOC_ARENA_MAX', String(cap));
  if (preload !== undefined) {
    set.set('LD_PRELOAD', preload);
    if ((env['MALLOC_CONF'] ?? '') === '') set.set('MALLOC_CONF', JEMALLOC_CONF);
  }
  set.set(EXEC_MARK, execMark(env));
  const out: string[] = [];
  for (const [k, v] of Object.entries(env)) if (v !== undefined && !set.has(k)) out.push(`${k}=${v}`);
  for (const [k, v] of set) out.push(`${k}=${v}`);
  return { ...(cap !== undefined ? { cap } : {}), ...(preload !== undefined ? { preload } : {}), env: out };
}

type Fcntl = (fd: number, cmd: number, arg: number) => number;
type Execve = (path: string, argv: (string | null)[], envp: (string | null)[]) => number;

/**
 * Replaces this process with the same command and the plan's environment (MALLOC_ARENA_MAX, LD_PRELOAD). Returns
 * only when it was not done: why (to log once the logger exists), or undefined when the plan said to skip.
 */
export async function execWithArenaCap(plan: ArenaExecPlan = arenaExecPlan()): Promise<string | undefined> {
  if ('skip' in plan) return undefined;
  let fcntl: Fcntl;
  let execve: Execve;
  let koffiErrno: () => number;
  try {
    const koffi = (await import('koffi')).default;
    koffiErrno = () => koffi.errno();
    const libc = koffi.load('libc.so.6');
    fcntl = libc.func('int fcntl(int fd, int cmd, int arg)') as Fcntl;
    execve = libc.func('int execve(const char *path, const char **argv, const char **envp)') as Execve;
  } catch (err) {
    return `execve is not available: ${errorMessage(err)}`;
  }
  // The standard descriptors that are open, with their flags as Node left them (restored if exec fails).
  const kept = [0, 1, 2].map((fd) => ({ fd, flags: fcntl(fd, F_GETFD, 0) })).filter((d) => d.flags >= 0);
  for (const d of kept) fcntl(d.fd, F_SETFD, d.flags & ~FD_CLOEXEC);
  const argv = [process.argv0, ...process.execArgv, ...process.argv.slice(1)];
  const rc = execve(process.execPath, [...argv, null], [...plan.env, null]);
  const errno = koffiErrno();
  for (const d of kept) fcntl(d.fd, F_SETFD, d.flags);
  return `execve ${process.execPath} failed (${rc}, errno ${errno})`;
}

/** Logs, once the node's logger exists, that the re-exec was tried and not done (the late mallopt caps instead). */
export function logArenaExecFailure(why: string | undefined, log: Logger): void {
  if (why !== undefined)
    log.warn('could not re-execute with MALLOC_ARENA_MAX and the allocator: arenas made before now stay', { why });
}
