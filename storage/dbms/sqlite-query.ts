// The `sql` command on SQLite (storage/dbms/query.ts): libsql's promise API, whose first step of a statement runs off
// the JS thread, so a timer on this thread can `interrupt()` it. The query is materialized (sqlite-sandbox.ts) so
// that all of its work is in that first step, and checked by the sandbox before it runs.
import Database from 'libsql/promise';
import { DbmsError, errorMessage } from '../../base/errors.js';
import { Status } from '../../base/status.js';
import { assertReadOnly, sqliteTimeComparisons } from './sql-text.js';
import { checkProgram, materialized, type ExplainRow } from './sqlite-sandbox.js';
import {
  DEFAULT_MAX_RESULT_MB,
  DEFAULT_MAX_TEMP_MB,
  ResultBudget,
  timeoutError,
  type QueryConnection,
} from './query.js';
import { bytesSince, canMeasureSqliteTemp, sqliteTempFiles } from './sqlite-temp.js';
import type { CatalogRead } from './partition-query.js';
import { quoteIdent } from '../schema/names.js';
import type { SelectResult } from './types.js';

interface Stmt {
  readonly reader: boolean;
  raw(on?: boolean): Stmt;
  all(...args: unknown[]): Promise<unknown[][]>;
  iterate(...args: unknown[]): Promise<IterableIterator<unknown[]>>;
  columns(): { name: string }[];
}

interface Db {
  prepare(sql: string): Promise<Stmt>;
  exec(sql: string): Promise<void>;
  interrupt(): void;
  close(): void;
}

/** How often a timed-out or stopping query is interrupted again until it settles. */
const INTERRUPT_AGAIN_MS = 100;

/** How often a running query's watchdog reads the size of SQLite's temporary files (sqlite-temp.ts). */
const TEMP_CHECK_MS = 100;

/** Busy timeout in milliseconds (libsql's `timeout` unit): a query waits this long for a writer's lock. */
const BUSY_MS = 5000;

export class SqliteQuery implements QueryConnection {
  /** The connection of the query in progress (for `interrupt()`). */
  private active: Db | undefined;
  /** Set by `interrupt()`: the worker is stopping; no query runs again. */
  private stopped = false;

  private constructor(
    readonly name: string,
    private readonly path: string,
    private readonly maxResultBytes: number,
    /** The temp files' bound, or undefined where they cannot be measured (no /proc: sqlite-temp.ts). */
    private readonly maxTempBytes: number | undefined,
    /** A failure of the connection that is not a query's answer (releasing a closed query's cache). */
    private readonly onAsideError: (err: Error) => void,
  ) {}

  static async open(
    name: string,
    path: string,
    onAsideError: (err: Error) => void,
    maxResultBytes = DEFAULT_MAX_RESULT_MB * 2 ** 20,
    maxTempBytes = DEFAULT_MAX_TEMP_MB * 2 ** 20,
  ): Promise<SqliteQuery> {
    // Opened once here so that a bad path fails at the first query's open, with the path named.
    (await connect(name, path)).close();
    return new SqliteQuery(name, path, maxResultBytes, canMeasureSqliteTemp() ? maxTempBytes : undefined, onAsideError);
  }

  /**
   * Each query gets its own connection, closed when it settles, and every statement it prepared stays referenced
   * until then. libsql-js finalizes a statement when V8 collects it; finalizing takes the connection's SQLite mutex,
   * which the running step holds on libsql's thread: a statement collected during a long query on the same
   * connection would block this thread (the timer could not fire) until the query ended, which might be never.
   */
  run(sql: string, timeoutMs: number): Promise<SelectResult> {
    return this.runRewritten(sql, timeoutMs, undefined);
  }

  async runRewritten(
    sql: string,
    timeoutMs: number,
    rewrite: ((read: CatalogRead) => Promise<string>) | undefined,
  ): Promise<SelectResult> {
    assertReadOnly(sql);
    if (this.stopped) throw stoppedError(this.name);
    const db = await connect(this.name, this.path);
    const held: Stmt[] = [];
    const prepare = async (q: string): Promise<Stmt> => {
      const st = await db.prepare(q);
      held.push(st);
      return st;
    };
    this.active = db;
    let timedOut = false;
    let tempOver = false;
    let again: NodeJS.Timeout | undefined;
    const stop = (): void => {
      db.interrupt();
      // Again until the query settles: an interrupt that arrives while no statement of the connection is active
      // (libsql has not started the step yet) is dropped by SQLite.
      again ??= setInterval(() => db.interrupt(), INTERRUPT_AGAIN_MS);
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, timeoutMs);
    // The sorter's and the materialized result's temp files: nothing in SQLite bounds them (sqlite-temp.ts). This
    // query's are the ones opened since it started.
    const max = this.maxTempBytes;
    const before = max === undefined ? undefined : new Set(sqliteTempFiles().keys());
    const watch =
      max === undefined || before === undefined
        ? undefined
        : setInterval(() => {
            if (tempOver || bytesSince(before, sqliteTempFiles()) <= max) return;
            tempOver = true;
            stop();
          }, TEMP_CHECK_MS);
    try {
      // The catalog is read on this connection, values bound; the rewritten text goes through the same checks.
      // Date-time literals compare as instants, as on PostgreSQL (sql-text.ts `sqliteTimeComparisons`).
      const text = sqliteTimeComparisons(assertReadOnly(rewrite ? await rewrite(catalogOf(prepare)) : sql));
      const st = await prepare(text);
      if (!st.reader)
        throw new DbmsError('sql: only queries that return rows are allowed', { code: Status.SqlFailure });
      const columns = st.columns().map((c) => c.name);
      const query = materialized(text);
      checkProgram(await explain(this.name, this.path, query));
      // Read row by row against the result's budget: the materialized result is complete after the first step, so
      // the later steps only copy it out, and they stop at the limit.
      const budget = new ResultBudget(this.name, this.maxResultBytes);
      const rows: unknown[][] = [];
      for (const row of await (await prepare(query)).raw(true).iterate()) {
        budget.add(row);
        rows.push(row);
      }
      return { columns, rows };
    } catch (err) {
      if (this.stopped) throw stoppedError(this.name);
      if (timedOut) throw timeoutError(this.name, timeoutMs);
      if (tempOver) throw tempError(this.name, max!);
      if (err instanceof DbmsError) throw err;
      throw new DbmsError(`sqlite ${this.name}: ${errorMessage(err)}`, { cause: err, code: Status.SqlFailure });
    } finally {
      clearTimeout(timer);
      clearInterval(again);
      clearInterval(watch);
      this.active = undefined;
      const released = await release(this.name, db);
      held.length = 0;
      // The query's answer (rows or its own error) stands: the connection is closed all the same.
      if (released) this.onAsideError(released);
    }
  }

  interrupt(): void {
    this.stopped = true;
    this.active?.interrupt();
  }

  async close(): Promise<void> {
    this.stopped = true;
  }
}

/** The catalog as partition-query.ts reads it: the node's own statements, values bound, not the user's query. */
function catalogOf(prepare: (q: string) => Promise<Stmt>): CatalogRead {
  return {
    async tables(names) {
      const marks = names.map(() => '?').join(', ');
      const st = await prepare(
        `SELECT name FROM sqlite_master WHERE type = 'table' AND (name LIKE 'par\\_%' ESCAPE '\\'${names.length > 0 ? ` OR name IN (${marks})` : ''})`,
      );
      return ((await st.raw(true).all(...names)) as [string][]).map(([t]) => t);
    },
    async columns(table) {
      // Prepared, never run: its column names are the table's.
      return (await prepare(`SELECT * FROM ${quoteIdent(table, 'sqlite')}`)).columns().map((c) => c.name);
    },
  };
}

/**
 * The query's program (EXPLAIN), listed on a connection of its own that is closed before the query runs. libsql-js
 * does not reset a statement that returned its last row, and an EXPLAIN stepped to its end stays one of its
 * connection's active readers until it is reset (SQLite's sqlite3VdbeList ends without halting the statement): on the
 * query's connection it kept the query's read transaction open after the query ended, until a garbage collection
 * finalized the statements, which an idle query worker may not run for minutes. That reader held the write-ahead log:
 * no checkpoint could copy the frames after its snapshot, the log grew with the ingest, and a start after kill -9
 * recovered all of it (bench/README.md, restart-replay). An EXPLAIN reads only the schema (while it is prepared), so
 * this connection holds no lock once the listing is read.
 */
async function explain(name: string, path: string, query: string): Promise<ExplainRow[]> {
  const db = await connect(name, path);
  try {
    return (await (await db.prepare(`EXPLAIN ${query}`)).raw(true).all()) as ExplainRow[];
  } finally {
    db.close();
  }
}

/**
 * Frees the connection's page cache, then closes it. libsql-js's `close()` closes the SQLite connection only when
 * the last statement prepared on it is finalized, which happens when V8 collects the statement objects: a young
 * collection after the query, or for statements promoted during a long query the full one the query worker runs
 * within a second (actors/query-pool/release.ts; before it, V8's own, minutes later). Until then each closed
 * connection kept its page cache, up to SQLite's default 2 MB (`cache_size` -2000), filled by the query's scan of the
 * table: in a soak, heaptrack found exactly one such 2 MB cache and 4 MB more held on libsql's thread, and
 * connections collected in whatever order V8 finds them leave their pages as holes in glibc's arenas (bench/README.md
 * soak).
 * `PRAGMA shrink_memory` (sqlite3_db_release_memory) gives back every page no statement holds; what is left for the
 * collection is the schema and the statements. A query interrupted mid-row keeps its read transaction until its
 * statement is finalized, and SQLite keeps the pages that transaction pins, as before.
 */
async function release(name: string, db: Db): Promise<DbmsError | undefined> {
  try {
    await db.exec('PRAGMA shrink_memory');
    return undefined;
  } catch (err) {
    // It takes no lock and runs no user SQL, so a failure is the connection's own, not the query's: returned for
    // the owner to report beside the query's answer.
    return new DbmsError(`sqlite ${name}: releasing the query's page cache: ${errorMessage(err)}`, { cause: err });
  } finally {
    db.close();
  }
}

function tempError(name: string, max: number): DbmsError {
  return new DbmsError(
    `sql ${name}: query interrupted: SQLite's temporary files passed ${Math.round(max / 2 ** 20)} MB (the query pool's max_temp_mb): sort, group or join fewer rows (where, limit)`,
    { code: Status.DataSizeLargerThanBuffer },
  );
}

function stoppedError(name: string): DbmsError {
  return new DbmsError(`sql ${name}: query interrupted: the query worker is stopping`, { code: Status.ProcessFailure });
}

async function connect(name: string, path: string): Promise<Db> {
  let db: Db;
  try {
    db = new Database(path, { timeout: BUSY_MS }) as unknown as Db;
  } catch (err) {
    throw new DbmsError(`sqlite ${name}: cannot open ${path}: ${errorMessage(err)}`, { cause: err });
  }
  try {
    // The engine refuses every write on this connection (temporary tables included).
    await db.exec('PRAGMA query_only=ON');
    // Sorts and GROUP BY spill to a temporary file past the page cache instead of growing in memory: libsql's
    // build keeps temporary storage in memory, so a `group by` over an n-row table held ~50 bytes a row on the
    // query thread, and glibc kept that peak, so the node's RSS grew with the table (bench/README.md soak).
    // Measured on 2M rows: the group by took no longer with the file (1.8-2.1 s against 2.8-4.1 s in memory).
    await db.exec('PRAGMA temp_store=FILE');
  } catch (err) {
    db.close();
    throw new DbmsError(`sqlite ${name}: cannot open ${path}: ${errorMessage(err)}`, { cause: err });
  }
  return db;
}
