// Table DDL: the `create` text EdgeLake publishes in a table policy, and the statements that really
// run on SQLite and PostgreSQL.
//
// EdgeLake (suggest_create_table.py create_table_sql L226-280) builds
//   CREATE TABLE IF NOT EXISTS t(\n\trow_id SERIAL PRIMARY KEY,\n\tinsert_timestamp ... ,\n\t<c> <type>\n);
//   \nCREATE INDEX t_<c>_index ON t(<c>);   (first uuid column, timestamp columns, names with sensor_id,
//                                             t_tsd_index with tsd_info; these lines sorted as text)
//   \nCREATE INDEX t_insert_timestamp_index ON t(insert_timestamp);
// and create_table.py L212 replaces every control character with a space before publishing it, so
// "\n\t" shows as two spaces. The same text, lowered and with `now()` rewritten, runs on SQLite
// (sqlite_dbms.py L770-801) one statement at a time.
//
// Not as EdgeLake, on purpose: names that are not plain identifiers are double-quoted (EdgeLake
// writes them bare and the CREATE fails); a repeated index line (a timestamp column named *sensor_id*)
// is written once; the executed indexes use IF NOT EXISTS, because index names are per schema and
// `a_b` + `c` collides with `a` + `b_c` (the stored sqlite_master text is the same either way).
import { createHash } from 'node:crypto';
import { DbmsError } from '../../base/errors.js';
import type { Engine } from '../dbms/types.js';
import { isPlainIdentifier, isSafeIdentifier, sqlName } from './names.js';
import { bareType, physicalType, type ColumnSpec } from './physical.js';
import { SYSTEM_COLUMNS } from './types.js';

export interface TableSpec {
  table: string;
  /** User columns in table order (InferredColumn fits). */
  columns: readonly ColumnSpec[];
  /** The operator runs with tsd_info: adds the t_tsd_index line. */
  withTsdInfo: boolean;
}

export interface CreateOptions {
  /** PostgreSQL `CREATE UNLOGGED TABLE` (EdgeLake's `unlogged = true` connect option). */
  unlogged?: boolean;
}

// PostgreSQL's column limit is 1600, SQLite's default SQLITE_MAX_COLUMN 2000; 4 go to system columns.
const MAX_COLUMNS: Readonly<Record<Engine, number>> = { psql: 1596, sqlite: 1996 };

function check(spec: TableSpec, engine: Engine): void {
  if (!isSafeIdentifier(spec.table)) throw new DbmsError(`unsafe table name ${JSON.stringify(spec.table)}`);
  if (spec.columns.length > MAX_COLUMNS[engine]) {
    throw new DbmsError(
      `table ${spec.table}: ${spec.columns.length} columns, ${engine} takes at most ${MAX_COLUMNS[engine]}`,
    );
  }
  const seen = new Set<string>(SYSTEM_COLUMNS);
  for (const c of spec.columns) {
    if (!isSafeIdentifier(c.name))
      throw new DbmsError(`table ${spec.table}: unsafe column name ${JSON.stringify(c.name)}`);
    if (seen.has(c.name))
      throw new DbmsError(`table ${spec.table}: column "${c.name}" appears twice or is a system column`);
    seen.add(c.name);
  }
}

/** Python's sort order (code points), which differs from JavaScript's above U+FFFF. */
function byCodePoint(a: string, b: string): number {
  const x = Array.from(a, (c) => c.codePointAt(0) ?? 0);
  const y = Array.from(b, (c) => c.codePointAt(0) ?? 0);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return (x[i] ?? 0) - (y[i] ?? 0);
  return x.length - y.length;
}

/** Columns that get `t_<c>_index`, in EdgeLake's order (L262-270), each once. */
function indexedColumns(spec: TableSpec): string[] {
  const out: string[] = [];
  let uuid = false;
  for (const c of spec.columns) {
    const t = c.type.toLowerCase();
    const isUuid = t.includes('uuid') && !uuid;
    if (isUuid) uuid = true;
    if ((isUuid || t.includes('timestamp') || c.name.includes('sensor_id')) && !out.includes(c.name)) out.push(c.name);
  }
  return out;
}

/** PostgreSQL truncates names at 63 bytes; a longer index name gets a hash suffix so two cannot collide. */
function pgIndexName(name: string): string {
  if (Buffer.byteLength(name) <= 63) return name;
  let head = name;
  while (Buffer.byteLength(head) > 54) head = Array.from(head).slice(0, -1).join('');
  return `${head}_${createHash('md5').update(name).digest('hex').slice(0, 8)}`;
}

/**
 * An index name: made of a checked table and column name, so only its length can exceed what
 * quoteIdent accepts (SQLite has no limit; PostgreSQL's names go through pgIndexName first).
 */
function indexIdent(name: string): string {
  return isPlainIdentifier(name) ? name : `"${name}"`;
}

interface IndexLine {
  name: string;
  columns: string;
}

function indexLines(spec: TableSpec, engine: Engine): IndexLine[] {
  const t = spec.table;
  const q = (n: string): string => sqlName(n, engine);
  const lines = indexedColumns(spec).map((c) => ({ name: `${t}_${c}_index`, columns: q(c) }));
  if (spec.withTsdInfo) lines.push({ name: `${t}_tsd_index`, columns: 'tsd_name, tsd_id' });
  // EdgeLake sorts the text "\nCREATE INDEX <name> ON ..."; the shared prefix leaves the name to decide.
  const text = (l: IndexLine): string => `${indexIdent(l.name)} ON ${q(t)}(${l.columns});`;
  lines.sort((a, b) => byCodePoint(text(a), text(b)));
  lines.push({ name: `${t}_insert_timestamp_index`, columns: 'insert_timestamp' });
  return lines;
}

/** The `create` of the table policy, byte for byte as EdgeLake publishes it. */
export function publishedCreate(spec: TableSpec): string {
  check(spec, 'psql');
  const q = (n: string): string => sqlName(n, 'psql');
  const t = q(spec.table);
  const cols = spec.columns.map((c) => `,  ${q(c.name)} ${c.type.toLowerCase()}`).join('');
  const head = `CREATE TABLE IF NOT EXISTS ${t}(  row_id SERIAL PRIMARY KEY,  insert_timestamp TIMESTAMP NOT NULL DEFAULT NOW(),  tsd_name CHAR(3),  tsd_id INT`;
  const idx = indexLines(spec, 'psql').map((l) => ` CREATE INDEX ${indexIdent(l.name)} ON ${t}(${l.columns});`);
  return `${head}${cols} );${idx.join('')}`;
}

/** The statements to run, in order: CREATE TABLE, then its indexes. */
export function createTableStatements(spec: TableSpec, engine: Engine, opts: CreateOptions = {}): string[] {
  check(spec, engine);
  const q = (n: string): string => sqlName(n, engine);
  const t = q(spec.table);
  const types = spec.columns.map((c) => physicalType(c, engine));
  let head: string;
  if (engine === 'sqlite') {
    // EdgeLake's " bigint " -> " integer " only matches a bigint followed by a space: the last column.
    if (spec.columns.at(-1)?.type === 'BIGINT') types[types.length - 1] = 'integer';
    head = `create table if not exists ${t}(  row_id integer primary key autoincrement,  insert_timestamp timestamp not null default current_timestamp,  tsd_name char(3),  tsd_id int`;
  } else {
    // bigserial: EdgeLake's serial (int4) stops a table at 2**31 rows.
    const kind = opts.unlogged ? 'unlogged table' : 'table';
    head = `create ${kind} if not exists ${t}(  row_id bigserial primary key,  insert_timestamp timestamp not null default (now() at time zone 'utc'),  tsd_name char(3),  tsd_id int`;
  }
  const cols = spec.columns.map((c, i) => `,  ${q(c.name)} ${types[i] ?? ''}`).join('');
  const idx = indexLines(spec, engine).map((l) => {
    const name = indexIdent(engine === 'psql' ? pgIndexName(l.name) : l.name);
    return `create index if not exists ${name} on ${t}(${l.columns})`;
  });
  return [`${head}${cols} )`, ...idx];
}

/**
 * A column that appears in a later batch (EdgeLake never adds one: its rows lose the value). Added
 * without NOT NULL/DEFAULT: SQLite refuses a non-constant default here, and the rows already in the
 * table had no value, so NULL is the truth for them. Indexed like a CREATE would.
 */
export function addColumnStatements(table: string, col: ColumnSpec, engine: Engine): string[] {
  check({ table, columns: [col], withTsdInfo: false }, engine);
  const q = (n: string): string => sqlName(n, engine);
  const ifNot = engine === 'psql' ? ' if not exists' : '';
  const out = [`alter table ${q(table)} add column${ifNot} ${q(col.name)} ${bareType(physicalType(col, engine))}`];
  for (const c of indexedColumns({ table, columns: [col], withTsdInfo: false })) {
    const name = engine === 'psql' ? pgIndexName(`${table}_${c}_index`) : `${table}_${c}_index`;
    out.push(`create index if not exists ${indexIdent(name)} on ${q(table)}(${q(c)})`);
  }
  return out;
}

/**
 * PostgreSQL only: a column whose merged type needs a different physical type (INT -> DECIMAL,
 * anything -> VARCHAR). SQLite stores any value in any column: nothing to run.
 */
export function alterColumnTypeStatements(table: string, from: ColumnSpec, to: ColumnSpec, engine: Engine): string[] {
  check({ table, columns: [to], withTsdInfo: false }, engine);
  if (engine === 'sqlite') return [];
  const before = bareType(physicalType(from, engine));
  const after = bareType(physicalType(to, engine));
  if (before === after) return [];
  const c = sqlName(to.name, engine);
  return [`alter table ${sqlName(table, engine)} alter column ${c} type ${after} using ${c}::${after}`];
}
