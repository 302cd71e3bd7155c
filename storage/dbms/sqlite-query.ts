// The `sql` command on SQLite (storage/dbms/query.ts): libsql's promise API, whose first step of a statement runs off
// the JS thread, so a timer on this thread can `interrupt()` it. The query is materialized (sqlite-sandbox.ts) so
// that all of its work is in that first step, and checked by the sandbox before it runs.
import Database from 'libsql/promise';
import { DbmsError, errorMessage } from '../../base/errors.js';
import { Status } from '../../base/status.js';
import { assertReadOnly } from './sql-text.js';
import { checkProgram, materialized, type ExplainRow } from './sqlite-sandbox.js';
import { timeoutError, type QueryConnection } from './query.js';
import type { SelectResult } from './types.js';

interface Stmt {
  readonly reader: boolean;
  raw(on?: boolean): Stmt;
  all(...args: unknown[]): Promise<unknown[][]>;
  columns(): { name: string }[];
}

interface Db {
  prepare(sql: string): Promise<Stmt>;
  exec(sql: string): Promise<void>;
  interrupt(): void;
  close(): void;
}

/** Busy timeout in milliseconds (libsql's `timeout` unit): a query waits this long for a writer's lock. */
const BUSY_MS = 5000;

export class SqliteQuery implements QueryConnection {
  private constructor(
    readonly name: string,
    private readonly path: string,
    private db: Db,
  ) {}

  static async open(name: string, path: string): Promise<SqliteQuery> {
    return new SqliteQuery(name, path, await connect(name, path));
  }

  async run(sql: string, timeoutMs: number): Promise<SelectResult> {
    const text = assertReadOnly(sql);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      this.db.interrupt();
    }, timeoutMs);
    try {
      const st = await this.db.prepare(text);
      if (!st.reader)
        throw new DbmsError('sql: only queries that return rows are allowed', { code: Status.SqlFailure });
      const columns = st.columns().map((c) => c.name);
      const query = materialized(text);
      checkProgram((await (await this.db.prepare(`EXPLAIN ${query}`)).raw(true).all()) as ExplainRow[]);
      const rows = await (await this.db.prepare(query)).raw(true).all();
      return { columns, rows };
    } catch (err) {
      if (timedOut) {
        // The interrupted statement stays active until libsql finalizes it, and SQLite keeps interrupting this
        // connection's statements while any is: the query has settled, so the connection is replaced.
        await this.reopen();
        throw timeoutError(this.name, timeoutMs);
      }
      if (err instanceof DbmsError) throw err;
      throw new DbmsError(`sqlite ${this.name}: ${errorMessage(err)}`, { cause: err, code: Status.SqlFailure });
    } finally {
      clearTimeout(timer);
    }
  }

  private async reopen(): Promise<void> {
    this.db.close();
    this.db = await connect(this.name, this.path);
  }

  async close(): Promise<void> {
    this.db.close();
  }
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
  } catch (err) {
    db.close();
    throw new DbmsError(`sqlite ${name}: cannot open ${path}: ${errorMessage(err)}`, { cause: err });
  }
  return db;
}
