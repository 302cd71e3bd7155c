// One adapter interface for every engine (SQLite through libsql, PostgreSQL through pg).
// The operator writes through `write`, which puts the rows of several batches *and* the journal
// positions and processed-file records they complete into one transaction: a crash at any point
// either keeps all of it or none of it, so recovery neither loses nor duplicates rows.

export type Engine = 'sqlite' | 'psql';

export interface ConnectionConfig {
  type: Engine;
  ip?: string;
  port?: number;
  user?: string;
  password?: string;
  /** PostgreSQL database (default: the logical dbms name). */
  database?: string;
  /** SQLite in memory (EdgeLake `memory = true`). */
  memory?: boolean;
  /** SQLite file (default `<dbms_dir>/<name>.dbms`). */
  file?: string;
}

export interface ColumnInfo {
  name: string;
  /** The engine's declared type, lower case (`timestamp`, `char(5)`, `decimal`...). */
  type: string;
  /** NOT NULL: a missing value takes the column's default (EdgeLake's `timestamp not null default now()`). */
  notNull: boolean;
}

/** The rows of one table in one insert: a JSON array of objects, mapped key -> column. */
export interface InsertBatch {
  table: string;
  /**
   * Target columns and the JSON keys their values come from (several keys can normalise to one column, e.g.
   * `Temp C` and `temp_c`: the first with a value, in the order given, wins; the operator gives EdgeLake's order,
   * actors/operator/catalog.ts `columnKeyOrder`). `notNull` columns fall back to now().
   */
  columns: readonly { name: string; keys: readonly string[]; type: string; notNull: boolean }[];
  /** `[{"k": v, ...}, ...]`: text, or its UTF-8 bytes (streamed rows: protocols/frames/json-bytes.ts). */
  rowsJson: string | Uint8Array;
  rowCount: number;
  /**
   * Whether a row names a top-level key twice (storage/journal/journal.ts `repeatedKeys`, from the producer). Only
   * `false` lets SQLite skip the repeated-key walk (protocols/frames/repeated-keys.ts: EdgeLake keeps a repeated key's
   * last value, json_extract reads the first); true or absent (not known) and the rows are walked.
   */
  repeatedKeys?: boolean | undefined;
  /** EdgeLake's per-file bookkeeping columns. */
  insertTimestamp: string;
  tsdName: string;
  tsdId: number;
}

/** "All journal entries of (table, stream) up to `seq` are in this dbms." */
export interface JournalPosition {
  table: string;
  stream: string;
  seq: number;
}

/**
 * Progress of one claimed watch-dir file (keyed by its unique 8-segment name): `rows` committed so
 * far, `done` when all are. Written with the rows, so a re-scan after a crash resumes exactly.
 */
export interface FileRecord {
  name: string;
  hash: string;
  rows: number;
  done: boolean;
}

export interface SelectResult {
  columns: string[];
  rows: unknown[][];
}

export interface DbmsAdapter {
  readonly name: string;
  readonly engine: Engine;
  listTables(): Promise<string[]>;
  /** Columns in table order, or undefined when the table does not exist. */
  describe(table: string): Promise<ColumnInfo[] | undefined>;
  /** DDL statements, in order, in one transaction where the engine allows. */
  execDDL(statements: readonly string[]): Promise<void>;
  write(
    batches: readonly InsertBatch[],
    positions: readonly JournalPosition[],
    files: readonly FileRecord[],
  ): Promise<number>;
  /** Every journal position recorded in this dbms, keyed `table\u0000stream`. */
  positions(): Promise<Map<string, number>>;
  fileProgress(name: string): Promise<{ rows: number; done: boolean } | undefined>;
  /**
   * A statement the node itself wrote (bookkeeping such as tsd_info), values bound; returns the rows
   * of a RETURNING clause. Never used with text from a request.
   */
  modify(sql: string, params: readonly unknown[]): Promise<unknown[][]>;
  /** A read-only query (SELECT/WITH), parameters bound, never spliced. */
  select(sql: string, params?: readonly unknown[]): Promise<SelectResult>;
  /**
   * The writer's owner calls it about once a second: an engine with upkeep between writes does it when there were
   * none since the last call (SQLite: empties its write-ahead log, storage/dbms/sqlite-wal.ts). PostgreSQL has none.
   */
  idle?(): Promise<void>;
  close(): Promise<void>;
}

/** Tables edgelake-rt keeps for itself in every dbms; hidden from `get tables`. */
export const POSITIONS_TABLE = '_edgelake_rt_journal';
export const FILES_TABLE = '_edgelake_rt_files';
export const isInternalTable = (t: string): boolean => t.startsWith('_edgelake_rt_') || t === 'sqlite_sequence';

export const positionKey = (table: string, stream: string): string => `${table}\u0000${stream}`;
