// compilePolicy: an EdgeLake `mapping` policy (a topic with `policy = <id>`) -> the same Mapper shape as
// compileTopic (EdgeLake json_to_sql/mapping_policy.py L152-535 apply_policy_schema / process_event,
// L713-745 bring_and_default_to_data, L675-711 get_applied_val; mqtt_client.py L1205-1290):
//   {"mapping": {"id": .., "dbms": <name | "bring ..">, "table": <name | "bring ..">,
//                "readings": <key>?,                       one row per element of message[key]
//                "schema": {<column>: {"type": t, "bring": "[path]"?, "value": "bring [path]"?,
//                                      "default": v | "now()"?, "root": true?, "apply": f?,
//                                      "dbms": d?, "table": t?, "optional": true?}
//                                     | [ alternatives, the first whose dbms/table match ]}}}
// A column brings `bring`, else the bring in `value`, else `[<column>]`, from the reading (the message
// itself without `readings`; the whole message with `root: true`). Missing (absent, null, "") -> `default`,
// else skipped when `optional` (an edgelake-rt addition), else error 125. `__x__` columns are script-only
// and skipped. Not supported (ConfigError 87): `script`, `condition`, `import`, `*` columns, `blob` columns.
// `source` (the data source named in file names) does not affect rows and is not read here.
// Divergences: 0 and false are values (EdgeLake's truthiness test replaced them by the default); values
// are converted by type (types.ts) instead of copied into JSON text; `epoch_to_datetime` keeps leading
// zeros of the fraction (EdgeLake turned 1704067200012 into `.12Z`).
import { ConfigError } from '../../base/errors.js';
import { BringFailure, compileBring, stripBringWord, type BringFn } from './bring.js';
import { compileName, nameOf, type CompileOptions } from './compile.js';
import { isObject, wrapMapper } from './payload.js';
import { MapCode, type MapFailure, type Mapper } from './result.js';
import { converterFor, ConversionFailure, unifyType, type Converter } from './types.js';
import { Status } from '../../base/status.js';

const WRONG_STRUCTURE = 6; // EdgeLake ERR_wrong_json_structure
const WRONG_POLICY = 87; // EdgeLake Wrong_policy_structure
// `hash` and `extension` only matter to blob columns (refused below); EdgeLake ignores them otherwise.
const COLUMN_KEYS = new Set(['type', 'bring', 'value', 'default', 'root', 'apply', 'dbms', 'table', 'optional']);
const IGNORED_KEYS = new Set(['blob', 'hash', 'extension']);

interface Alternative {
  readonly dbms: string | undefined;
  readonly table: string | undefined;
  readonly source: string;
  readonly bring: BringFn;
  readonly root: boolean;
  readonly optional: boolean;
  /** 'none', 'now', or the converted default. */
  readonly fallback: { kind: 'none' } | { kind: 'now' } | { kind: 'value'; value: unknown };
  readonly apply: ((v: unknown) => unknown) | undefined;
  readonly conv: Converter;
}

export function compilePolicy(policy: unknown, opts: CompileOptions = {}): Mapper {
  const inner = isObject(policy) ? policy['mapping'] : undefined;
  if (!isObject(inner))
    throw new ConfigError(`mapping policy: no 'mapping' object at the root`, { code: WRONG_STRUCTURE });
  const id = inner['id'];
  if (typeof id !== 'string' || id === '')
    throw new ConfigError('mapping policy without an id', { code: WRONG_STRUCTURE });
  const where = `policy '${id}'`;
  const bad = (msg: string, code: number = WRONG_STRUCTURE): ConfigError =>
    new ConfigError(`${where}: ${msg}`, { code });
  for (const k of ['script', 'condition', 'import', 'import_'])
    if (k in inner) throw bad(`'${k}' is not supported`, WRONG_POLICY);
  const schema = inner['schema'];
  if (!isObject(schema)) throw bad(`missing 'schema'`);
  const dbms = compileName(inner['dbms'], 'dbms', where, opts);
  const table = compileName(inner['table'], 'table', where, opts);
  const readings = compileReadings(inner['readings'], where, bad);
  const cols: { name: string; alts: Alternative[] }[] = [];
  for (const [name, info] of Object.entries(schema)) {
    if (name.startsWith('__') && name.endsWith('__')) continue;
    if (name === '*') throw bad(`'*' columns are not supported`, WRONG_POLICY);
    const list = Array.isArray(info) ? info : [info];
    cols.push({
      name,
      alts: list.map((a, i) =>
        compileAlternative(a, `${where} column '${name}'${list.length > 1 ? ` [${i}]` : ''}`, name, opts),
      ),
    });
  }
  if (cols.length === 0) throw bad('the schema has no column');

  const fail = (code: MapFailure['code'], reason: string): MapFailure => ({ code, reason: `${where} ${reason}` });
  return wrapMapper((m, stamp, out): MapFailure | undefined => {
    let entries: readonly unknown[] = [m];
    if (readings) {
      const r = readings.fn(m);
      if (r === undefined)
        return fail(MapCode.missingValue, `pulls readings '${readings.text}' which is missing in message`);
      entries = Array.isArray(r) ? r : [r];
      if (entries.length === 0) entries = [{}]; // EdgeLake: an empty list still maps the `root` columns
    }
    const dbmsName = dbms.kind === 'const' ? dbms.name : nameOf(dbms.fn(m));
    if (dbmsName === undefined)
      return fail(MapCode.emptyDbms, `dbms bring '${dbms.kind === 'bring' ? dbms.text : ''}' is empty in message`);
    const tableName = table.kind === 'const' ? table.name : nameOf(table.fn(m));
    if (tableName === undefined)
      return fail(MapCode.emptyTable, `table bring '${table.kind === 'bring' ? table.text : ''}' is empty in message`);
    for (let e = 0; e < entries.length; e++) {
      const row: Record<string, unknown> = {};
      let filled = 0;
      for (const col of cols) {
        const alt = choose(col.alts, dbmsName, tableName);
        if (!alt) continue;
        let v = alt.bring(alt.root ? m : entries[e]);
        if (v instanceof BringFailure)
          return fail(MapCode.missingValue, `column '${col.name}' pulls '${alt.source}': ${v.reason}`);
        if (v === undefined) {
          if (alt.fallback.kind === 'now') v = stamp;
          else if (alt.fallback.kind === 'value') v = alt.fallback.value;
          else if (alt.optional) continue;
          else
            return fail(
              MapCode.missingValue,
              `column '${col.name}' pulls '${alt.source}' which is missing ${at(readings, e)} and has no default`,
            );
        } else {
          if (alt.apply) v = alt.apply(v);
          if (!(v instanceof ConversionFailure)) v = alt.conv(v);
          if (v instanceof ConversionFailure)
            return fail(
              MapCode.badMapping,
              `column '${col.name}' pulls '${alt.source}' ${at(readings, e)}: ${v.reason}`,
            );
        }
        row[col.name] = v;
        filled++;
      }
      if (filled > 0) out.push({ dbms: dbmsName, table: tableName, row });
    }
    return undefined;
  });
}

/** The first alternative of a column whose `dbms` / `table` (when given) are the row's. */
function choose(alts: readonly Alternative[], dbms: string, table: string): Alternative | undefined {
  for (const a of alts) {
    if ((a.dbms === undefined || a.dbms === dbms) && (a.table === undefined || a.table === table)) return a;
  }
  return undefined;
}

const at = (readings: unknown, e: number): string => (readings ? `in reading ${e}` : 'in message');

function compileReadings(v: unknown, where: string, bad: (m: string) => ConfigError) {
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'string') throw bad(`'readings' must be a key name`);
  // EdgeLake: a top-level key; a `[a][b]` path is accepted as well.
  if (!v.startsWith('[') && v.includes(']')) throw bad(`'readings' key '${v}' has a ']'`);
  const text = v.startsWith('[') ? v : `[${v}]`;
  const b = compileBring(text, {
    where: `${where} readings`,
    expandArrays: false,
    allowIteration: false,
    code: WRONG_STRUCTURE,
  });
  return { fn: b.fn, text: b.text };
}

function compileAlternative(info: unknown, where: string, name: string, opts: CompileOptions): Alternative {
  const bad = (msg: string, code: number = WRONG_STRUCTURE): ConfigError =>
    new ConfigError(`${where}: ${msg}`, { code });
  if (!isObject(info)) throw bad('expected an object with type, bring, default');
  if (info['blob'] === true) throw bad(`blob columns are not supported`, WRONG_POLICY);
  if ('script' in info) throw bad(`'script' is not supported`, WRONG_POLICY);
  for (const k of Object.keys(info)) if (!COLUMN_KEYS.has(k) && !IGNORED_KEYS.has(k)) throw bad(`unknown key '${k}'`);
  const typeName = info['type'];
  if (typeof typeName !== 'string') throw bad(`missing 'type'`);
  const type = unifyType(typeName);
  if (!type) throw bad(`data type '${typeName}' not supported`, Status.DataTypeNotSupported);
  const conv = converterFor(type);

  let expr = `[${name}]`;
  const value = info['value'];
  const fromValue = typeof value === 'string' ? stripBringWord(value) : undefined;
  if (fromValue !== undefined && fromValue !== '') expr = fromValue; // a constant `value` is ignored, as in EdgeLake
  const given = info['bring'];
  if (given !== undefined) {
    // The policy schema allows a string or a list of words (policies.py mapping_schema_attr).
    const words = Array.isArray(given) && given.every((w) => typeof w === 'string') ? given.join(' ') : given;
    if (typeof words !== 'string') throw bad(`'bring' must be a string or a list of strings`);
    expr = stripBringWord(words) ?? words;
  }
  const b = compileBring(expr, {
    where,
    expandArrays: false,
    allowIteration: false,
    ...(opts.dictionary ? { dictionary: opts.dictionary } : {}),
  });

  let fallback: Alternative['fallback'] = { kind: 'none' };
  if ('default' in info) {
    const d = info['default'];
    if (d === 'now()') fallback = { kind: 'now' };
    else if (d === null || d === '') fallback = { kind: 'value', value: null };
    else {
      const c = conv(d);
      if (c instanceof ConversionFailure) throw bad(`default ${c.reason}`, Status.MqttInfo);
      fallback = { kind: 'value', value: c };
    }
  }
  for (const k of ['dbms', 'table', 'apply'] as const) {
    if (info[k] !== undefined && typeof info[k] !== 'string') throw bad(`'${k}' must be a string`);
  }
  for (const k of ['root', 'optional'] as const) {
    if (info[k] !== undefined && typeof info[k] !== 'boolean') throw bad(`'${k}' must be true or false`);
  }
  return {
    dbms: info['dbms'] as string | undefined,
    table: info['table'] as string | undefined,
    source: b.text,
    bring: b.fn,
    root: info['root'] === true,
    optional: info['optional'] === true,
    fallback,
    apply: applyFn(info['apply'] as string | undefined, bad),
    conv,
  };
}

function applyFn(name: string | undefined, bad: (m: string, code?: number) => ConfigError) {
  if (name === undefined) return undefined;
  if (name === 'epoch_to_datetime') return epochToDatetime;
  if (name === 'json_dump') {
    return (v: unknown): unknown => {
      try {
        return JSON.stringify(v);
      } catch (err) {
        return new ConversionFailure(`json_dump failed (${err instanceof Error ? err.message : String(err)})`);
      }
    };
  }
  throw bad(`unknown apply function '${name}' (epoch_to_datetime, json_dump)`, WRONG_POLICY);
}

/** EdgeLake utils_columns.epoch_to_date_time: 10 digits of seconds, further digits are the fraction. */
function epochToDatetime(v: unknown): unknown {
  const digits = typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? String(v) : v;
  if (typeof digits !== 'string' || !/^[0-9]+$/.test(digits)) return v; // not an epoch: kept (EdgeLake)
  const seconds = Number(digits.slice(0, 10));
  const fraction = digits.length > 10 ? digits.slice(10, 17) : '0';
  const iso = new Date(seconds * 1000).toISOString();
  return `${iso.slice(0, 19)}.${fraction}Z`;
}
