// `edgelake-rt start [node.yaml|script.al] [--root DIR] [--log-level L] [--log-format json|pretty]`: runs a node in the foreground until
// SIGINT/SIGTERM, `edgelake-rt stop` or `exit node`; then every actor gets `stop` in reverse order.
// Exit status: 0 after a requested stop, 1 when the root supervisor gave up or the start failed.
import { errorMessage } from '../../base/errors.js';
import { bootNode } from '../boot.js';
import { createLogger, prettySink, streamSink } from '../../base/log.js';
import { socketPath } from '../../node/layout.js';
import type { CliArgs } from './args.js';
import { isolateGc } from '../../runtime/gc.js';
import { compactingGc, eventLoopBusy, idleGcCompact, idleGcQuietMs, scheduleIdleGc } from '../../runtime/idle-gc.js';
import { keepRunningWhenOutputCloses, writable } from './closed-output.js';
import { activeAllocator, allocatorChoice, execEnv, JEMALLOC_PATHS } from './allocator.js';
import { logArenaExecFailure } from './arena-exec.js';
import {
  arenaMax,
  fixMmapThreshold,
  limitArenas,
  mmapThresholdBytes,
  startMallocTrim,
  trimIntervalMs,
} from './malloc-trim.js';

/**
 * `started` is called once the node runs (or failed to start); `execFailure` says why the re-exec with the arena cap
 * was not done (arena-exec.ts), to be logged.
 */
export async function runStart(
  args: CliArgs,
  started: () => void = () => undefined,
  execFailure?: string,
): Promise<number> {
  const [file, extra] = args.positional;
  if (extra !== undefined) throw new Error(`start takes one file (node.yaml or script.al), got also '${extra}'`);
  let exitCode = 0;
  let done: (code: number) => void = () => undefined;
  const finished = new Promise<number>((r) => (done = r));
  const trimEvery = trimIntervalMs();
  const mmapThreshold = mmapThresholdBytes();
  const arenas = arenaMax();
  // Checked before the workers start: each reads the same variable (runtime/host.ts).
  const idleGcMs = idleGcQuietMs();
  const idleGcCompacts = idleGcCompact();
  // Before anything is written: a reader that goes away must not stop the node (closed-output.ts).
  keepRunningWhenOutputCloses();
  const toStderr = (line: string): void => {
    if (writable(process.stderr)) process.stderr.write(line);
  };
  const logSink = args.logFormat === 'pretty' ? prettySink(toStderr) : streamSink(toStderr);
  const memoryLog = createLogger('memory', logSink, args.logLevel ?? 'info');
  logArenaExecFailure(execFailure, memoryLog);
  // glibc's settings and trims are for glibc's malloc; under jemalloc (allocator.ts) its background thread gives
  // unused pages back, and glibc's arenas hold next to nothing.
  const onLibc = activeAllocator() === 'libc';
  if (!onLibc) memoryLog.info('allocator: jemalloc (preloaded)', { MALLOC_CONF: execEnv('MALLOC_CONF') });
  else
    memoryLog.info("allocator: the C library's malloc", {
      MALLOC_ARENA_MAX: process.env['MALLOC_ARENA_MAX'] ?? arenas ?? 'glibc default',
      trimEveryMs: trimEvery,
    });
  if (onLibc && allocatorChoice() === 'jemalloc')
    memoryLog.warn('ELRT_ALLOCATOR=jemalloc, but jemalloc is not loaded: running on glibc', {
      looked: JEMALLOC_PATHS.join(' '),
    });
  // Before any worker starts: every thread's large blocks are then mmapped and given back when freed (malloc-trim.ts).
  if (onLibc && mmapThreshold !== undefined) await fixMmapThreshold(mmapThreshold, memoryLog);
  if (onLibc && arenas !== undefined) await limitArenas(arenas, memoryLog);
  const running = await bootNode({
    ...(file !== undefined ? { file } : {}),
    ...(args.root !== undefined ? { root: args.root } : {}),
    ...(args.logLevel !== undefined ? { logLevel: args.logLevel } : {}),
    logSink,
    onStop: (_reason, code) => {
      exitCode = code;
      done(code);
    },
  }).finally(started);
  if (writable(process.stdout))
    process.stdout.write(
      `edgelake-rt node '${running.node.name}' running\r\n  root: ${running.node.root}\r\n  control: ${socketPath(running.node.root)}\r\n`,
    );
  // The whole process's allocator: a CLI concern, not the in-process nodes of tests (malloc-trim.ts says why).
  const trimmer = onLibc ? await startMallocTrim(trimEvery, memoryLog) : undefined;
  // What starting the services allocated and freed (module loading, handshakes, schema checks) goes back now,
  // not at the first interval.
  trimmer?.trim();
  // The main thread's post-start collection (runtime/idle-gc.ts; the workers run their own after `ready`). Its
  // `gc` exists once spawn-host.ts has set --expose-gc, which loading the node did. What the collection frees of
  // native memory (external buffers, finalized handles) goes back with one more trim.
  const gc = isolateGc();
  const idleGc =
    idleGcMs > 0 && gc !== undefined
      ? scheduleIdleGc({ gc: idleGcCompacts ? compactingGc(gc) : gc, quietMs: idleGcMs, busy: eventLoopBusy() })
      : undefined;
  void idleGc?.done.then((outcome) => {
    if (outcome === 'collected') trimmer?.trim();
  });
  const onSignal = (sig: string): void => {
    running.stop(`signal ${sig}`).then(
      () => done(0),
      (err: unknown) => {
        process.stderr.write(`edgelake-rt: stop failed: ${errorMessage(err)}\n`);
        done(1);
      },
    );
  };
  process.once('SIGINT', () => onSignal('SIGINT'));
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  const code = await finished;
  idleGc?.cancel();
  trimmer?.stop();
  return code || exitCode;
}
