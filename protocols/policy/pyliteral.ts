// EdgeLake's str_to_list for a `[...]` text (generic/utils_json.py L179-262), used by `set policy` values:
//   1. json.loads                      ["a", 1]
//   2. ast.literal_eval                ['a', "b", 1, 2.5, True, None]   (flat lists of literals here)
//   3. no quote inside                 the text itself, as a string     [a, b] -> "[a, b]"
//   4. split on ','                    quoted parts unquoted and stripped, true/false (any case) -> bool,
//                                      [+-]digits -> int, float() -> float, else the stripped text
// Texts shorter than 3 characters and `[id]`, `[type]` ... (ignored_keyword_) give undefined (not a list).
import { CommandError } from '../../base/errors.js';
import { pyFloatOf } from './filter.js';
import { parseJson, pyFloat, type PyValue } from './pyvalue.js';

const IGNORED = new Set(['id', 'type', 'class', 'except', 'pass', 'raise']);
const PY_ESC: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0' };

/** ast.literal_eval of a flat list (strings with simple escapes, numbers, True/False/None). */
function literalList(text: string): PyValue[] | undefined {
  const item = /\s*('(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|[+-]?[\d.][\w.+-]*|True|False|None)\s*(,|\]$)/y;
  if (!/^\[\s*/.test(text)) return undefined;
  const out: PyValue[] = [];
  let at = /^\[\s*/.exec(text)![0].length;
  if (text.slice(at) === ']') return out;
  while (at < text.length) {
    item.lastIndex = at;
    const m = item.exec(text);
    if (!m) return undefined;
    const tok = m[1]!;
    if (tok[0] === "'" || tok[0] === '"')
      out.push(tok.slice(1, -1).replace(/\\(.)/g, (_, c: string) => PY_ESC[c] ?? `\\${c}`));
    else if (tok === 'True' || tok === 'False') out.push(tok === 'True');
    else if (tok === 'None') out.push(null);
    else if (/^[+-]?\d+$/.test(tok)) out.push(Number.isSafeInteger(Number(tok)) ? Number(tok) : BigInt(tok));
    else {
      const f = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(tok) ? pyFloatOf(tok) : undefined;
      if (f === undefined) return undefined;
      out.push(pyFloat(f));
    }
    at = item.lastIndex;
    if (m[2] === ']') return out;
    if (/^\s*\]$/.test(text.slice(at))) return out; // trailing comma
  }
  return undefined;
}

function splitList(text: string): PyValue {
  const inner = text.slice(1, -1).trim();
  if (!inner.includes("'") && !inner.includes('"')) return text;
  const out: PyValue[] = [];
  for (const part of inner.split(',')) {
    const s = part.trim();
    if (!s) continue;
    if (s.length >= 2 && (s[0] === '"' || s[0] === "'") && s.endsWith(s[0])) {
      out.push(s.slice(1, -1).trim());
      continue;
    }
    const low = s.toLowerCase();
    if (low === 'true' || low === 'false') {
      out.push(low === 'true');
      continue;
    }
    if (/^[+-]?\d+$/.test(s)) {
      out.push(Number.isSafeInteger(Number(s)) ? Number(s) : BigInt(s));
      continue;
    }
    const f = pyFloatOf(s);
    out.push(f === undefined ? s : pyFloat(f));
  }
  return out;
}

/** str_to_list: a list, the text itself (no quotes inside), or undefined. */
export function strToList(text: string): PyValue | undefined {
  if (text.length < 3 || IGNORED.has(text.slice(1, -1))) return undefined;
  try {
    return parseJson(text);
  } catch (err) {
    // Not JSON: EdgeLake goes on with Python literals, then with its own splitter.
    if (!(err instanceof CommandError)) throw err;
  }
  return literalList(text) ?? splitList(text);
}
