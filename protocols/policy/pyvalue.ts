// Policy values as Python holds them after `json.loads` (EdgeLake keeps policies as dicts and hashes, prints and
// compares them with Python's rules, so JavaScript's JSON model is not enough):
//   dict   -> Map<string, PyValue>   insertion order kept, "2" stays after "b" (a JS object would reorder it)
//   int    -> number when Number.isInteger(n), bigint past 2^53
//   float  -> number when not integral, PyFloat when integral (1.0, 1e16, -0.0) so it prints as a float
//   str / bool / None / list -> string / boolean / null / PyValue[]
// JSON grammar accepted (Python json.loads with strict=False, generic/utils_json.py L274-328):
//   value   := object | array | string | number | true | false | null | NaN | Infinity | -Infinity
//   string  := '"' (char | escape)* '"'    raw control characters allowed
//   number  := '-'? int frac? exp?         an int without frac/exp, else a float
import { CommandError } from '../../base/errors.js';
import { Status } from '../../base/status.js';

/** A Python float whose value is integral (1.0): keeps its float-ness through repr and json.dumps. */
export class PyFloat {
  constructor(readonly value: number) {}
}

export type PyDict = Map<string, PyValue>;
export type PyValue = null | boolean | number | bigint | string | PyFloat | PyValue[] | PyDict;

/** A policy: `{"<type>": {...}}`. */
export type Policy = PyDict;

export const isDict = (v: PyValue | undefined): v is PyDict => v instanceof Map;

/** Python float from a JS number (integral values are wrapped so they print as `1.0`). */
export const pyFloat = (n: number): number | PyFloat => (Number.isInteger(n) || Object.is(n, -0) ? new PyFloat(n) : n);

/** Python truthiness (`if value:`). */
export function truthy(v: PyValue | undefined): boolean {
  if (v === undefined || v === null || v === false || v === '' || v === 0 || v === 0n) return false;
  if (v instanceof PyFloat) return v.value !== 0;
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof Map) return v.size > 0;
  return true;
}

/** The number in an int or float value, else undefined. */
export function numberOf(v: PyValue | undefined): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof PyFloat) return v.value;
  return undefined;
}

/** A deep copy (policies are edited copy-on-write: the caller's policy list is never mutated). */
export function clone(v: PyValue): PyValue {
  if (Array.isArray(v)) return v.map(clone);
  if (v instanceof Map) return new Map([...v].map(([k, x]) => [k, clone(x)]));
  return v;
}

/** Converts plain JS data (objects, arrays, numbers...) to PyValue. Integer-like object keys lose their order. */
export function fromPlain(x: unknown): PyValue {
  if (x === null || x === undefined) return null;
  if (typeof x === 'string' || typeof x === 'boolean' || typeof x === 'number' || typeof x === 'bigint') return x;
  if (x instanceof PyFloat || x instanceof Map) return x as PyValue;
  if (Array.isArray(x)) return x.map(fromPlain);
  if (typeof x === 'object') return new Map(Object.entries(x).map(([k, v]) => [k, fromPlain(v)]));
  throw new CommandError(`not a JSON value: ${typeof x}`, { code: Status.WrongJsonStructure });
}

/** Converts to plain JS data (PyFloat -> number, bigint kept). */
export function toPlain(v: PyValue): unknown {
  if (v instanceof PyFloat) return v.value;
  if (Array.isArray(v)) return v.map(toPlain);
  if (v instanceof Map) {
    const out: Record<string, unknown> = {};
    // defineProperty: a "__proto__" key stays a plain key.
    for (const [k, x] of v) Object.defineProperty(out, k, { value: toPlain(x), enumerable: true, writable: true });
    return out;
  }
  return v;
}

const WS = new Set([' ', '\t', '\n', '\r']);
const ESC: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/** Python `json.loads` (strict=False). Throws CommandError code 6 (EdgeLake: ERR_wrong_json_structure). */
export function parseJson(text: string): PyValue {
  let i = 0;
  const fail = (what: string): never => {
    throw new CommandError(`Error in JSON Structure: ${what} at offset ${i}`, { code: Status.WrongJsonStructure });
  };
  const skip = (): void => {
    while (i < text.length && WS.has(text[i]!)) i++;
  };
  const str = (): string => {
    i++; // opening quote
    let out = '';
    for (;;) {
      const q = text.indexOf('"', i);
      const b = text.indexOf('\\', i);
      if (q < 0) fail('unterminated string');
      if (b < 0 || q < b) {
        out += text.slice(i, q);
        i = q + 1;
        return out;
      }
      out += text.slice(i, b);
      const e = text[b + 1] ?? '';
      i = b;
      const hex = text.slice(b + 2, b + 6);
      if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(hex)) {
        // Lone surrogates are kept, as Python keeps them.
        out += String.fromCharCode(Number.parseInt(hex, 16));
        i = b + 6;
      } else if (ESC[e] !== undefined) {
        out += ESC[e];
        i = b + 2;
      } else fail('bad escape');
    }
  };
  const num = (): PyValue => {
    const m = /^-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m) return fail('unexpected character');
    i += m[0].length;
    if (m[1] === undefined && m[2] === undefined) {
      const n = Number(m[0]);
      return Number.isSafeInteger(n) ? n : BigInt(m[0]);
    }
    return pyFloat(Number(m[0]));
  };
  const value = (depth: number): PyValue => {
    if (depth > 512) fail('nesting too deep');
    skip();
    const c = text[i];
    if (c === '{') {
      i++;
      const d: PyDict = new Map();
      skip();
      if (text[i] === '}') return (i++, d);
      for (;;) {
        skip();
        if (text[i] !== '"') fail('expected a property name');
        const k = str();
        skip();
        if (text[i] !== ':') fail("expected ':'");
        i++;
        d.set(k, value(depth + 1));
        skip();
        if (text[i] === ',') i++;
        else if (text[i] === '}') return (i++, d);
        else fail("expected ',' or '}'");
      }
    }
    if (c === '[') {
      i++;
      const a: PyValue[] = [];
      skip();
      if (text[i] === ']') return (i++, a);
      for (;;) {
        a.push(value(depth + 1));
        skip();
        if (text[i] === ',') i++;
        else if (text[i] === ']') return (i++, a);
        else fail("expected ',' or ']'");
      }
    }
    if (c === '"') return str();
    for (const [word, v] of [
      ['true', true],
      ['false', false],
      ['null', null],
      ['NaN', NaN],
      ['Infinity', Infinity],
      ['-Infinity', -Infinity],
    ] as const) {
      if (text.startsWith(word, i)) return ((i += word.length), v);
    }
    return num();
  };
  const v = value(0);
  skip();
  if (i < text.length) fail('extra data');
  return v;
}

/** EdgeLake's str_to_json: a text wrapped in one pair of quotes is unwrapped first (utils_json.py L274-281). */
export function parseJsonText(text: string): PyValue {
  const q = text[0] ?? '';
  const unwrapped = text.length > 2 && (q === '"' || q === "'") && text.endsWith(q) ? text.slice(1, -1) : text;
  return parseJson(unwrapped);
}

/** Parses one policy line; throws CommandError code 6 unless it is a dict. */
export function parsePolicy(text: string): Policy {
  const v = parseJsonText(text);
  if (!isDict(v))
    throw new CommandError(`Error in JSON Structure: a policy is a JSON object`, { code: Status.WrongJsonStructure });
  return v;
}
