// The operator's SQLite writer keeps the write-ahead log small, so that a start after kill -9 recovers a bounded log,
// whatever the table's size (issue 14, "Restart"; bench/README.md, restart-replay).
// SQLite's autocheckpoint is PASSIVE: it copies the frames no reader still needs, and the log starts over from its
// first frame only when a later write finds every frame copied and no reader in the log. Readers on other threads
// (the query pool's connections, the node's reader) overlap the checkpoints of a steady ingest, so the log kept
// growing: at the kill it held 30-120 MB of valid frames for a 1M-row table, which the next open reads back and the
// first connection to close (the node's start opens and closes a writer) checkpoints, on the main thread.
// Here the writer checkpoints itself with TRUNCATE, which waits (a bounded time) for the readers that still use the
// log, copies every frame and empties the file: after a write, when the log passes WAL_BOUND_BYTES; when the writer
// has been idle since the last `idle()` call; and before it closes. A checkpoint only copies committed pages, so a
// kill at any point of it loses nothing (SQLite's WAL recovery).
// With a copier (sqlite-copier.ts, the operator's writer), the log past its bound is first copied on the copier's
// thread while writes go on, and the writer's TRUNCATE comes at the first write after that copy took every frame: it
// then copies only what was written meanwhile. A copier that falls behind (the log a quarter bound further) or fails
// leaves the writer to copy inline, as without one.
import { statSync } from 'node:fs';
import type { LogCopier } from './sqlite-copier.js';

/** The log's bound (bytes): about SQLite's autocheckpoint of 10,000 pages this writer had before. */
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
  /** Frames in the log when it ran (0 after a TRUNCATE that completed). */
  log: number;
  checkpointed: number;
}

export class WalKeeper {
  /** Checked after a write when the log's file reaches this size (raised after a checkpoint readers held up). */
  private nextCheck = WAL_BOUND_BYTES;
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
   * The log file's size (bytes): after a TRUNCATE it grows from 0, so it is the valid frames or more (a log that
   * another connection's checkpoint started over keeps its size; the next check then comes early, never late).
   * No file: no log yet, or a last connection's close removed it.
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
    if (size < this.nextCheck) return undefined;
    if (this.copier && this.copier.status !== 'copied' && size < this.nextCheck + WAL_BOUND_BYTES / 4) {
      this.copier.start();
      return undefined;
    }
    const r = this.checkpoint(BOUND_WAIT_MS);
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
    const r = this.checkpoint(IDLE_WAIT_MS);
    if (r.busy) {
      // A long query still reads the log: each try holds this writer up to IDLE_WAIT_MS, so they grow apart.
      this.idleSkip = this.idleSkipNext;
      this.idleSkipNext = Math.min(IDLE_SKIP_MAX, this.idleSkipNext * 2);
    } else {
      this.nextCheck = WAL_BOUND_BYTES;
      this.idleSkipNext = 1;
    }
    return r;
  }

  /** Before the writer closes: the log is emptied, so the next start has nothing to recover. */
  beforeClose(): CheckpointResult | undefined {
    if (this.walBytes() === 0) return undefined;
    return this.checkpoint(IDLE_WAIT_MS);
  }

  private checkpoint(waitMs: number): CheckpointResult {
    this.db.exec(`PRAGMA busy_timeout=${waitMs}`);
    try {
      return this.db.prepare('PRAGMA wal_checkpoint(TRUNCATE)').get() as CheckpointResult;
    } finally {
      this.db.exec(`PRAGMA busy_timeout=${this.busyTimeoutMs}`);
    }
  }
}
