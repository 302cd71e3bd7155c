// Rows of a partitioned table (`partition <dbms> <table> using <column> by <interval>`) go into EdgeLake's
// partition tables, one per interval (storage/schema/partitions.ts has the names and the interval math), as
// EdgeLake's operator does (map_json_to_insert.py `partition_data` -> partitions.py `split_list`: rows grouped by
// their partition, each group inserted into `par_<table>_<ext>`). A partition table is created on first use with the
// parent's columns (create_table.py: the parent's CREATE with the partition's name) and widened when the parent is.
// The parent table stays (empty of these rows); the journal positions stay keyed by the parent's name, written in
// the same transaction as the rows of every partition (DbmsAdapter.write takes several batches).
import { DbmsError } from '../../base/errors.js';
import { rowsText } from '../../protocols/frames/json-bytes.js';
import { Status } from '../../base/status.js';
import type { DbmsAdapter, InsertBatch } from '../../storage/dbms/types.js';
import { isoMicros } from '../../protocols/format/time.js';
import { normalizeColumnName, quoteIdent } from '../../storage/schema/names.js';
import { parseInterval, partitionOf, partitionTable, type PartitionDecl } from '../../storage/schema/partitions.js';
import type { Catalog, DbmsConn, TableMeta } from './catalog.js';

/** True when rows of `dbms.table` go to partition tables (`partitionBatches` then regroups them). */
export const isPartitioned = (decls: readonly PartitionDecl[] | undefined, dbms: string, table: string): boolean =>
  decls !== undefined && decls.length > 0 && partitionOf(decls, dbms, table) !== undefined;

/**
 * The batches for `batch` (rows of `table`, whose columns are `t`): itself when the table is not partitioned,
 * else one per partition table, each created or widened first.
 */
export async function partitionBatches(
  catalog: Catalog,
  decls: readonly PartitionDecl[] | undefined,
  c: DbmsConn,
  dbms: string,
  t: TableMeta,
  keys: readonly string[],
  batch: InsertBatch,
): Promise<InsertBatch[]> {
  const decl = decls && decls.length > 0 ? partitionOf(decls, dbms, batch.table) : undefined;
  if (!decl) return [batch];
  const iv = parseInterval(decl.interval);
  const column = normalizeColumnName(decl.column);
  if (!iv || column === undefined)
    throw new DbmsError(`partition of ${dbms}.${batch.table}: bad declaration '${decl.column}' by '${decl.interval}'`, {
      code: Status.CommandStructure,
    });
  // EdgeLake: "Partition field '%s' is not recognized in table metadata" (map_json_to_insert.py `partition_data`).
  if (!t.columns.has(column))
    throw new DbmsError(`partition field '${column}' is not a column of ${dbms}.${batch.table}`, {
      code: Status.MissingMetadataInfo,
    });
  const dateKeys = keys.filter((k) => catalog.columnOf(t, k) === column);
  const groups = new Map<string, unknown[]>();
  // A row without the column takes its default, now (partitions.py `split_list`: `current_timestamp`);
  // `insert_timestamp` (the deployment scripts' partition column) is the batch's own insert time.
  const now = column === 'insert_timestamp' ? batch.insertTimestamp : isoMicros();
  for (const row of JSON.parse(rowsText(batch.rowsJson)) as Record<string, unknown>[]) {
    let v: unknown = undefined;
    // Own keys only (pg-copy.ts): a row without a key named like a property of Object.prototype has no value.
    for (const k of dateKeys)
      if (Object.hasOwn(row, k) && row[k] !== undefined && row[k] !== null) {
        v = row[k];
        break;
      }
    const name = partitionTable(batch.table, column, iv, v === undefined ? now : utcText(String(v)));
    if (name === undefined)
      throw new DbmsError(`partition of ${dbms}.${batch.table}: '${String(v)}' in ${column} is not a date`, {
        code: Status.WrongJsonStructure,
      });
    const g = groups.get(name);
    if (g) g.push(row);
    else groups.set(name, [row]);
  }
  const out: InsertBatch[] = [];
  for (const [name, rows] of groups) {
    const pt = await ensurePartition(catalog, c, batch.table, t, name);
    out.push({
      ...batch,
      table: name,
      columns: catalog.insertColumns(pt, keys),
      rowsJson: JSON.stringify(rows),
      rowCount: rows.length,
      // Parsed objects written again: each key once (JSON.parse kept a repeated key's last value, EdgeLake's rule).
      repeatedKeys: false,
    });
  }
  return out;
}

/**
 * A date with a UTC offset as the UTC instant it is stored as (README: offsets are converted), so a row lands in the
 * partition of its stored value; EdgeLake cuts the text as given. Text without an offset is cut as it is.
 */
export function utcText(v: string): string {
  if (!/[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?\s*[+-]\d{2}:?\d{2}$/.test(v)) return v;
  const ms = Date.parse(v.replace(' ', 'T').replace(/\s+(?=[+-])/, ''));
  return Number.isNaN(ms) ? v : new Date(ms).toISOString();
}

/** The partition table `name` of `parent`, created with the parent's columns or widened to them. */
async function ensurePartition(
  catalog: Catalog,
  c: DbmsConn,
  parent: string,
  pt: TableMeta,
  name: string,
): Promise<TableMeta> {
  let t = await catalog.table(c, name);
  if (!t) {
    await c.adapter.execDDL(await createLike(c.adapter, parent, name));
    c.tables.delete(name);
    return (await catalog.table(c, name))!;
  }
  const missing = [...pt.columns.values()].filter((col) => !t!.columns.has(col.name));
  if (missing.length === 0) return t;
  await c.adapter.execDDL(
    missing.map(
      (col) =>
        `ALTER TABLE ${quoteIdent(name, c.adapter.engine)} ADD COLUMN ${quoteIdent(col.name, c.adapter.engine)} ${col.type}`,
    ),
  );
  c.tables.delete(name);
  t = (await catalog.table(c, name))!;
  return t;
}

/**
 * The DDL of a partition: the parent's own CREATE under the partition's name (EdgeLake: create_table.py
 * `utils_sql.change_table_name_to_par`), so the columns, types, NOT NULL and defaults are the parent's.
 */
async function createLike(adapter: DbmsAdapter, parent: string, name: string): Promise<string[]> {
  const p = quoteIdent(parent, adapter.engine);
  const n = quoteIdent(name, adapter.engine);
  if (adapter.engine === 'psql') return [`CREATE TABLE IF NOT EXISTS ${n} (LIKE ${p} INCLUDING DEFAULTS)`];
  const r = await adapter.select(`SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?`, [parent]);
  const sql = r.rows[0]?.[0];
  if (typeof sql !== 'string')
    throw new DbmsError(`partition of '${parent}': the parent table has no definition`, {
      code: Status.MissingMetadataInfo,
    });
  // `CREATE TABLE [IF NOT EXISTS] <name> (` -> the partition's name; the column list is kept as written.
  const open = sql.indexOf('(');
  if (open < 0) throw new DbmsError(`partition of '${parent}': unexpected definition`, { code: Status.SqlFailure });
  return [`CREATE TABLE IF NOT EXISTS ${n} ${sql.slice(open)}`];
}
