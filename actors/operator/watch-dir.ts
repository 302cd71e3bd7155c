// The operator's watch directory: its inotify watch (quiet files become `operator.file` messages) and the scan that
// takes what no event told of; files go through processFiles (file-group.ts). Failures that repeat at every scan
// are logged once per distinct error.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ActorContext } from '../../runtime/actor.js';
import { errorMessage } from '../../base/errors.js';
import { QuietWatch } from '../_shared/quiet-watch.js';
import { isCandidate, type FileContext } from './files.js';
import { processFiles } from './file-group.js';
import type { OperatorIn } from './messages.js';

/**
 * A watch-dir file is taken once no inotify event came for it for this long (quiet-watch.ts); chokidar's
 * `awaitWriteFinish` before it waited for the size to hold for 50 ms.
 */
const QUIET_MS = 50;

/** What of the operator's state the watch directory uses. */
export interface WatchDirState {
  fctx: FileContext;
  /** The watch directory's inotify watch; undefined while it cannot be opened (the scans go on and try again). */
  watcher: QuietWatch | undefined;
  /** The last error logged per watch-dir path (`logOnce`). */
  leftLogged: Map<string, string>;
}

/**
 * EdgeLake's operator takes every file of its types in watch_dir at each pass over the directory, every 5 s
 * (members/aloperator.py `run_operator`: cmd/member_cmd.py `get_files_from_dir`, generic/utils_io.py
 * `directory_walk`); here the watch's events take a file once it is written, and this scan (at start, every 5 s, and
 * after a watch error) takes what no event told of: files there before the watch, events lost to an inotify queue
 * overflow, a watch that failed. Names the watch holds as still being written are left to it.
 */
export async function scanWatchDir(state: WatchDirState, ctx: ActorContext<OperatorIn>): Promise<void> {
  const dir = state.fctx.dirs.watchDir;
  let names: string[];
  try {
    names = (await readdir(dir)).filter(isCandidate).sort();
  } catch (err) {
    // Removed or made unreadable while running: one line per distinct error, and the operator goes on (its
    // streamed rows do not depend on the directory); the next scan tries again, with a new watch (a watch of a
    // removed directory sees nothing of the one made again under its name).
    logOnce(state, dir, 'watch directory cannot be read', err);
    state.watcher?.close();
    return;
  }
  state.leftLogged.delete(dir);
  await rewatch(state, ctx);
  // Names the watch holds as still being written are skipped by prepareFile (`fctx.writing`).
  await filesNow(
    state,
    names.map((n) => join(dir, n)),
  );
}

/** Opens the watch again when it failed, or when the directory is not the one it watches (removed and made again). */
async function rewatch(state: WatchDirState, ctx: ActorContext<OperatorIn>): Promise<void> {
  const dir = state.fctx.dirs.watchDir;
  try {
    if (state.watcher && !(await state.watcher.stale())) return;
    state.watcher?.close();
    state.watcher = undefined;
    state.watcher = await openWatch(ctx, dir);
    state.leftLogged.delete(`watch:${dir}`);
  } catch (err) {
    // The scans go on without it (a file is then taken within SCAN_MS); logged once per distinct error.
    logOnce(state, `watch:${dir}`, 'watch directory cannot be watched; taking its files by scans only', err);
  }
}

/** The watch directory's inotify watch: quiet files become `operator.file` messages, trouble a scan. */
export function openWatch(ctx: ActorContext<OperatorIn>, dir: string): Promise<QuietWatch> {
  return QuietWatch.open({
    dir,
    quietMs: QUIET_MS,
    accept: isCandidate,
    onQuiet: (names) => ctx.send(ctx.self, { type: 'operator.file', paths: names.map((n) => join(dir, n)) }),
    onUnnamed: () => ctx.send(ctx.self, { type: 'operator.file' }),
    onError: (err) => {
      ctx.log.error('watch directory error; scanning it and watching it again', { dir, error: errorMessage(err) });
      ctx.send(ctx.self, { type: 'operator.file' });
    },
  });
}

/** Files through the operator, the ready ones of a dbms sharing transactions (file-group.ts). */
export async function filesNow(state: WatchDirState, paths: readonly string[]): Promise<void> {
  const failed = new Set<string>();
  await processFiles(state.fctx, paths, (path, err) => {
    failed.add(path);
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // already taken (claimed, archived)
    logOnce(state, path, 'file left for a later scan', err);
  });
  for (const p of paths) if (!failed.has(p)) state.leftLogged.delete(p);
}

/** A failure that repeats at every scan is logged when it first happens or changes, not every 5 s. */
function logOnce(state: WatchDirState, key: string, what: string, err: unknown): void {
  const text = errorMessage(err);
  if (state.leftLogged.get(key) === text) return;
  if (state.leftLogged.size >= 10_000) state.leftLogged.clear();
  state.leftLogged.set(key, text);
  state.fctx.log.warn(what, { path: key, error: text });
}
