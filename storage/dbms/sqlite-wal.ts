// The operator's SQLite writer keeps the write-ahead log small, so that a start after kill -9 recovers a bounded log,
// whatever the table's size (issue 14, "Restart"; bench/README.md, restart-replay).
// SQLite's autocheckpoint is PASSIVE: it copies the frames no reader still needs, and the log starts over from its
// first frame only when a later write finds every frame copied and no reader in the log. Readers on other threads
// (the query pool's connections, the node's reader) overlap the checkpoints of a steady ingest, so the log kept
// growing: at the kill it held 30-120 MB of valid frames for a 1M-row table, which the next open reads back and the
// first connection to close (the node's start opens and closes a writer) checkpoints, on the main thread.
// Here the writer checkpoints itself: after a write, when the log passes WAL_BOUND_BYTES, with RESTART, which waits
// (a bounded time) for the readers that still use the log, copies every frame and leaves the log to start over at
// the next write; when the writer has been idle since the last `idle()` call and before it closes, with TRUNCATE,
// which also empties the file (an idle node leaves no log). A checkpoint only copies committed pages, so a kill at
// any point of it loses nothing (SQLite's WAL recovery).
// RESTART rather than TRUNCATE after a write: a truncated file grows again from 0 at every commit (new blocks, a size
// change in each fsync, on a `discard` mount the freed blocks trimmed), which measured 0.55-1.05 s of a 1.2M-row
// write (bench/README.md, "The log's checkpoint: TRUNCATE against RESTART"). The restarted log overwrites the file
// from its first frame under a new salt, so a recovery after kill -9 stops at the first frame of the old log
// (sqlite/src/wal.c `walIndexRecover`: a frame whose salt differs ends the log): the valid frames stay bounded.
// What tells the writer that the log passed its bound is the file's size (statSync; the node never opens the log or
// its index with fs: closing any descriptor of a file drops the POSIX locks SQLite holds on it, see
// test/ingest/locked-sqlite.test.ts). A restarted log hides in the old file until it outgrows it, so the writer's
// connection has `journal_size_limit` at the bound (sqlite.ts): SQLite cuts the file to the limit at the first commit
// of a restarted log (wal.c `walFrames`, "truncate the WAL to the journal size limit"), and the file grows past the
// bound exactly when the valid frames do. The file never stays past the bound either: what a copy or readers let it
// grow beyond is cut at the next restart.
// With a copier (sqlite-copier.ts, the operator's writer), the log past its bound is first copied on the copier's
// thread while writes go on, and the writer's RESTART comes at the first write after that copy took every frame: it
// then copies only what was written meanwhile. A copier that falls behind (the log a quarter bound further) or fails
// leaves the writer to copy inline, as without one.
import { statSync } from 'node:fs';
import type { LogCopier } from './sqlite-copier.js';

/**
 * The log's bound (bytes): about SQLite's autocheckpoint of 10,000 pages this writer had before. Also the writer's
 * `journal_size_limit` (sqlite.ts): the size SQLite cuts a restarted log's file back to.
 */
export const WAL_BOUND_BYTES = 40 << 20;
/** How long a checkpoint after a write waits for readers (ms): a write in flight is held this long at most. */
const BOUND_WAIT_MS = 200;
/** How long an idle or closing writer waits for readers (ms): no write is held up then. */
const IDLE_WAIT_MS = 1000;
/** At most this many idle calls (about seconds) pass between idle checkpoints that readers keep holding up. */
const IDLE_SKIP_MAX = 32;

interface CheckpointDb {
  prepare(sql: string): { get(...args: unknown[]): unknown };
  exec(sql: string): void;
}

export interface CheckpointResult {
  /** 1 when readers (or another writer) kept it from copying every frame within the wait. */
  busy: number;
  /**
   * Frames in the log when it ran (0 after a TRUNCATE that completed; a RESTART leaves the count until the next
   * write).
   */
  log: number;
  checkpointed: number;
}

export class WalKeeper {
  /** Checked after a write when the log's file grows past this size (raised after a checkpoint readers held up). */
  private nextCheck = WAL_BOUND_BYTES;
  /** The file's size at the last write: a smaller one means the log started over (cut to the limit) or was emptied. */
  private lastSize = 0;
  private wroteSinceIdle = false;
  /** Idle calls left to skip after readers held up an idle checkpoint (doubles each time, up to IDLE_SKIP_MAX). */
  private idleSkip = 0;
  private idleSkipNext = 1;
  private readonly walPath: string;

  constructor(
    private readonly db: CheckpointDb,
    dbPath: string,
    /** The connection's busy timeout (ms), restored after each checkpoint. */
    private readonly busyTimeoutMs: number,
    /** Copies the log on a thread of its own (absent: the writer copies inline). */
    private copier?: LogCopier,
  ) {
    this.walPath = `${dbPath}-wal`;
    // This connection checkpoints itself (below); SQLite's PASSIVE autocheckpoint would only run alongside.
    db.exec('PRAGMA wal_autocheckpoint=0');
  }

  /**
   * The log file's size (bytes). Past WAL_BOUND_BYTES it is the valid frames' end: a restarted log overwrites a file
   * cut to the bound (the header) and extends it only once its frames pass the bound. At or under the bound it says
   * only that the log is within it. No file: no log yet, or a last connection's close removed it.
   */
  private walBytes(): number {
    return statSync(this.walPath, { throwIfNoEntry: false })?.size ?? 0;
  }

  /** After each committed write: a log past the bound is checkpointed and emptied. */
  afterWrite(): CheckpointResult | undefined {
    this.wroteSinceIdle = true;
    const failed = this.copier?.takeFailure();
    if (failed) {
      // Reported by the caller (a failed checkpoint); the writer copies inline from now on.
      this.copier = undefined;
      throw failed;
    }
    const size = this.walBytes();
    // The log started over since (SQLite cut the file at its first commit) or was emptied: a raised check, and a copy
    // of the old log, are stale. (A write that finds every frame copied starts the log over itself: wal.c
    // `walRestartLog`.)
    if (size < this.lastSize) {
      this.nextCheck = WAL_BOUND_BYTES;
      this.copier?.reset();
    }
    this.lastSize = size;
    // A copy that took every frame is followed by the writer's checkpoint at the next write past the bound, also when
    // the check was raised meanwhile: by an inline try while the copy ran, which SQLite refuses at once (one
    // checkpointer at a time: wal.c `sqlite3WalCheckpoint`, busy and -1 frames), so the log went on growing.
    if (size <= (this.copier?.status === 'copied' ? WAL_BOUND_BYTES : this.nextCheck)) return undefined;
    if (this.copier && this.copier.status !== 'copied' && size < this.nextCheck + WAL_BOUND_BYTES / 4) {
      this.copier.start();
      return undefined;
    }
    const r = this.checkpoint('RESTART', BOUND_WAIT_MS);
    this.copier?.reset();
    // Readers held it up: the frames they allowed are copied; try again a quarter bound later, not at every write.
    this.nextCheck = r.busy ? size + WAL_BOUND_BYTES / 4 : WAL_BOUND_BYTES;
    return r;
  }

  /** Called about once a second by the writer's owner: a log left by writes before the last call is emptied. */
  idle(): CheckpointResult | undefined {
    if (this.wroteSinceIdle) {
      this.wroteSinceIdle = false;
      return undefined;
    }
    if (this.idleSkip > 0) {
      this.idleSkip--;
      return undefined;
    }
    if (this.walBytes() === 0) return undefined;
    const r = this.checkpoint('TRUNCATE', IDLE_WAIT_MS);
    if (r.busy) {
      // A long query still reads the log: each try holds this writer up to IDLE_WAIT_MS, so they grow apart.
      this.idleSkip = this.idleSkipNext;
      this.idleSkipNext = Math.min(IDLE_SKIP_MAX, this.idleSkipNext * 2);
    } else {
      this.nextCheck = WAL_BOUND_BYTES;
      this.lastSize = 0;
      this.idleSkipNext = 1;
      // The log is empty: a copy of the old one says nothing of the next (left 'copied', the next log past its
      // bound would be copied inline on this thread, not on the copier's).
      this.copier?.reset();
    }
    return r;
  }

  /** Before the writer closes: the log is emptied, so the next start has nothing to recover. */
  beforeClose(): CheckpointResult | undefined {
    if (this.walBytes() === 0) return undefined;
    return this.checkpoint('TRUNCATE', IDLE_WAIT_MS);
  }

  private checkpoint(mode: 'RESTART' | 'TRUNCATE', waitMs: number): CheckpointResult {
    this.db.exec(`PRAGMA busy_timeout=${waitMs}`);
    try {
      return this.db.prepare(`PRAGMA wal_checkpoint(${mode})`).get() as CheckpointResult;
    } finally {
      this.db.exec(`PRAGMA busy_timeout=${this.busyTimeoutMs}`);
    }
  }
}
