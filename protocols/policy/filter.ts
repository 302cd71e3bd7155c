// `where` filters of `blockchain get` (blockchain/blockchain.py __validate_value_pair L715-822, __get_json
// L500-561; generic/utils_json.py make_json_struct_from_where L910-977):
//   pair      := key ('=' | 'with') value        joined by 'and'
//   key       := name | name[child] | [name][child] | [name]
//   '='       strings compare case-insensitively; '*' stored in the policy matches anything;
//             ints and floats compare as numbers (Python int()/float() of the text)
//   'with'    the value is a word or a JSON list; one of its entries must equal the policy value
//             (or be in the policy's list)
//   condition any other operator: the where text is an `if` condition over the policy, `[k][k2]` words
//             being the policy's values as text (params.py get_value_type L810-835)
// Deliberate differences (EdgeLake drops matches here; the spec asks for the intent, not the bug):
//   - name[child] on a list tests every entry holding `child` (EdgeLake tests only the first one);
//   - lists and nested values compare like top-level values (EdgeLake: exact text for list entries,
//     strings only for nested values); a bool equals true/false (EdgeLake only 1/0, through int()).
import { evaluate, parseCondition, type Condition } from '../command/condition.js';
import { lookup, makePullKeys, type WordResolver } from './keys.js';
import { pyStr } from './pyrepr.js';
import { PyFloat, isDict, type PyDict, type PyValue } from './pyvalue.js';

export interface WherePair {
  /** As written: `name`, `table[name]`, `[table][name]`. */
  key: string;
  /** A string for `=`; the list of `with` (or a non-string from a JSON filter, which never matches). */
  value: PyValue;
}

/** Python int(text): optional sign, ASCII digits with single underscores, surrounding white space. */
function pyInt(text: string): bigint | undefined {
  const t = text.trim();
  return /^[+-]?\d+(_\d+)*$/.test(t) ? BigInt(t.replace(/_/g, '')) : undefined;
}

/** Python float(text): decimal or exponent forms, inf/infinity/nan in any case, surrounding white space. */
export function pyFloatOf(text: string): number | undefined {
  const t = text.trim().replace(/(?<=\d)_(?=\d)/g, '');
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return Number(t);
  const m = /^([+-]?)(inf|infinity|nan)$/i.exec(t);
  if (!m) return undefined;
  if (m[2]!.toLowerCase() === 'nan') return NaN;
  return m[1] === '-' ? -Infinity : Infinity;
}

/** One stored value against the user's text (already lower-cased in `lower`). */
function scalarEquals(stored: PyValue | undefined, text: string, lower: string): boolean {
  if (typeof stored === 'string') return stored.toLowerCase() === lower;
  if (typeof stored === 'boolean') return lower === String(stored) || pyInt(text) === (stored ? 1n : 0n);
  if (typeof stored === 'bigint' || (typeof stored === 'number' && Number.isInteger(stored)))
    return pyInt(text) === BigInt(stored);
  if (typeof stored === 'number' || stored instanceof PyFloat) {
    const n = pyFloatOf(text);
    return n !== undefined && n === (typeof stored === 'number' ? stored : stored.value);
  }
  return false;
}

/** `table[name]` -> ['table', '[name]']; undefined for a malformed `[..]` key (never matches). */
function splitKey(nested: string): [string, string] | undefined {
  if (!nested.endsWith(']')) return [nested, ''];
  const open = nested.indexOf('[');
  if (open > 0) return [nested.slice(0, open), nested.slice(open)];
  if (open < 0) return [nested, ''];
  const close = nested.indexOf(']');
  return close < 2 ? undefined : [nested.slice(1, close), nested.slice(close + 1)];
}

function pairMatches(inner: PyDict, pair: WherePair): boolean {
  const split = splitKey(pair.key);
  if (!split || !inner.has(split[0])) return false;
  const [key, child] = split;
  const stored = inner.get(key)!;
  const test = pair.value;
  if (typeof test === 'string') {
    const lower = test.toLowerCase();
    if (child) {
      if (child.length <= 2 || child[0] !== '[' || !child.endsWith(']')) return false;
      const pull = child.slice(1, -1);
      if (Array.isArray(stored))
        return stored.some((e) => isDict(e) && e.has(pull) && scalarEquals(e.get(pull), test, lower));
      return isDict(stored) && stored.has(pull) && scalarEquals(stored.get(pull), test, lower);
    }
    if (stored === '*') return true;
    if (Array.isArray(stored)) return stored.some((e) => scalarEquals(e, test, lower));
    return scalarEquals(stored, test, lower);
  }
  if (Array.isArray(test)) {
    return test.some((e) => {
      if (typeof e !== 'string') return Array.isArray(stored) && stored.some((s) => s === e);
      if (Array.isArray(stored)) return stored.includes(e) || stored.includes(e.toLowerCase());
      return typeof stored === 'string' && (e === stored || e.toLowerCase() === stored.toLowerCase());
    });
  }
  return false;
}

/** All pairs hold for the policy's inner object. */
export function matchesPairs(inner: PyValue | undefined, pairs: readonly WherePair[]): boolean {
  // EdgeLake: `if json_inner:` - an empty or missing inner object matches nothing.
  if (!isDict(inner) || inner.size === 0) return false;
  return pairs.every((p) => pairMatches(inner, p));
}

/** A parsed `if`-style where condition. */
export interface WhereCondition {
  node: Condition;
}

export function parseWhereCondition(text: string, basePos: number): WhereCondition {
  return { node: parseCondition(text, basePos) };
}

/**
 * Evaluates the condition over a policy's inner object: `[k]` words are its values as text ('' when
 * missing), `!x`/`$X` words come from `resolve`. EdgeLake compares case-insensitively in conditions
 * (`if abc == ABC` is true), so every word is lower-cased here; quoted literals keep their case.
 */
export function matchesCondition(inner: PyValue | undefined, cond: WhereCondition, resolve: WordResolver): boolean {
  const word = (w: string): string => {
    if (w.startsWith('[')) {
      const pk = makePullKeys(w, resolve);
      if (!pk.isKey) return w.toLowerCase();
      const v = inner === undefined ? undefined : lookup(inner, pk.key);
      return v === undefined || v === null ? '' : pyStr(v).toLowerCase();
    }
    if (w.length > 1 && (w[0] === '!' || w[0] === '$')) return resolve(w).toLowerCase();
    return w.toLowerCase();
  };
  return evaluate(cond.node, word);
}
