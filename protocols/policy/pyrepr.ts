// Python's text forms of policy values, byte for byte (CPython 3.11):
//   pyStr(v)     str(v): a str as is, everything else as repr
//   pyRepr(v)    repr(v): {'k': 'v', 'n': 1, 'f': 1.0, 'b': True, 'x': None, 'l': [1, 2]}
//   jsonDumps(v) json.dumps(v) with default arguments: {"k": "v", "l": [1, 2]}, ensure_ascii escapes
// EdgeLake hashes str(policy) for ids (members/policies.py L825), writes json.dumps lines to the ledger
// (blockchain/blockchain.py L92-140) and prints brought objects with str() (generic/utils_json.py L830).
import { PyFloat, type PyValue } from './pyvalue.js';
import { newerThanUnicode14 } from './unicode14.js';

/**
 * float.__repr__: the shortest digits that round-trip (JavaScript's toExponential() gives the same digits),
 * positional when -4 < decimal exponent <= 16, else d.ddde+XX (Python/pystrtod.c, mode 'r').
 */
export function pyFloatRepr(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (!Number.isFinite(n)) return n > 0 ? 'inf' : '-inf';
  if (n === 0) return Object.is(n, -0) ? '-0.0' : '0.0';
  const [mant, expText] = n.toExponential().split('e') as [string, string];
  const sign = n < 0 ? '-' : '';
  const digits = mant.replace('-', '').replace('.', '');
  const exp = Number(expText);
  const decpt = exp + 1;
  if (decpt > -4 && decpt <= 16) {
    if (decpt <= 0) return `${sign}0.${'0'.repeat(-decpt)}${digits}`;
    if (decpt >= digits.length) return `${sign}${digits}${'0'.repeat(decpt - digits.length)}.0`;
    return `${sign}${digits.slice(0, decpt)}.${digits.slice(decpt)}`;
  }
  const frac = digits.length > 1 ? `.${digits.slice(1)}` : '';
  return `${sign}${digits[0]}${frac}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
}

// Not printable for str.isprintable(): other (Cc Cf Cs Co Cn) and separators (Zl Zp Zs) except ' ',
// with CPython 3.11's Unicode 14.0 assignments (Node's tables are newer).
const NON_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u;
const printable = (ch: string, cp: number): boolean => !NON_PRINTABLE.test(ch) && !newerThanUnicode14(cp);

const hex = (cp: number, width: number): string => cp.toString(16).padStart(width, '0');

/** repr(str) (Objects/unicodeobject.c unicode_repr). */
export function reprString(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === quote || ch === '\\') out += `\\${ch}`;
    else if (ch === '\t') out += '\\t';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${hex(cp, 2)}`;
    else if (cp < 0x7f || printable(ch, cp)) out += ch;
    else if (cp <= 0xff) out += `\\x${hex(cp, 2)}`;
    else if (cp <= 0xffff) out += `\\u${hex(cp, 4)}`;
    else out += `\\U${hex(cp, 8)}`;
  }
  return out + quote;
}

const JSON_ESC: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\b': '\\b',
  '\f': '\\f',
};

/** json.dumps(str) with ensure_ascii: every code unit outside ' '..'~' escaped (0x7f too), lower-case hex. */
export function jsonString(s: string): string {
  return `"${s.replace(/[^\x20-\x7e]|["\\]/g, (c) => JSON_ESC[c] ?? `\\u${hex(c.charCodeAt(0), 4)}`)}"`;
}

function scalar(v: PyValue, json: boolean): string | undefined {
  if (v === null) return json ? 'null' : 'None';
  if (v === true) return json ? 'true' : 'True';
  if (v === false) return json ? 'false' : 'False';
  if (typeof v === 'bigint') return v.toString();
  let f: number | undefined;
  if (v instanceof PyFloat) f = v.value;
  else if (typeof v === 'number') {
    if (Number.isInteger(v)) return Object.is(v, -0) ? '0' : String(v);
    f = v;
  }
  if (f === undefined) return undefined;
  if (json && !Number.isFinite(f)) return Number.isNaN(f) ? 'NaN' : f > 0 ? 'Infinity' : '-Infinity';
  return pyFloatRepr(f);
}

/** repr(v). */
export function pyRepr(v: PyValue): string {
  if (typeof v === 'string') return reprString(v);
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  if (v instanceof Map) return `{${[...v].map(([k, x]) => `${reprString(k)}: ${pyRepr(x)}`).join(', ')}}`;
  return scalar(v, false)!;
}

/** str(v). */
export function pyStr(v: PyValue): string {
  return typeof v === 'string' ? v : pyRepr(v);
}

/** json.dumps(v) with default separators (', ', ': ') and ensure_ascii. */
export function jsonDumps(v: PyValue): string {
  if (typeof v === 'string') return jsonString(v);
  if (Array.isArray(v)) return `[${v.map(jsonDumps).join(', ')}]`;
  if (v instanceof Map) return `{${[...v].map(([k, x]) => `${jsonString(k)}: ${jsonDumps(x)}`).join(', ')}}`;
  return scalar(v, true)!;
}
