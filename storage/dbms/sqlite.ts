// SQLite through libsql (better-sqlite3's API, prebuilt): the embedded default, one file per dbms
// (`<dbms_dir>/<name>.dbms`, EdgeLake's naming), WAL journal, synchronous=FULL so a committed
// transaction survives power loss, not only a process kill.
// Rows go in with one `INSERT ... SELECT json_extract(value, ...) FROM json_each(?)` per batch: one
// bound parameter carrying the whole JSON array, which measured fastest here (bench/README.md). The operator gives
// each journal entry as a batch of its own, all of a transaction's in one `write` (actors/operator/apply.ts). A row
// that repeats a key keeps its last value, as EdgeLake's json.loads does (protocols/frames/repeated-keys.ts); a batch
// whose producer found no such row (InsertBatch `repeatedKeys: false`) is not walked.
import Database from 'libsql';
import { DbmsError, errorMessage } from '../../base/errors.js';
import { assertReadOnly, jsonPath, quoteIdent, sqliteTimeComparisons } from './sql-text.js';
import {
  FILES_TABLE,
  POSITIONS_TABLE,
  positionKey,
  type ColumnInfo,
  type DbmsAdapter,
  type FileRecord,
  type InsertBatch,
  type JournalPosition,
  type SelectResult,
} from './types.js';
import { Status } from '../../base/status.js';
import { WAL_BOUND_BYTES, WalKeeper, type CheckpointResult } from './sqlite-wal.js';
import { LogCopier } from './sqlite-copier.js';
import { isSqliteLocked } from './sqlite-locked.js';
import { lastOfRepeatedKeys } from '../../protocols/frames/repeated-keys.js';

/** Idle ticks (about a second each) with no write before the writer lets go of what writes left (`idle`). */
export const LET_GO_QUIET_TICKS = 5;

interface Stmt {
  run(...args: unknown[]): unknown;
  all(...args: unknown[]): unknown[];
  get(...args: unknown[]): unknown;
  raw(on?: boolean): Stmt;
  columns(): { name: string }[];
}

interface Db {
  prepare(sql: string): Stmt;
  exec(sql: string): void;
  close(): void;
  transaction<A extends unknown[], R>(fn: (...a: A) => R): ((...a: A) => R) & { immediate: (...a: A) => R };
}

/**
 * A row's value for one JSON key. A path (`json_extract`) names almost every key, but not all: SQLite's quoted path
 * label ends at the first `"`, escaped or not (the value would read back NULL, silently), and a NUL would end the
 * statement's text. Such a key is looked up among the row's keys by its UTF-8 bytes instead (a hex literal: nothing
 * from the payload in the SQL text), which costs a scan of the row's members, only for those keys.
 */
function pick(key: string): string {
  if (!/["\u0000]/.test(key)) return `json_extract(value, '${jsonPath(key).replace(/'/g, "''")}')`;
  const bytes = Buffer.from(key, 'utf8').toString('hex');
  return `(SELECT f.value FROM json_each(r.value) AS f WHERE f.key = CAST(x'${bytes}' AS TEXT))`;
}

export interface SqliteOptions {
  /** Refuse writes on this connection (the `sql` command's reader). */
  queryOnly?: boolean;
  /**
   * SQLite's busy timeout in milliseconds (libsql's `timeout` option is milliseconds): how long a
   * statement waits for another connection's lock before failing with SQLITE_BUSY. Default 5000.
   */
  busyTimeoutMs?: number;
  /**
   * This connection is the dbms's writer (the operator's): it keeps the write-ahead log bounded and empties it when
   * idle and before closing (sqlite-wal.ts). Told of each checkpoint it ran (`ms`, SQLite's result) or of its error;
   * an error leaves the log as it was and fails nothing (the writes are committed before).
   */
  onCheckpoint?: (
    when: 'write' | 'idle' | 'close' | 'copy',
    out: { ms: number; result: CheckpointResult } | Error,
  ) => void;
  /**
   * With `onCheckpoint`: the log past its bound is copied on a thread of its own (sqlite-copier.ts), told as `copy`,
   * and the writer's own checkpoint after it has only what was written meanwhile to copy.
   */
  copyOffThread?: boolean;
}

export interface SqliteOpenOptions extends SqliteOptions {
  /** How long `open` keeps retrying a database another process holds locked (ms). Default 60,000. */
  lockWaitMs?: number;
  /** Told of each retry, to log it. */
  onLocked?: (attempt: number, err: unknown) => void;
}

export const DEFAULT_BUSY_TIMEOUT_MS = 5000;
/**
 * A batch's rows text at least this long (bytes or UTF-16 units) is not left bound to its cached insert. SQLite keeps
 * a statement's bound values until they are bound again (sqlite3_reset does not clear them, and libsql has no
 * clear_bindings), and libsql binds a copy: each table's cached insert held its last batch's text, up to the
 * operator's 8 MB per transaction, for the node's life (after a 55 MB PUT, its last 3.7 MB slice: bench/README.md,
 * put-55mb-rss). So the insert runs once more on an empty array (json_each yields no row): SQLite frees the copy.
 * Below the bound the copy is small and the extra step not worth it.
 */
export const LET_GO_BYTES = 64 << 10;
const EMPTY_ROWS_BYTES = Buffer.from('[]');
/** An empty JSON array of the same kind (the insert's SQL differs by kind: a BLOB is cast to text). */
const emptyRowsLike = (rows: string | Uint8Array): string | Uint8Array =>
  typeof rows === 'string' ? '[]' : EMPTY_ROWS_BYTES;
const DEFAULT_LOCK_WAIT_MS = 60_000;

export class SqliteAdapter implements DbmsAdapter {
  readonly engine = 'sqlite' as const;
  private readonly db: Db;
  private readonly stmts = new Map<string, Stmt>();
  private readonly wal: WalKeeper | undefined;
  private readonly copier: LogCopier | undefined;
  private readonly onCheckpoint: SqliteOptions['onCheckpoint'];
  /** Written since the last idle tick. */
  private wroteSinceTick = false;
  /** Written since memory was last let go (`letGo`). */
  private holdsWrites = false;
  /** Idle ticks in a row with no write. */
  private quietTicks = 0;

  constructor(
    readonly name: string,
    readonly path: string,
    opts: SqliteOptions = {},
  ) {
    let db: Db | undefined;
    try {
      // libsql's `timeout` is SQLite's busy timeout in *milliseconds* (it was once given 5, meant as
      // seconds: a writer's lock then failed a reader after 5 ms).
      db = new Database(path, { timeout: opts.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS }) as unknown as Db;
      if (path !== ':memory:') db.exec('PRAGMA journal_mode=WAL');
      db.exec('PRAGMA synchronous=FULL');
      // Checkpoint every ~40 MB of WAL rather than SQLite's 4 MB: each checkpoint fsyncs the database
      // file, and under ingest the default made them the main cost after the inserts (bench/README.md).
      db.exec('PRAGMA wal_autocheckpoint=10000');
      // A log that starts over keeps its file (the frames are overwritten, not appended); at the first commit of the
      // new log SQLite cuts the file back to this size, so it stays near the bound and, for the writer's keeper,
      // grows past it only when the valid frames do (sqlite-wal.ts). On every writer: any of them may restart the log.
      if (path !== ':memory:') db.exec(`PRAGMA journal_size_limit=${WAL_BOUND_BYTES}`);
      if (opts.queryOnly) db.exec('PRAGMA query_only=ON');
      else ensureInternalTables(db);
      const busyMs = opts.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
      const onCheckpoint = opts.onCheckpoint;
      this.copier =
        onCheckpoint && opts.copyOffThread && path !== ':memory:'
          ? new LogCopier(path, busyMs, (out) => onCheckpoint('copy', out))
          : undefined;
      this.wal = onCheckpoint && path !== ':memory:' ? new WalKeeper(db, path, busyMs, this.copier) : undefined;
      this.onCheckpoint = onCheckpoint;
      this.db = db;
    } catch (err) {
      // A half-opened handle would keep its file open (and, for a retry, pile up): close it.
      db?.close();
      throw new DbmsError(`sqlite ${name}: cannot open ${path}: ${errorMessage(err)}`, { cause: err });
    }
  }

  /**
   * Opens, waiting while another process holds the database locked (a backup, a `sqlite3` shell, a
   * node that was killed and whose WAL is being recovered): each attempt waits the busy timeout, and
   * attempts go on, told to `onLocked`, up to `lockWaitMs`. Any other failure is thrown at once.
   */
  static async open(name: string, path: string, opts: SqliteOpenOptions = {}): Promise<SqliteAdapter> {
    const until = Date.now() + (opts.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS);
    for (let attempt = 1; ; attempt++) {
      const { lockWaitMs: _w, onLocked: _l, ...adapterOpts } = opts;
      try {
        return new SqliteAdapter(name, path, adapterOpts);
      } catch (err) {
        if (!isSqliteLocked(err) || Date.now() >= until) throw err;
        opts.onLocked?.(attempt, err);
        await new Promise((r) => setTimeout(r, Math.min(1000, 100 * attempt)));
      }
    }
  }

  private stmt(sql: string): Stmt {
    let s = this.stmts.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.stmts.set(sql, s);
    }
    return s;
  }

  async listTables(): Promise<string[]> {
    const rows = this.stmt(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).all() as {
      name: string;
    }[];
    return rows.map((r) => r.name);
  }

  async describe(table: string): Promise<ColumnInfo[] | undefined> {
    const rows = this.db.prepare(`PRAGMA table_info(${quoteIdent(table)})`).all() as {
      name: string;
      type: string;
      notnull: number;
    }[];
    if (rows.length === 0) return undefined;
    return rows.map((r) => ({ name: r.name, type: r.type.toLowerCase(), notNull: r.notnull === 1 }));
  }

  async execDDL(statements: readonly string[]): Promise<void> {
    this.stmts.clear(); // a schema change invalidates prepared inserts
    this.db
      .transaction(() => {
        for (const s of statements) this.db.exec(s);
      })
      .immediate();
  }

  private insertSql(b: InsertBatch): string {
    const cols = b.columns.map((c) => quoteIdent(c.name)).join(', ');
    const vals = b.columns
      .map((c) => {
        const picks = c.keys.map(pick);
        if (c.notNull)
          picks.push(
            /^date\b/.test(c.type) ? 'current_date' : /^time\b/.test(c.type) ? 'current_time' : 'current_timestamp',
          );
        return picks.length === 1 ? picks[0]! : `coalesce(${picks.join(', ')})`;
      })
      .join(', ');
    // Bytes bind as a BLOB, which SQLite 3.45's json_each would read as JSONB: the cast makes them the text they
    // are (UTF-8, the database's encoding; a copy inside SQLite, no JavaScript string on the way).
    const src = typeof b.rowsJson === 'string' ? '?' : 'cast(? as text)';
    return `INSERT INTO ${quoteIdent(b.table)} (insert_timestamp, tsd_name, tsd_id, ${cols}) SELECT ?, ?, ?, ${vals} FROM json_each(${src}) AS r`;
  }

  async write(
    batches: readonly InsertBatch[],
    positions: readonly JournalPosition[],
    files: readonly FileRecord[],
  ): Promise<number> {
    let rows = 0;
    const now = new Date().toISOString();
    try {
      this.db
        .transaction(() => {
          // Each statement keeps only what was bound to it last: let go once per statement, after its last batch.
          const last = new Map<Stmt, InsertBatch>();
          for (const b of batches) {
            const insert = this.stmt(this.insertSql(b));
            // json_extract reads the first of a repeated key; EdgeLake (json.loads) and the PostgreSQL path the last.
            // The walk is a pass over every byte on this (the writer's) thread: skipped when the producer's own scan
            // found no repeat (bench/README.md, Profile: about 4% of the writer's busy time in ingest-sqlite).
            const json = b.repeatedKeys === false ? b.rowsJson : lastOfRepeatedKeys(b.rowsJson);
            insert.run(b.insertTimestamp, b.tsdName, b.tsdId, json);
            last.set(insert, b);
            rows += b.rowCount;
          }
          for (const [insert, b] of last)
            if (b.rowsJson.length >= LET_GO_BYTES)
              insert.run(b.insertTimestamp, b.tsdName, b.tsdId, emptyRowsLike(b.rowsJson));
          const pos = this.stmt(
            `INSERT INTO ${POSITIONS_TABLE} (tbl, stream, seq) VALUES (?, ?, ?) ON CONFLICT (tbl, stream) DO UPDATE SET seq = max(seq, excluded.seq)`,
          );
          for (const p of positions) pos.run(p.table, p.stream, p.seq);
          const file = this.stmt(
            `INSERT INTO ${FILES_TABLE} (name, hash, rows, done, at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET rows = excluded.rows, done = excluded.done, at = excluded.at`,
          );
          for (const f of files) file.run(f.name, f.hash, f.rows, f.done ? 1 : 0, now);
        })
        .immediate();
    } catch (err) {
      throw new DbmsError(`sqlite ${this.name}: insert failed: ${errorMessage(err)}`, { cause: err });
    }
    this.wroteSinceTick = true;
    this.holdsWrites = true;
    this.walStep('write', (w) => w.afterWrite());
    return rows;
  }

  /**
   * The writer's idle tick (about once a second): a log left by earlier writes is checkpointed and emptied, and
   * after LET_GO_QUIET_TICKS ticks in a row with no write, what the writes left in memory is let go (`letGo`). Not
   * at the first quiet tick: under a steady load with gaps of a second or two the copier's thread would end and
   * start again at each copy (a thread's heap, descriptors and connection made and dropped each time: the soak's
   * RSS and descriptor counts swung with it); after a burst, a few seconds of quiet is soon enough.
   */
  async idle(): Promise<void> {
    this.walStep('idle', (w) => w.idle());
    this.quietTicks = this.wroteSinceTick ? 0 : this.quietTicks + 1;
    this.wroteSinceTick = false;
    if (this.quietTicks >= LET_GO_QUIET_TICKS && this.holdsWrites) this.holdsWrites = !this.letGo();
  }

  /**
   * After writes, once quiet: this connection's page cache is freed (`PRAGMA shrink_memory`: up to SQLite's 2 MB
   * default; the next write reads the pages it needs back from the OS's cache) and the log copier's thread ends
   * (sqlite-copier.ts `retire`). Both stayed for the node's life after one large PUT (bench/README.md,
   * put-55mb-rss). False while the copier still copies: the next tick tries again.
   */
  private letGo(): boolean {
    try {
      this.db.exec('PRAGMA shrink_memory');
    } catch (err) {
      throw new DbmsError(`sqlite ${this.name}: shrink_memory failed: ${errorMessage(err)}`, { cause: err });
    }
    return this.copier?.retire() ?? true;
  }

  private walStep(when: 'write' | 'idle' | 'close', step: (w: WalKeeper) => CheckpointResult | undefined): void {
    if (!this.wal) return;
    const t0 = performance.now();
    try {
      const result = step(this.wal);
      if (result) this.onCheckpoint?.(when, { ms: performance.now() - t0, result });
    } catch (err) {
      // The rows are committed: a failed checkpoint leaves the log as it was (the next one tries again).
      this.onCheckpoint?.(
        when,
        new DbmsError(`sqlite ${this.name}: checkpoint failed: ${errorMessage(err)}`, { cause: err }),
      );
    }
  }

  async positions(): Promise<Map<string, number>> {
    const rows = this.stmt(`SELECT tbl, stream, seq FROM ${POSITIONS_TABLE}`).all() as {
      tbl: string;
      stream: string;
      seq: number;
    }[];
    return new Map(rows.map((r) => [positionKey(r.tbl, r.stream), r.seq]));
  }

  async fileProgress(name: string): Promise<{ rows: number; done: boolean } | undefined> {
    const r = this.stmt(`SELECT rows, done FROM ${FILES_TABLE} WHERE name = ?`).get(name) as
      { rows: number; done: number } | undefined;
    return r ? { rows: r.rows, done: r.done === 1 } : undefined;
  }

  async modify(sql: string, params: readonly unknown[]): Promise<unknown[][]> {
    try {
      const st = this.stmt(sql);
      if (/\breturning\b/i.test(sql) || /^\s*select\b/i.test(sql)) return st.raw(true).all(...params) as unknown[][];
      st.run(...params);
      return [];
    } catch (err) {
      throw new DbmsError(`sqlite ${this.name}: ${errorMessage(err)}`, { cause: err });
    }
  }

  async select(sql: string, params: readonly unknown[] = []): Promise<SelectResult> {
    const text = sqliteTimeComparisons(assertReadOnly(sql));
    try {
      const st = this.db.prepare(text);
      const columns = st.columns().map((c) => c.name);
      const rows = st.raw(true).all(...params) as unknown[][];
      return { columns, rows };
    } catch (err) {
      throw new DbmsError(`sqlite ${this.name}: ${errorMessage(err)}`, { cause: err, code: Status.SqlFailure });
    }
  }

  async close(): Promise<void> {
    this.stmts.clear();
    // The copier's connection goes first: the writer's close then empties the log as the last one out.
    await this.copier?.close();
    this.walStep('close', (w) => w.beforeClose());
    this.db.close();
  }
}

function ensureInternalTables(db: Db): void {
  db.exec(
    `CREATE TABLE IF NOT EXISTS ${POSITIONS_TABLE} (tbl TEXT NOT NULL, stream TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (tbl, stream));` +
      `CREATE TABLE IF NOT EXISTS ${FILES_TABLE} (name TEXT PRIMARY KEY, hash TEXT NOT NULL, rows INTEGER NOT NULL, done INTEGER NOT NULL, at TEXT NOT NULL);`,
  );
}
