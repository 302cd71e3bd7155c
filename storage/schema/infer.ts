// A table's columns from its rows, as EdgeLake infers them for a new table
// (suggest_create_table.py get_column_types L31-118 and set_column_name_type L95-118): columns in
// first-seen order, each with the merge of its values' types, null-only columns VARCHAR.
//
// Incremental: feed batches with `add`; a later batch may add columns (at the end) and widen types.
// Seed it with an existing table's columns to learn what a new batch needs (ALTER TABLE ADD COLUMN, or
// on PostgreSQL a wider column type, see ddl.ts).
//
// Where this differs from EdgeLake, on purpose (README.md): "2" and "_2" share the column `_2` (EdgeLake
// keys its columns before the digit prefix and writes `_2` twice, which fails the CREATE; "Temp C" and
// "temp_c" share a column in both); an empty row `{}` is skipped instead of failing the whole file; keys
// that cannot become a column (empty, too long, a system column name) are reported in `rejected()`
// instead of being dropped silently or failing the CREATE.
import { ProtocolError } from '../../base/errors.js';
import { MAX_NAME_LENGTH, isSafeIdentifier, normalizeColumnName } from './names.js';
import { SYSTEM_COLUMNS, type EdgeType } from './types.js';
import { mergeTypes, valueType } from './value-type.js';

/**
 * A row: a JSON object. For a plain object, JavaScript lists integer-like keys ("2", "10") first,
 * whatever their place in the text (Python keeps text order); pass a Map to keep the text order.
 */
export type Row = Readonly<Record<string, unknown>> | ReadonlyMap<string, unknown>;

export interface InferredColumn {
  /** The column name: normalised, `_` before an all-digit name. */
  name: string;
  /** The first JSON key seen for this column. */
  sourceKey: string;
  /** Every JSON key that maps to this column, first-seen order. */
  sourceKeys: readonly string[];
  /** The merged type; VARCHAR while only nulls were seen. */
  type: EdgeType;
  /** Only nulls so far (EdgeLake's "" type, reported as VARCHAR). */
  nullOnly: boolean;
  /** The distinct types of the individual values, first-seen order (physical.ts uses them). */
  valueTypes: readonly EdgeType[];
}

export interface RejectedKey {
  key: string;
  reason: string;
}

/** An existing column to start from (a table already in the dbms). */
export interface SeedColumn {
  name: string;
  type: EdgeType;
  sourceKeys?: readonly string[];
}

export interface SchemaInferrer {
  add(rows: Iterable<Row>): void;
  /** Snapshot of the columns, first-seen order. */
  columns(): InferredColumn[];
  /** Keys that could not become columns, each once. */
  rejected(): RejectedKey[];
}

interface State {
  name: string;
  keys: string[];
  /** undefined = only nulls so far. */
  type: EdgeType | undefined;
  valueTypes: EdgeType[];
}

const SYSTEM = new Set(SYSTEM_COLUMNS);
/** Distinct string texts whose type an inferrer remembers, per kind of column. */
const TYPED_TEXTS_MAX = 4096;

function entries(row: Row): Iterable<[string, unknown]> {
  if (row instanceof Map) return row.entries();
  if (typeof row !== 'object' || row === null || Array.isArray(row)) {
    // EdgeLake: "Json data in line #%u is not formatted correctly" (L85), the file fails.
    throw new ProtocolError(`a row must be a JSON object (got ${Array.isArray(row) ? 'array' : typeof row})`);
  }
  return Object.entries(row);
}

export function createSchemaInferrer(seed: Iterable<SeedColumn> = []): SchemaInferrer {
  const cols = new Map<string, State>();
  const byKey = new Map<string, State | RejectedKey>();
  const rejected: RejectedKey[] = [];
  for (const s of seed)
    cols.set(s.name, { name: s.name, keys: [...(s.sourceKeys ?? [])], type: s.type, valueTypes: [] });

  function resolve(key: string): State | RejectedKey {
    const known = byKey.get(key);
    if (known) return known;
    let out: State | RejectedKey;
    const name = normalizeColumnName(key);
    if (name === undefined) out = { key, reason: 'empty column name' };
    else if (name.length > MAX_NAME_LENGTH) out = { key, reason: `column name longer than ${MAX_NAME_LENGTH}` };
    else if (!isSafeIdentifier(name)) out = { key, reason: 'column name cannot be made safe' };
    else if (SYSTEM.has(name)) out = { key, reason: `"${name}" is an EdgeLake system column` };
    else {
      let st = cols.get(name);
      if (!st) {
        st = { name, keys: [], type: undefined, valueTypes: [] };
        cols.set(name, st);
      }
      if (!st.keys.includes(key)) st.keys.push(key);
      out = st;
    }
    if (!('name' in out)) rejected.push(out);
    byKey.set(key, out);
    return out;
  }

  // A string's type depends only on its text and on whether the column's name holds `time` (value-type.ts
  // stringType): a text seen before (device ids, states) is typed once. Each check of a new text costs several
  // parses (uuid, timestamp, date, time, ip: ~15 µs a row of the ingest bench, more than its insert); bounded, so
  // unique texts (timestamps) fill it once and are then only looked up.
  const typedTexts = { time: new Map<string, EdgeType>(), other: new Map<string, EdgeType>() };
  function typeOf(column: string, value: unknown): EdgeType | undefined {
    if (typeof value !== 'string') return valueType(column, value);
    const memo = column.includes('time') ? typedTexts.time : typedTexts.other;
    let t = memo.get(value);
    if (t === undefined) {
      t = valueType(column, value);
      if (t !== undefined && memo.size < TYPED_TEXTS_MAX) memo.set(value, t);
    }
    return t;
  }

  function addRow(row: Row): void {
    for (const [key, value] of entries(row)) {
      const st = resolve(key);
      if (!('name' in st)) continue;
      // EdgeLake passes the name before the digit prefix; only `*time*` matters there, which the prefix cannot change.
      const t = typeOf(st.name, value);
      if (t === undefined) continue;
      if (!st.valueTypes.includes(t)) st.valueTypes.push(t);
      st.type = st.type === undefined ? t : mergeTypes(st.type, t);
    }
  }

  return {
    add(rows) {
      for (const row of rows) addRow(row);
    },
    columns() {
      return [...cols.values()].map((s) => ({
        name: s.name,
        sourceKey: s.keys[0] ?? s.name,
        sourceKeys: [...s.keys],
        type: s.type ?? 'VARCHAR',
        nullOnly: s.type === undefined,
        valueTypes: [...s.valueTypes],
      }));
    },
    rejected() {
      return [...rejected];
    },
  };
}

/** All rows at once: the columns EdgeLake would create for a new table from this file. */
export function inferColumns(rows: Iterable<Row>): InferredColumn[] {
  const inf = createSchemaInferrer();
  inf.add(rows);
  return inf.columns();
}
