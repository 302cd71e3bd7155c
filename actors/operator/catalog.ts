// The operator's view of its databases: one writing connection per connected dbms, what tables
// and columns exist, and the journal positions already applied. A connection opens when the operator first needs
// it (rows or a file for the dbms, journal entries to replay), not at `connect dbms`: an idle operator loads no
// database engine (bench/README.md, memory). Tables are created (and widened
// with new columns) from the rows, with EdgeLake's type inference and DDL (storage/schema).
import { DbmsError, errorMessage } from '../../base/errors.js';
import type { Logger } from '../../base/log.js';
import { openDbms } from '../../storage/dbms/open.js';
import { isSqliteLocked } from '../../storage/dbms/sqlite-locked.js';
import type { ColumnInfo, ConnectionConfig, DbmsAdapter, InsertBatch } from '../../storage/dbms/types.js';
import { positionKey } from '../../storage/dbms/types.js';
import { inferColumns, type InferredColumn, type Row } from '../../storage/schema/infer.js';
import { addColumnStatements, createTableStatements, type TableSpec } from '../../storage/schema/ddl.js';
import { SYSTEM_COLUMNS } from '../../storage/schema/types.js';
import { isReservedTableName, normalizeColumnName, reservedTableMessage } from '../../storage/schema/names.js';
import { Status } from '../../base/status.js';

export interface TableMeta {
  dbms: string;
  table: string;
  columns: Map<string, ColumnInfo>;
  /** JSON key -> column name (cached normalisation). */
  keyToColumn: Map<string, string | null>;
}

/**
 * Key sets that name one column logged at most, all tables together (a client that sends ever new spellings gets
 * this many lines, not more, and the set stays small).
 */
const MAX_COLLISIONS_LOGGED = 1024;

/**
 * The order in which the keys that normalise to one column give its value, as EdgeLake reads a row
 * (json_to_sql/map_json_to_insert.py `get_value_ignore_case`): the key spelled as the column first (`json_entry[key]`);
 * then the others, the last first (EdgeLake maps each normalised name to the row's key, and a later key overwrites
 * an earlier one: `attr_names_map[new_key] = json_key`). Keys come in the order the rows first name them.
 */
function columnKeyOrder(column: string, keys: readonly string[]): string[] {
  const exact = keys.filter((k) => k === column);
  return [...exact, ...keys.filter((k) => k !== column).reverse()];
}

export interface DbmsConn {
  name: string;
  adapter: DbmsAdapter;
  tables: Map<string, TableMeta>;
  positions: Map<string, number>;
}

export class TableError extends DbmsError {}

export const WRITER_BUSY_TIMEOUT_MS = 1000;

/**
 * Called once per table (per catalog) before its first rows go in, with the table's spec when this catalog just
 * created it: the operator publishes the table's policy and puts it in its cluster (actors/operator/policy.ts).
 * A TableError fails the rows (EdgeLake 174: the operator has no cluster).
 */
export type TableHook = (dbms: string, table: string, created: TableSpec | undefined) => Promise<void>;

/** How long an open at the operator's start waits for a database another process holds locked (sqlite.ts). */
const START_LOCK_WAIT_MS = 60_000;
/**
 * After a failed open, uses of that dbms get undefined at once for this long rather than another attempt each (a
 * replay pass meets it once per journal entry, and a locked open costs the writer's 1 s busy timeout).
 */
export const OPEN_RETRY_MS = 1000;

export class Catalog {
  /** Every connected dbms (`connect dbms`), opened or not. */
  private readonly configs = new Map<string, ConnectionConfig>();
  /** The opened ones. */
  private readonly conns = new Map<string, DbmsConn>();
  private readonly opening = new Map<string, Promise<DbmsConn | undefined>>();
  /** The last reason an open failed, per dbms (logged when it changes, not at every attempt), and when. */
  private readonly failed = new Map<string, { reason: string; at: number }>();
  private readonly assigned = new Set<string>();
  /** The key sets found to name one column, each logged once (insertColumns), whatever reads the table anew. */
  private readonly collided = new Set<string>();

  constructor(
    private readonly dbmsDir: string,
    private readonly log: Logger,
    private readonly onTable?: TableHook,
  ) {}

  private async assign(dbms: string, table: string, created: TableSpec | undefined): Promise<void> {
    const key = `${dbms}\u0000${table}`;
    if (!this.onTable || this.assigned.has(key)) return;
    await this.onTable(dbms, table, created);
    this.assigned.add(key);
  }

  /** A dbms the operator may write; its connection opens at first use (`open`). */
  async connect(name: string, config: ConnectionConfig): Promise<void> {
    await this.disconnect(name);
    this.configs.set(name, config);
  }

  /**
   * The dbms's connection, opened now if it is not yet: undefined when the dbms is not connected, or when the
   * open failed (logged; the rows wait in the journal and the next use tries again). `atStart`: the operator's
   * start replay, which waits (bounded) for a database another process holds locked, as a start did before; any
   * later open tries once, so that the operator's mailbox never waits on another process (a locked database is
   * then a transient failure, retried with backoff like a locked write: apply.ts).
   */
  async open(name: string, atStart = false): Promise<DbmsConn | undefined> {
    const open = this.conns.get(name);
    if (open) return open;
    const config = this.configs.get(name);
    if (!config) return undefined;
    const failed = this.failed.get(name);
    if (failed && Date.now() - failed.at < OPEN_RETRY_MS) return undefined;
    // Two uses at once (a drain and a file) share one open.
    let opening = this.opening.get(name);
    if (!opening) {
      const p = this.openConn(name, config, atStart ? START_LOCK_WAIT_MS : 0).then(async (c) => {
        // A disconnect (or another connect) while it opened: this one is not the dbms's any more.
        if (this.configs.get(name) !== config) {
          await c.adapter.close();
          return undefined;
        }
        this.conns.set(name, c);
        this.failed.delete(name);
        return c;
      });
      opening = p;
      this.opening.set(name, p);
      const done = (): void => {
        if (this.opening.get(name) === p) this.opening.delete(name);
      };
      p.then(done, done);
    }
    try {
      return (await opening) ?? this.conns.get(name);
    } catch (err) {
      const reason = errorMessage(err);
      const logged = this.failed.get(name)?.reason === reason;
      this.failed.set(name, { reason, at: Date.now() });
      if (!logged) {
        if (isSqliteLocked(err))
          this.log.warn('dbms locked by another process; waiting', { dbms: name, error: reason });
        else this.log.error('operator cannot open dbms', { dbms: name, error: reason });
      }
      return undefined;
    }
  }

  private async openConn(name: string, config: ConnectionConfig, lockWaitMs: number): Promise<DbmsConn> {
    const adapter = await openDbms(name, config, {
      dbmsDir: this.dbmsDir,
      onIdleError: (err) => this.log.warn('dbms connection dropped', { dbms: name, error: err.message }),
      onLocked: (attempt, err) =>
        this.log.warn('dbms locked by another process; waiting', { dbms: name, attempt, error: errorMessage(err) }),
      lockWaitMs,
      // A write that meets another process's lock fails after 1 s rather than 5: the operator retries
      // it with backoff (apply.ts) and its worker stays responsive (`get operator`) meanwhile.
      busyTimeoutMs: WRITER_BUSY_TIMEOUT_MS,
      // This connection writes the dbms: SQLite's log is kept bounded and emptied when idle (sqlite-wal.ts).
      onCheckpoint: (when, out) => {
        if (out instanceof Error) this.log.warn('dbms checkpoint failed', { dbms: name, when, error: out.message });
        else if (out.result.busy || out.ms > 500)
          this.log.debug('dbms checkpoint', { dbms: name, when, ms: Math.round(out.ms), ...out.result });
      },
      // The log past its bound is copied beside the writes, not inside one (bench/README.md, latency).
      copyOffThread: true,
    });
    try {
      return { name, adapter, tables: new Map(), positions: await adapter.positions() };
    } catch (err) {
      await adapter.close();
      throw err;
    }
  }

  async disconnect(name: string): Promise<void> {
    this.configs.delete(name);
    this.failed.delete(name);
    const c = this.conns.get(name);
    if (!c) return;
    this.conns.delete(name);
    try {
      await c.adapter.close();
    } catch (err) {
      this.log.warn('dbms close failed', { dbms: name, error: errorMessage(err) });
    }
  }

  /** The operator's idle tick (about once a second): each writer's upkeep between writes (DbmsAdapter.idle). */
  async idle(): Promise<void> {
    for (const c of this.conns.values()) await c.adapter.idle?.();
  }

  /**
   * Why `open` answered undefined, as the error that fails the rows or the file (code DbmsNotOpened: transient,
   * they wait in the journal or the watch dir, actors/operator/failures.ts). `what` follows the dbms's name.
   */
  notOpen(name: string, what = ''): DbmsError {
    const why = this.failed.get(name)?.reason;
    const text = why === undefined ? `dbms '${name}' is not connected` : `dbms '${name}' cannot be opened (${why})`;
    return new DbmsError(text + what, { code: Status.DbmsNotOpened, retriable: true });
  }

  /** The dbms's connection if it is open (`open` opens it). */
  get(name: string): DbmsConn | undefined {
    return this.conns.get(name);
  }

  /** Every connected dbms, opened or not. */
  names(): string[] {
    return [...this.configs.keys()];
  }

  /** The opened connections. */
  opened(): DbmsConn[] {
    return [...this.conns.values()];
  }

  position(c: DbmsConn, table: string, stream: string): number {
    return c.positions.get(positionKey(table, stream)) ?? 0;
  }

  async table(c: DbmsConn, table: string): Promise<TableMeta | undefined> {
    let t = c.tables.get(table);
    if (t) return t;
    const cols = await c.adapter.describe(table);
    if (!cols) return undefined;
    t = {
      dbms: c.name,
      table,
      columns: new Map(cols.map((x) => [x.name, x])),
      keyToColumn: new Map(),
    };
    c.tables.set(table, t);
    return t;
  }

  columnOf(t: TableMeta, key: string): string | null {
    let col = t.keyToColumn.get(key);
    if (col === undefined) {
      const n = normalizeColumnName(key) ?? null;
      col = n !== null && t.columns.has(n) && !SYSTEM_COLUMNS.includes(n) ? n : null;
      t.keyToColumn.set(key, col);
    }
    return col;
  }

  /**
   * Makes sure `table` exists with a column for every key. `infer` (the columns EdgeLake would infer
   * from the new rows) is called only when something is missing, so known shapes are never parsed.
   * Throws TableError (EdgeLake 171) when the table is missing and create_table is false.
   */
  async ensure(
    c: DbmsConn,
    table: string,
    keys: readonly string[],
    infer: () => InferredColumn[] | Promise<InferredColumn[]>,
    createTable: boolean,
    tsd: boolean,
  ): Promise<TableMeta> {
    // The doors refuse these already; rows journaled before they did, or a watch-dir file so named,
    // go to the error directory (apply.ts, files.ts) instead of failing forever.
    if (isReservedTableName(table))
      throw new TableError(reservedTableMessage(table), { code: Status.OperatorNotAllowedWithTable });
    let t = await this.table(c, table);
    if (!t) {
      if (!createTable)
        throw new TableError(`table '${c.name}.${table}' does not exist and create_table = false`, {
          code: Status.OperatorNotAllowedWithTable,
        });
      const cols = await infer();
      if (cols.length === 0)
        throw new TableError(`no usable columns for '${c.name}.${table}'`, {
          code: Status.OperatorNotAllowedWithTable,
        });
      const spec: TableSpec = { table, columns: cols, withTsdInfo: tsd };
      await c.adapter.execDDL(createTableStatements(spec, c.adapter.engine));
      this.log.info('table created', { dbms: c.name, table, columns: cols.map((x) => `${x.name} ${x.type}`) });
      c.tables.delete(table);
      await this.assign(c.name, table, spec);
      return (await this.table(c, table))!;
    }
    await this.assign(c.name, table, undefined);
    const missing = keys.filter(
      (k) =>
        this.columnOf(t!, k) === null &&
        normalizeColumnName(k) !== undefined &&
        !SYSTEM_COLUMNS.includes(normalizeColumnName(k)!),
    );
    if (missing.length === 0) {
      // Not one key the table can hold (`{}`, `{"": 1}`, only system columns): an insert would have no columns.
      if (!keys.some((k) => this.columnOf(t!, k) !== null))
        throw new TableError(`no usable columns for '${c.name}.${table}'`, {
          code: Status.OperatorNotAllowedWithTable,
        });
      return t;
    }
    const added: InferredColumn[] = (await infer()).filter((x) => !t!.columns.has(x.name));
    if (added.length > 0) {
      await c.adapter.execDDL(added.flatMap((col) => addColumnStatements(table, col, c.adapter.engine)));
      this.log.info('columns added', { dbms: c.name, table, columns: added.map((x) => `${x.name} ${x.type}`) });
    }
    c.tables.delete(table);
    t = (await this.table(c, table))!;
    return t;
  }

  /**
   * The insert columns for these keys. Keys that normalise to one column (`A` and `a`, `Temp C` and `temp_c`) are
   * taken in EdgeLake's order (columnKeyOrder): the first of them with a value gives the column's; the others are
   * dropped, and said so once per table and key set (a warning in the log).
   */
  insertColumns(t: TableMeta, keys: readonly string[]): InsertBatch['columns'] {
    const byCol = new Map<string, string[]>();
    for (const k of keys) {
      const col = this.columnOf(t, k);
      if (col === null) continue;
      const list = byCol.get(col);
      if (list) list.push(k);
      else byCol.set(col, [k]);
    }
    return [...byCol].map(([name, found]) => {
      const info = t.columns.get(name)!;
      const ks = found.length > 1 ? columnKeyOrder(name, found) : found;
      if (ks.length > 1) this.collision(t, name, ks);
      return { name, keys: ks, type: info.type, notNull: info.notNull };
    });
  }

  private collision(t: TableMeta, column: string, keys: readonly string[]): void {
    const id = JSON.stringify([t.dbms, t.table, column, ...keys]);
    if (this.collided.has(id) || this.collided.size >= MAX_COLLISIONS_LOGGED) return;
    this.collided.add(id);
    this.log.warn('JSON keys name one column: a row stores the value of the first of them with one, in this order', {
      dbms: t.dbms,
      table: t.table,
      column,
      keys,
    });
  }
}

/** Column inference over rows produced lazily (a journal batch parsed only when needed). */
export function inferFrom(rows: () => Iterable<Row>): () => InferredColumn[] {
  return () => inferColumns(rows());
}
