// EdgeLake's column types, spelled exactly as suggest_create_table.py produces them (L171-223), before
// create_table_sql lowers them into the statement.

export const TIMESTAMP = 'TIMESTAMP NOT NULL DEFAULT NOW()';
export const DATE = 'DATE NOT NULL DEFAULT NOW()';
export const TIME = 'TIME NOT NULL DEFAULT NOW()';

export type CharType = `CHAR(${number})`;

export type EdgeType =
  | 'BOOLEAN'
  | 'INT'
  | 'BIGINT'
  | 'DECIMAL'
  | 'FLOAT'
  | 'VARCHAR'
  | 'UUID'
  | 'CIDR'
  | typeof TIMESTAMP
  | typeof DATE
  | typeof TIME
  | CharType;

/** `CHAR(n)` for a string of n code points (EdgeLake types strings of up to 8 characters so). */
export function charType(n: number): CharType {
  return `CHAR(${n})`;
}

/** n for `CHAR(n)`, undefined for every other type. */
export function charLength(t: EdgeType): number | undefined {
  const m = /^CHAR\((\d+)\)$/.exec(t);
  return m ? Number(m[1]) : undefined;
}

const FIXED: ReadonlySet<string> = new Set([
  'BOOLEAN',
  'INT',
  'BIGINT',
  'DECIMAL',
  'FLOAT',
  'VARCHAR',
  'UUID',
  'CIDR',
  TIMESTAMP,
  DATE,
  TIME,
]);

/** Narrows text (a stored schema, a test vector) to an EdgeType. */
export function isEdgeType(s: string): s is EdgeType {
  return FIXED.has(s) || /^CHAR\([1-9]\d{0,3}\)$/.test(s);
}

/** The columns EdgeLake puts first in every table it creates (suggest_create_table.py L245). */
export const SYSTEM_COLUMNS: readonly string[] = ['row_id', 'insert_timestamp', 'tsd_name', 'tsd_id'];
