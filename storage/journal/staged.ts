// A body too large to hold, journaled as its pieces arrive (issue 12: a 55 MB PUT held all its ~512 KB pieces until
// one transaction, and the node's RSS passed 500 MB). Each piece is put under a lane of the writer's stream
// (`rest-server+1`, `+2`...: one body at a time per lane) above the lane's counter, so no reader sees it
// (journal.ts, "Visibility"); the last piece and the counter go in one transaction, which makes the whole body
// visible at once and is what the sender is acknowledged after. Until then nothing of the body is visible, and
// a body that fails or is abandoned has its pieces removed (`discard`; after a crash, `Journal.dropStaged` at
// the writer's start). A lane keeps its own seq and its own position in the target database, so small appends of
// the same table on the writer's stream go on meanwhile, unordered with the body (as two producers are).
// Staged puts are not flushed one by one: the last transaction's flush covers them (LMDB commits in order, and a
// durable commit holds every earlier one).
import { DbmsError, errorMessage } from '../../base/errors.js';
import type { Journal, JournalEntry } from './journal.js';

export class StagedAppend {
  private readonly base: number;
  private seq: number;
  /** Every staged put so far, settled (a failure is recorded, never left unhandled). */
  private tail: Promise<unknown> = Promise.resolve();
  private inflight = 0;
  private failure: unknown;
  private finished = false;
  private readonly release: () => void;

  constructor(
    private readonly journal: Journal,
    readonly dbms: string,
    readonly table: string,
    /** The lane: a stream of its own, used by this body alone until it is committed or discarded. */
    readonly stream: string,
    release: () => void,
  ) {
    let released = false;
    this.release = () => {
      if (!released) release();
      released = true;
    };
    this.base = journal.lastSeq(dbms, table, stream);
    this.seq = this.base;
  }

  /** Pieces staged so far. */
  get staged(): number {
    return this.seq - this.base;
  }

  /** Bytes put and not yet committed by LMDB. */
  get pendingBytes(): number {
    return this.inflight;
  }

  /** Puts one piece, invisible; its bytes are LMDB's from here on (the caller may drop its copy). */
  stage(rows: Uint8Array, count: number, keys: string[], repeatedKeys?: boolean): void {
    if (this.finished) throw new DbmsError(`staged body of ${this.dbms}.${this.table} is already finished`);
    const n = rows.length;
    this.inflight += n;
    const put = this.journal.putStaged(this.entry(++this.seq, rows, count, keys, repeatedKeys)).then(
      () => {
        this.inflight -= n;
      },
      (err: unknown) => {
        this.inflight -= n;
        this.failure ??= err;
      },
    );
    this.tail = Promise.all([this.tail, put]);
  }

  /**
   * Resolves when at most `limit` bytes wait for LMDB (the reader pauses the body meanwhile); undefined when
   * that is so already. Rejects once a staged put failed.
   */
  room(limit: number): Promise<void> | undefined {
    if (this.failure !== undefined) return Promise.reject(this.failed());
    if (this.inflight <= limit) return undefined;
    return this.tail.then(() => {
      if (this.failure !== undefined) throw this.failed();
    });
  }

  /**
   * The last piece and the lane's counter in one transaction: the body becomes visible whole. Resolves with the
   * last entry when durable (acknowledge after this). On a failure before that transaction the staged pieces
   * are removed; the caller need not `discard`.
   */
  async commit(rows: Uint8Array, count: number, keys: string[], repeatedKeys?: boolean): Promise<JournalEntry> {
    await this.tail;
    if (this.failure !== undefined) {
      const err = this.failed();
      await this.discard();
      throw err;
    }
    const last = this.entry(++this.seq, rows, count, keys, repeatedKeys);
    this.finished = true;
    try {
      await this.journal.put(last);
    } catch (err) {
      // The counter did not move (or moved and only the flush failed: then dropRange finds nothing to remove).
      await this.journal.dropRange(this.dbms, this.table, this.stream, this.base + 1, this.seq);
      throw new DbmsError(
        `journal append of ${this.dbms}.${this.table} (${this.staged} pieces) failed: ${errorMessage(err)}`,
        {
          cause: err,
          retriable: true,
        },
      );
    } finally {
      this.release();
    }
    return last;
  }

  /** Removes what was staged (the body failed or was abandoned): nothing of it was visible. */
  async discard(): Promise<number> {
    if (this.finished && this.failure === undefined) return 0;
    this.finished = true;
    try {
      await this.tail;
      return await this.journal.dropRange(this.dbms, this.table, this.stream, this.base + 1, this.seq);
    } finally {
      this.release();
    }
  }

  /** `repeatedKeys`: JournalEntry's (undefined: not known, walked). */
  private entry(seq: number, rows: Uint8Array, count: number, keys: string[], repeatedKeys?: boolean): JournalEntry {
    const at = Date.now();
    return { dbms: this.dbms, table: this.table, stream: this.stream, seq, rows, count, keys, at, repeatedKeys };
  }

  private failed(): DbmsError {
    return new DbmsError(`journal: staging ${this.dbms}.${this.table} failed: ${errorMessage(this.failure)}`, {
      cause: this.failure,
      retriable: true,
    });
  }
}
