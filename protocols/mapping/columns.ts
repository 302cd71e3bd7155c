// The column members of a `topic = (..)` clause, checked and compiled once (EdgeLake mqtt_client.py
// L2108-2150, L2287-2373; spec section 6):
//   column.<name>.<str|int|float|timestamp> = "bring .." | now | <constant>     other suffix: 124
//   column.<name> = (type = <type> | "bring .." and value = "bring .." | now | <constant>
//                    [and optional = true|false])                                unknown type: 188
// `now` and `now()` both stamp the mapper's `now` (EdgeLake honoured only `now`; a literal `now()` stamped
// only the rows begun after it). Constants are converted here, so a bad constant fails at compile time.
import { ConfigError } from '../../base/errors.js';
import { compileBring, stripBringWord, type BringFn, type CompiledBring } from './bring.js';
import { converterFor, ConversionFailure, unifyType, type ColumnType } from './types.js';
import { Status } from '../../base/status.js';

export interface CompileOptions {
  /** The node's dictionary, for `!var` in column groups and `[!var]` keys. Read once, at compile time. */
  dictionary?: (name: string) => string | undefined;
}

export interface ColumnPlan {
  readonly name: string;
  readonly optional: boolean;
  /** `now` / `now()`: the message time, first in every row. */
  readonly now: boolean;
  /** What the column pulls, for reasons: the bring text (`[reading][value]`) or the constant. */
  readonly source: string;
  /** The bring, or undefined for `now` and constants. */
  readonly value: BringFn | undefined;
  /** The constant: converted when the type is static, raw when the type is brought. */
  readonly constant: unknown;
  /** The static type, or undefined when the type is brought (`type = "bring .."`). */
  readonly type: ColumnType | undefined;
  readonly typeBring: CompiledBring | undefined;
}

const SUFFIX_TYPES = new Set(['str', 'int', 'float', 'timestamp']);
const GROUP_KEYS = new Set(['type', 'value', 'optional']);

export function compileColumns(
  topic: string,
  extra: Readonly<Record<string, unknown>>,
  opts: CompileOptions,
): ColumnPlan[] {
  const plans: ColumnPlan[] = [];
  const seen = new Set<string>();
  for (const [key, raw] of Object.entries(extra)) {
    const where = `topic '${topic}' ${key}`;
    const bad = (msg: string, code: number = Status.MqttInfo): ConfigError =>
      new ConfigError(`${where}: ${msg}`, { code });
    if (!key.startsWith('column.') || key.length <= 7) throw bad('not a column mapping (column.<name>[.<type>])');
    const dot = key.indexOf('.', 7);
    const name = dot < 0 ? key.slice(7) : key.slice(7, dot);
    if (name === '') throw bad('missing column name');
    if (name === '__proto__') throw bad('reserved column name');
    if (seen.has(name)) throw bad(`column '${name}' is mapped twice`);
    seen.add(name);
    let typeText: string;
    let valueText: string;
    let optional = false;
    if (dot >= 0) {
      const suffix = key.slice(dot + 1);
      if (!SUFFIX_TYPES.has(suffix)) {
        throw bad(
          `wrong column type '${suffix}' (str, int, float or timestamp; other types with column.${name} = (type = ..))`,
        );
      }
      if (typeof raw !== 'string') throw bad('expected "bring ..", now or a constant');
      typeText = suffix;
      valueText = raw;
    } else {
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
        throw bad('expected (type = .. and value = .. [and optional = true|false])');
      }
      const group = raw as Record<string, unknown>;
      for (const k of Object.keys(group))
        if (!GROUP_KEYS.has(k)) throw bad(`unknown member '${k}' (type, value, optional)`);
      typeText = member(group, 'type', bad, opts);
      valueText = member(group, 'value', bad, opts);
      if (group['optional'] !== undefined) {
        const o =
          group['optional'] === true || group['optional'] === false
            ? String(group['optional'])
            : member(group, 'optional', bad, opts);
        if (o !== 'true' && o !== 'false') throw bad(`optional must be true or false (got '${o}')`);
        optional = o === 'true';
      }
    }
    plans.push(compileColumn(name, typeText, valueText, optional, `topic '${topic}' column '${name}'`, opts));
  }
  // EdgeLake moves `now` columns first (mapping.insert(0, ..)); the others keep their order.
  return [...plans.filter((p) => p.now), ...plans.filter((p) => !p.now)];
}

function member(g: Record<string, unknown>, k: string, bad: (m: string) => ConfigError, opts: CompileOptions): string {
  const v = g[k];
  if (typeof v !== 'string' || v === '') throw bad(`missing ${k}`);
  if (v.length > 1 && v[0] === '!') {
    const resolved = opts.dictionary?.(v.slice(1));
    if (resolved === undefined || resolved === '') throw bad(`${k} = ${v}: not in the dictionary`);
    return resolved;
  }
  return v;
}

function compileColumn(
  name: string,
  typeText: string,
  valueText: string,
  optional: boolean,
  where: string,
  opts: CompileOptions,
): ColumnPlan {
  const bad = (msg: string, code: number = Status.MqttInfo): ConfigError =>
    new ConfigError(`${where}: ${msg}`, { code });
  const bringOpts = { where, ...(opts.dictionary ? { dictionary: opts.dictionary } : {}) };
  const typeExpr = stripBringWord(typeText);
  const typeBring = typeExpr === undefined ? undefined : compileBring(typeExpr, bringOpts);
  let type: ColumnType | undefined;
  if (!typeBring) {
    type = unifyType(typeText);
    if (!type) throw bad(`data type '${typeText}' not supported`, Status.DataTypeNotSupported);
  }
  const base = { name, optional, type, typeBring };
  const valueExpr = stripBringWord(valueText);
  if (valueExpr !== undefined) {
    const b = compileBring(valueExpr, bringOpts);
    return { ...base, now: false, source: b.text, value: b.fn, constant: undefined };
  }
  if (valueText === 'now' || valueText === 'now()') {
    if (type && type.kind !== 'timestamp' && type.kind !== 'string') throw bad(`now needs a timestamp or str column`);
    return { ...base, now: true, source: valueText, value: undefined, constant: undefined };
  }
  let constant: unknown = valueText;
  if (type) {
    constant = converterFor(type)(valueText);
    if (constant instanceof ConversionFailure) throw bad(`constant ${constant.reason}`);
  }
  return { ...base, now: false, source: valueText, value: undefined, constant };
}
