// The few Python built-ins EdgeLake's type inference leans on, emulated exactly where it matters for
// the result (edge_lake/json_to_sql/suggest_create_table.py L171-223 and generic/utils_data.py):
// str.strip(), str.isdigit(), float(), int(), and repr(float) (`str(v)` of a float is its repr).
//
// Strings are indexed by code point, as Python does (`Array.from`), never by UTF-16 unit.
// Digits are ASCII only: Python also accepts other Unicode digits ('٣', '²'), but EdgeLake would then
// type such a string INT, which PostgreSQL refuses to store; treating them as text keeps the value.

/** Python's whitespace (str.isspace): Unicode White_Space plus the \x1c-\x1f separators, without U+FEFF. */
const PY_WS = '\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const STRIP = new RegExp(`^[${PY_WS}]+|[${PY_WS}]+$`, 'g');
/** A regex source matching one Python whitespace character (for strptime's `\s`). */
export const PY_SPACE = `[${PY_WS}]`;

export function pyStrip(s: string): string {
  return s.replace(STRIP, '');
}

// float() and int() strip whitespace too, but not the \x1c-\x1f separators (checked on CPython 3.11).
const NUM_WS = '\\t\\n\\x0b\\x0c\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const NUM_STRIP = new RegExp(`^[${NUM_WS}]+|[${NUM_WS}]+$`, 'g');

/** The strip that float() and int() apply to their argument. */
export function pyNumStrip(s: string): string {
  return s.replace(NUM_STRIP, '');
}

/** Python `len(s)`: code points. */
export function pyLen(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** `s.isdigit()` (ASCII digits; see the header). */
export function pyIsDigit(s: string): boolean {
  return /^[0-9]+$/.test(s);
}

// float(): optional sign, digits with single underscores between digits, optional fraction and exponent.
const FLOAT_TEXT = /^[+-]?(?:\d(?:_?\d)*(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:[eE][+-]?\d(?:_?\d)*)?$/;
const FLOAT_WORD = /^[+-]?(?:inf|infinity|nan)$/i;

/** EdgeLake `utils_data.isfloat`: would `float(s)` succeed? */
export function pyIsFloat(s: string): boolean {
  const t = pyNumStrip(s);
  return FLOAT_TEXT.test(t) || FLOAT_WORD.test(t);
}

/** `int(s)` for base 10, or undefined where Python raises ValueError. */
export function pyInt(s: string): number | undefined {
  const t = pyNumStrip(s);
  if (!/^[+-]?\d(?:_?\d)*$/.test(t)) return undefined;
  return Number(t.replace(/_/g, ''));
}

/**
 * `repr(x)` of a Python float: the shortest round-trip digits (the same digits JavaScript prints),
 * laid out as CPython's `float_repr_style = 'short'` does: fixed notation when the decimal exponent
 * is in [-4, 16), always with a `.0` for whole numbers; otherwise `d.ddde+XX` (at least two exponent digits).
 */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const sign = x < 0 ? '-' : '';
  // toExponential() without an argument gives the shortest digits that round-trip.
  const m = /^(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(Math.abs(x).toExponential());
  if (!m) return String(x);
  const digits = (m[1] ?? '') + (m[2] ?? '');
  const exp = Number(m[3]);
  const decpt = exp + 1; // position of the decimal point relative to the digits
  if (decpt > -4 && decpt <= 16) {
    if (decpt <= 0) return `${sign}0.${'0'.repeat(-decpt)}${digits}`;
    if (decpt >= digits.length) return `${sign}${digits}${'0'.repeat(decpt - digits.length)}.0`;
    return `${sign}${digits.slice(0, decpt)}.${digits.slice(decpt)}`;
  }
  const mant = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  const e = Math.abs(exp);
  return `${sign}${mant}e${exp < 0 ? '-' : '+'}${e < 10 ? '0' : ''}${e}`;
}
