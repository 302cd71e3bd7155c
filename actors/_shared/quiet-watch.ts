// A watch directory's entries, told once they have been quiet for a while: an inotify watch of the directory alone
// (node:fs `watch`), and for each name a deadline that every event for it pushes back.
// Why not chokidar: on every change chokidar's readdirp lstat's every entry of the directory, and it polls the size
// of each new entry (`awaitWriteFinish`), names the operator makes itself by claiming a file included: 7.4% of the
// operator thread in a profiled `ingest-files` run, more on libuv's pool (bench/README.md). Here an event costs a map
// write.
// When a name counts as written: no event for it within `quietMs`. Every write is an inotify IN_MODIFY (a `change`
// event), and creating, renaming in or out, or deleting a name is a `rename` event, so a name that has been quiet
// for `quietMs` has had no write for that long: at least what chokidar's `awaitWriteFinish` checked (size unchanged
// across `stabilityThreshold`), and also a write that keeps the size. A writer pausing longer than `quietMs`
// mid-file is taken early either way; writers should write elsewhere and rename in, as EdgeLake's own do (prep_dir).
// What it cannot see: inotify's queue overflow (libuv's `uv__inotify_read`, deps/uv/src/unix/linux.c, drops the
// IN_Q_OVERFLOW event: its watch descriptor is -1, which no watcher has), and a directory removed and made again
// (the watch ends with the old one). The owner therefore also scans the directory (at start and periodically), skips
// the names `pending` here, and reopens the watch when it closed or `stale` says the directory is not the one
// watched. Events about the directory itself come named after it (libuv names an event without a name so): the
// directory is then checked, and a watch of a directory gone or made again closes and says so through `onError`.
import { watch, type FSWatcher, type Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { errorMessage } from '../../base/errors.js';

export interface QuietWatchOptions {
  dir: string;
  /** An entry is told once no event came for it for this long. */
  quietMs: number;
  /** Names worth watching (the others' events are dropped at once). */
  accept: (name: string) => boolean;
  /** Names quiet for `quietMs`, in the order their last event came. */
  onQuiet: (names: string[]) => void;
  /** An event without a name (the kernel did not say which entry): the owner should scan. */
  onUnnamed: () => void;
  /** The watch failed; it is closed, and `closed` is true until the owner opens another. */
  onError: (err: Error) => void;
}

export class QuietWatch {
  /** Name -> time of its last event (performance.now()); Map order is insertion order, refreshed on each event. */
  private readonly last = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private watcher: FSWatcher | undefined;
  private readonly self: string;
  private constructor(
    private readonly opts: QuietWatchOptions,
    /** The watched directory's identity, to tell a directory made again from the one watched. */
    private readonly id: Stats,
  ) {
    this.self = basename(opts.dir);
  }

  /** Starts watching `opts.dir` (which must exist: checkWatchDir). */
  static async open(opts: QuietWatchOptions): Promise<QuietWatch> {
    const w = new QuietWatch(opts, await stat(opts.dir));
    // persistent: false: the worker's own message port keeps it alive; a watch must not hold a stopping worker.
    w.watcher = watch(opts.dir, { persistent: false }, (_event, name) => w.event(name));
    w.watcher.on('error', (err: Error) => {
      w.close();
      opts.onError(err);
    });
    return w;
  }

  get closed(): boolean {
    return this.watcher === undefined;
  }

  /** True when an event came for `name` within the last `quietMs` (it may still be being written). */
  pending(name: string): boolean {
    return this.last.has(name);
  }

  /** True when the watch is closed or the directory at `dir` is no longer the inode watched. */
  async stale(): Promise<boolean> {
    if (this.closed) return true;
    const st = await stat(this.opts.dir);
    // The inode number alone does not tell: a directory removed and made at once often gets the same one back;
    // its birth time (statx, 0 where the file system keeps none) differs.
    return st.ino !== this.id.ino || st.dev !== this.id.dev || st.birthtimeMs !== this.id.birthtimeMs;
  }

  /** After an event about the directory itself: a directory gone or made again closes the watch (`onError`). */
  private async checkSelf(): Promise<void> {
    let why: string | undefined;
    try {
      if (await this.stale()) why = 'it is not the directory watched (removed and made again, or moved)';
    } catch (err) {
      why = errorMessage(err);
    }
    if (why === undefined || this.closed) return;
    this.close();
    this.opts.onError(new Error(`watch of ${this.opts.dir} ended: ${why}`));
  }

  close(): void {
    this.watcher?.close();
    this.watcher = undefined;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.last.clear();
  }

  private event(name: string | null): void {
    if (name === null) return this.opts.onUnnamed();
    // Named after the directory: maybe the directory itself (removed, moved, or its attributes changed: chmod and
    // touch come so too), maybe an entry of that name. Checked, and handled as a name as well.
    if (name === this.self) void this.checkSelf();
    if (!this.opts.accept(name)) return;
    // Delete first so the name moves to the end: the map stays ordered by last event, and the sweep stops at the
    // first name still inside its quiet time.
    this.last.delete(name);
    this.last.set(name, performance.now());
    this.timer ??= setTimeout(() => this.sweep(), this.opts.quietMs);
  }

  private sweep(): void {
    this.timer = undefined;
    const now = performance.now();
    const quiet: string[] = [];
    let next: number | undefined;
    for (const [name, t] of this.last) {
      if (now - t < this.opts.quietMs) {
        next = t + this.opts.quietMs - now;
        break;
      }
      quiet.push(name);
    }
    for (const name of quiet) this.last.delete(name);
    if (next !== undefined) this.timer = setTimeout(() => this.sweep(), Math.max(1, Math.ceil(next)));
    if (quiet.length > 0) this.opts.onQuiet(quiet);
  }
}
