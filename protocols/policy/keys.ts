// Bring keys: `[k1][k2]` paths into a policy (generic/utils_json.py make_pull_keys L1030-1092, and the
// `eval("obj" + key)` of get_object_data L743-833). EdgeLake first rewrites a word into a Python subscript
// string, which several rules read back, so the rewritten form is kept:
//   [operator][ip]    -> ["operator"]["ip"]        ['x'] / ["x"]: quotes dropped
//   [rs][0]           -> ["rs"][0]                 ASCII digits index a list (or a string's characters)
//   [!var]            -> ["<value of !var>"]       unless the variable is empty
//   [rs][][v]         -> ["rs"] + list marker + next key "[v]" (applied to each element)
// A word is a key only if it starts with '[' (not '[{'), ends with ']', every segment starts with '['
// and no segment holds '{', '}' or ':'; any other word is literal text.
import type { Token } from '../command/lexer.js';
import type { PyValue } from './pyvalue.js';

/** Resolves a `!name` (or `$NAME`) word to text; '' when undefined. */
export type WordResolver = (word: string) => string;

export interface PullKey {
  isKey: boolean;
  /** The Python subscript string (`["operator"]["ip"]`), or the word itself when not a key. */
  key: string;
  /** `[]` was found: the value is a list, `nextKey` applies to its elements. */
  isList: boolean;
  nextKey: string;
}

export function makePullKeys(word: string, resolve: WordResolver): PullKey {
  const notKey: PullKey = { isKey: false, key: word, isList: false, nextKey: '' };
  if (!(word.length > 1 && word[0] === '[' && word.endsWith(']') && word[1] !== '{')) return notKey;
  let key = '';
  let nextKey = '';
  let isList = false;
  const parts = word.split(']');
  const count = parts.length - 1; // the last part is empty
  for (let index = 0; index < count; index++) {
    const entry = parts[index]!;
    if (entry.length === 0 || entry[0] !== '[') return notKey;
    if (entry.length === 1) {
      // `[]`: EdgeLake copies the remaining segments unchecked (its check loop tests the wrong variable).
      for (let j = index + 1; j < count; j++) nextKey += `${parts[j]}]`;
      isList = true;
      break;
    }
    if (entry[1] === "'" || entry[1] === '"') {
      if (entry.length < 4 || entry[entry.length - 1] !== entry[1] || /[{}:]/.test(entry)) return notKey;
      key += `["${entry.slice(2, -1)}"]`;
    } else {
      if (/[{}:]/.test(entry)) return notKey;
      let inner = entry.slice(1);
      if (/^\d+$/.test(inner)) key += `${entry}]`;
      else {
        if (inner.length > 1 && inner[0] === '!') {
          const v = resolve(inner);
          if (v !== '') inner = v;
        }
        key += `["${inner}"]`;
      }
    }
  }
  return { isKey: true, key, isList, nextKey };
}

type Step = { k: 'key'; name: string } | { k: 'index'; n: number };

/** Parses a subscript string back into steps; undefined where Python's eval would raise. */
export function parseSubscripts(key: string): Step[] | undefined {
  const steps: Step[] = [];
  const re = /\["([^"]*)"\]|\[(0|[1-9]\d*)\]/y;
  let at = 0;
  while (at < key.length) {
    re.lastIndex = at;
    const m = re.exec(key);
    // A name holding '"' or '\' breaks or changes the Python literal: treated as missing.
    if (!m || (m[1] !== undefined && m[1].includes('\\'))) return undefined;
    steps.push(m[1] !== undefined ? { k: 'key', name: m[1] } : { k: 'index', n: Number(m[2]) });
    at = re.lastIndex;
  }
  return steps;
}

/** `eval("obj" + key)`: undefined when Python would raise (missing key, bad index, wrong type). */
export function lookup(obj: PyValue, key: string): PyValue | undefined {
  const steps = parseSubscripts(key);
  if (!steps) return undefined;
  let cur: PyValue = obj;
  for (const s of steps) {
    if (cur instanceof Map) {
      if (s.k !== 'key' || !cur.has(s.name)) return undefined;
      cur = cur.get(s.name)!;
    } else if (Array.isArray(cur)) {
      if (s.k !== 'index' || s.n >= cur.length) return undefined;
      cur = cur[s.n]!;
    } else if (typeof cur === 'string') {
      const chars = [...cur];
      if (s.k !== 'index' || s.n >= chars.length) return undefined;
      cur = chars[s.n]!;
    } else return undefined;
  }
  return cur;
}

/** get_key_string: the output name for a key in bring.json (`["operator"]["ip"]` -> `ip`; L895-907). */
export function keyName(key: string): string {
  const end = key.lastIndexOf(']');
  if (end > 0) {
    const start = key.lastIndexOf('[', end);
    if (start !== -1 && end - start > 3) return key.slice(start + 2, end - 1);
  }
  return key;
}

/** EdgeLake's word for a token (utils_data.cmd_line_to_list_with_json): double quotes dropped, single kept. */
export function edgeWord(t: Token): string {
  if (t.kind === 'string') return t.quote === "'" ? `'${t.text}'` : t.text;
  if (t.kind === 'group') return `(${t.text})`;
  return t.text;
}
