// EdgeLake type -> the column type an engine really gets.
//
// SQLite: exactly what EdgeLake runs (dbms/sqlite_dbms.py modify_sql_create L770-801: the statement
// lowered, `now()` defaults rewritten). SQLite never rejects a value for its declared type (only the
// NOT NULL of date/time columns can fail: an insert must leave a missing value to the DEFAULT, as
// EdgeLake's mapper does), so EdgeLake's text is kept and sqlite_master matches an EdgeLake node byte for byte.
//
// PostgreSQL: EdgeLake runs its text almost unchanged (psql_dbms.py L110-143), which fails or alters
// values that EdgeLake itself accepted into the file. Chosen instead, so that every value EdgeLake's
// inference put in a column goes in and comes back as it was sent:
// - CHAR(n) -> varchar: char(n) pads with spaces on the way out and rejects a longer value later.
// - INT -> bigint: the 99,999,999 INT/BIGINT split is a guess from the first file; int4 would
//   fail later files at 2**31. (A wider *inferred* type still needs alterColumnTypeStatements, ddl.ts.)
// - UUID, CIDR -> varchar: uuid and cidr rewrite the text (an md5 hash, which EdgeLake types UUID,
//   comes back with hyphens; cidr appends /32) and reject forms Python accepts ("fe80::1%eth0", "0x...").
// - `now()` defaults -> UTC: PostgreSQL's now() converts to the session time zone; EdgeLake's times are UTC.
// - A column whose values had types the merged type cannot hold (EdgeLake's merge makes FLOAT of
//   FLOAT+VARCHAR and BIGINT of BIGINT+DECIMAL): decimal when all were numbers, else varchar.
import type { Engine } from '../dbms/types.js';
import { DATE, TIME, TIMESTAMP, charLength, type EdgeType } from './types.js';

export interface ColumnSpec {
  name: string;
  type: EdgeType;
  /** Types of the individual values (InferredColumn.valueTypes); absent: only `type`. */
  valueTypes?: readonly EdgeType[];
}

const NUMERIC: ReadonlySet<EdgeType> = new Set<EdgeType>(['INT', 'BIGINT', 'DECIMAL', 'FLOAT']);

/** Can a PostgreSQL column made for `column` take a value inferred as `value` unchanged? */
function fitsPg(column: EdgeType, value: EdgeType): boolean {
  if (column === value) return true;
  if (column === 'VARCHAR' || column === 'UUID' || column === 'CIDR' || charLength(column) !== undefined) return true;
  if (column === 'FLOAT') return NUMERIC.has(value);
  if (column === 'DECIMAL' || column === 'BIGINT') return value === 'INT';
  return false;
}

const PG_NOW = "(now() at time zone 'utc')";

function pgType(t: EdgeType): string {
  if (charLength(t) !== undefined) return 'varchar';
  switch (t) {
    case 'INT':
    case 'BIGINT':
      return 'bigint';
    case 'UUID':
    case 'CIDR':
      return 'varchar';
    case TIMESTAMP:
      return `timestamp not null default ${PG_NOW}`;
    case DATE:
      return `date not null default (${PG_NOW}::date)`;
    case TIME:
      return `time not null default (${PG_NOW}::time)`;
    default:
      return t.toLowerCase();
  }
}

function sqliteType(t: EdgeType): string {
  switch (t) {
    case TIMESTAMP:
      return 'timestamp not null default current_timestamp';
    case DATE:
      return "date not null default (date('now'))";
    case TIME:
      return "time not null default (time('now'))";
    default:
      return t.toLowerCase();
  }
}

/** The column type (with EdgeLake's NOT NULL DEFAULT for date/time types) for a CREATE TABLE. */
export function physicalType(col: ColumnSpec, engine: Engine): string {
  if (engine === 'sqlite') return sqliteType(col.type);
  const values = col.valueTypes ?? [col.type];
  if (values.every((v) => fitsPg(col.type, v))) return pgType(col.type);
  return values.every((v) => NUMERIC.has(v)) ? 'decimal' : 'varchar';
}

/** The type alone, for ALTER TABLE ADD COLUMN and USING casts: no NOT NULL, no default. */
export function bareType(physical: string): string {
  return physical.replace(/ not null default .*$/, '');
}
