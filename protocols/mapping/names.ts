// EdgeLake's dbms / table name rule (generic/utils_data.py L29-44, applied by reset_str_chars L294-296):
//   A-Z                         -> lower case
//   _ space - . / \ :           -> _
//   a-z 0-9                     -> kept
//   any other code point < 256  -> `0x%02x` (symbols, control characters, Latin-1 letters)
//   code points >= 256          -> kept (Python's str.translate table only covers 0-255)
// The operator (spec section 4) also prefixes all-digit names with `_`; the message client does not
// (mqtt_client.py get_dest_name), hence the option.

export interface NameOptions {
  /** Prefix `_` when the result is all digits (the operator's table-name rule). Default false. */
  digitPrefix?: boolean;
}

const UNDERSCORE = new Set(['_', ' ', '-', '.', '/', '\\', ':']);

// Built once: the replacement of every code point below 256 that is not kept as-is.
const TABLE: readonly (string | undefined)[] = Array.from({ length: 256 }, (_, x) => {
  const ch = String.fromCharCode(x);
  if (UNDERSCORE.has(ch)) return '_';
  if (ch >= 'A' && ch <= 'Z') return ch.toLowerCase();
  if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')) return undefined;
  return '0x' + x.toString(16).padStart(2, '0');
});

// Most names (`temp_1`, `testdb`) need no change: test that first and return the same string.
const ALREADY_NORMAL = /^[a-z0-9_]*$/;

/** Maps a dbms or table name by EdgeLake's rule. Does not trim (the caller decides). */
export function normalizeName(name: string, opts: NameOptions = {}): string {
  let out = name;
  if (!ALREADY_NORMAL.test(name)) {
    out = '';
    for (const ch of name) {
      const code = ch.codePointAt(0)!;
      out += code < 256 ? (TABLE[code] ?? ch) : ch;
    }
  }
  if (opts.digitPrefix === true && out.length > 0 && /^[0-9]+$/.test(out)) out = '_' + out;
  return out;
}
