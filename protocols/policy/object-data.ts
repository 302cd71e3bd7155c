// One bring key applied to one object (generic/utils_json.py get_object_data L743-833, apply_mapping
// L845-874):
//   ["*"]...          the policy's own type replaces `*` (`[*]` alone = the type)
//   ["k"]["f(...)"]   a mapping on a text value: path(rfind(x)) after the last x, path(find(x)) before
//                     the first x, path(prefix(n)) / path(suffix(n)) first / last n characters
//   list marker       `[k][]` renders the list as str(); `[k][][f]` renders `[v1,v2,]`, texts in
//                     double quotes; a value that is not a list is error 6
// Missing values contribute nothing (with bring.json.null: the key with "").
import { CommandError } from '../../base/errors.js';
import { policyType } from './id.js';
import { keyName, lookup, makePullKeys, type WordResolver } from './keys.js';
import { pyStr } from './pyrepr.js';
import type { PyDict, PyValue } from './pyvalue.js';
import { Status } from '../../base/status.js';

/** Modifier bits (utils_json.py bring_types_). */
export const BRING_BITS = {
  bring: 1,
  unique: 2,
  recent: 4,
  last: 4,
  first: 8,
  json: 16,
  count: 32,
  table: 64,
  null: 128,
  sort: 256,
  ip_port: 512,
  min: 1024,
  max: 2048,
  list: 4096,
  children: 8192,
} as const;
export type BringName = keyof typeof BRING_BITS;
export const hasBit = (bits: number, name: BringName): boolean => (bits & BRING_BITS[name]) !== 0;

/** EdgeLake's ret_val across one bring: each key lookup sets or clears it, the last one decides the reply. */
export interface PullState {
  error: CommandError | undefined;
  resolve: WordResolver;
}

/** Where a field's value goes. */
export interface FieldOut {
  outJson: boolean;
  /** bring.json: the object built for the current policy. */
  newJson: PyDict;
  /** Prefix the separator (first field of every policy but the first). */
  sepEvent: boolean;
  separator: string;
  /** bring.null: missing keys are added to the JSON with "". */
  nulls: boolean;
}

/** `mapping` as EdgeLake cuts it from the key: `(rfind(/)` - up to the first ')'. */
function applyMapping(v: PyValue, mapping: string): string {
  if (typeof v !== 'string' || v === '') return '';
  const fn = /^\((rfind|find|prefix|suffix)\((.*)\)$/.exec(mapping);
  if (!fn) return '';
  const name = fn[1]!;
  const arg = fn[2]!;
  if (name === 'rfind') {
    const i = v.lastIndexOf(arg);
    return i < 0 ? '' : v.slice(i + arg.length);
  }
  if (name === 'find') {
    const i = v.indexOf(arg);
    return i < 0 ? '' : v.slice(0, i);
  }
  if (!/^\d+$/.test(arg)) return '';
  const chars = [...v];
  const n = Number(arg);
  // Python: s[:n] and s[-n:] (s[-0:] is the whole string).
  return (name === 'prefix' ? chars.slice(0, n) : n === 0 ? chars : chars.slice(-n)).join('');
}

/** next(iter(obj)): a dict's first key, a list's first item, a string's first character. */
function firstOf(obj: PyValue): PyValue | undefined {
  if (obj instanceof Map) return obj.keys().next().value;
  if (Array.isArray(obj)) return obj[0];
  if (typeof obj === 'string') return [...obj][0];
  return undefined;
}

/** The text a key brings from `obj` ('' when missing); with bring.json the value goes to `o.newJson`. */
export function objectData(
  st: PullState,
  obj: PyValue,
  key0: string,
  isList: boolean,
  nextKey: string,
  o: FieldOut,
  quote: boolean,
): string {
  st.error = undefined;
  let key = key0;
  if (key.startsWith('["*"]')) {
    const type = policyType(obj);
    if (key.length === 5) key = '';
    else if (type !== undefined) key = `["${type}"]${key.slice(5)}`;
  }
  let mapping: string | undefined;
  if (key.length > 6 && key[key.length - 3] === ')') {
    const m = /^(\["[^"]+"\])(\["[^"]+"\])/.exec(key);
    if (m) {
      key = m[1]! + m[2]!.replace(/\(.*\)/, '');
      mapping = /\([^)]*\)/.exec(m[2]!)?.[0];
      // EdgeLake raises here (the mapping is not in the second key): the command fails.
      if (mapping === undefined)
        throw new CommandError(`Wrong mapping in bring key: '${key0}'`, { code: Status.CommandStructure });
    }
  }
  let out = key === '' ? firstOf(obj) : lookup(obj, key);
  if (out === undefined) {
    if (o.outJson && o.nulls) o.newJson.set(keyName(key), '');
    return '';
  }
  if (mapping !== undefined) out = applyMapping(out, mapping);
  if (isList) {
    if (!Array.isArray(out)) {
      const msg = `Failed to retrieve a list from the JSON structure using the key: '${key}'`;
      st.error = new CommandError(msg, { code: Status.WrongJsonStructure });
      return '';
    }
    if (!nextKey) return pyStr(out);
    const pk = makePullKeys(nextKey, st.resolve);
    if (!pk.isKey) return '';
    // EdgeLake hands the outer next_key down, not the inner one: kept, it decides the reply bytes.
    return `[${out.map((e) => `${objectData(st, e, pk.key, pk.isList, nextKey, o, true)},`).join('')}]`;
  }
  if (out === null) return '';
  const data = typeof out === 'string' && quote ? `"${out}"` : out;
  if (o.outJson) {
    o.newJson.set(key === '' ? 'policy' : keyName(key), data);
    return '';
  }
  return (o.sepEvent ? o.separator : '') + pyStr(data);
}
