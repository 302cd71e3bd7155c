// A row that names a key twice (`{"a":1,"a":"x"}`; RFC 8259 §4 leaves what it means to the reader). EdgeLake reads
// rows with generic/utils_json.py `str_to_json` (orjson.loads, json.loads when that fails; called by
// json_to_sql/map_json_to_insert.py `map_json_file_to_insert` per line): both keep the last value (checked with
// Python 3 and orjson here). So does JSON.parse, and so the PostgreSQL path (storage/dbms/pg-copy.ts,
// pg-copy-bytes.ts). SQLite's json_extract returns the first. `lastOfRepeatedKeys` gives a batch's rows with each
// repeated top-level key's earlier members removed, so that json_extract reads what EdgeLake reads; rows without a
// repeat, the usual case, cost one walk and no copy. The SQLite writer walks only batches not known to be free of
// repeats (InsertBatch `repeatedKeys`: the REST door's and the file reader's rows scan, rows-scan.ts, find repeats
// as this walk does, and say so in the journal entry).
//
//   rows   := ws* '[' ws* object ( ws* ',' ws* object )* ws* ']' ws*
//   object := '{' ws* ( string ws* ':' ws* value ( ws* ',' ws* string ws* ':' ws* value )* )? ws* '}'
//
// The rows were checked at the door (rows-scan.ts or JSON.parse); bytes this walk does not expect are returned as
// they are. A key is the string JSON.parse makes of it (`"a"` and `"\u0061"` are one key). Nested objects are left as
// they are (a column holds such a value as its JSON text; the PostgreSQL path re-encodes it, so a repeat inside it
// differs there: README).
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

const isWs = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/**
 * The rows as text or as UTF-8 bytes, walked in place: a text batch is not encoded to bytes first (a copy as large
 * as the batch: test/storage/sqlite-insert-memory.test.ts). The characters this walk looks at are all ASCII, the same
 * code as a UTF-16 unit or a byte. Out of range: NaN or undefined, equal to nothing.
 */
type Src = string | Uint8Array;
const at = (b: Src, i: number): number => (typeof b === 'string' ? b.charCodeAt(i) : b[i]!);

function skipWs(b: Src, i: number, n: number): number {
  while (i < n && isWs(at(b, i))) i++;
  return i;
}

/** Set by stringEnd: the string held an escape. */
let escaped = false;

/** From the first byte inside a string: its closing quote, or -1. */
function stringEnd(b: Src, i: number, n: number): number {
  escaped = false;
  while (i < n) {
    const c = at(b, i);
    if (c === QUOTE) return i;
    if (c === BACKSLASH) {
      escaped = true;
      i += 2;
    } else i++;
  }
  return -1;
}

/**
 * From the first byte inside a string: its closing quote, or -1 (stringEnd without `escaped`, for values: most of the
 * rows' bytes, so the quote is found by indexOf). A quote closes the string unless an odd run of backslashes ends
 * just before it.
 */
function quoteAfter(b: Src, i: number): number {
  for (;;) {
    const q = typeof b === 'string' ? b.indexOf('"', i) : b.indexOf(QUOTE, i);
    if (q < 0) return -1;
    let k = q - 1;
    while (k >= i && at(b, k) === BACKSLASH) k--;
    if ((q - 1 - k) % 2 === 0) return q;
    i = q + 1;
  }
}

/** The end of the value at i (just after it), or -1. */
function valueEnd(b: Src, i: number, n: number): number {
  const c = at(b, i);
  if (c === QUOTE) {
    const e = quoteAfter(b, i + 1);
    return e < 0 ? -1 : e + 1;
  }
  if (c === OPEN_BRACE || c === OPEN_BRACKET) {
    let depth = 0;
    while (i < n) {
      const x = at(b, i);
      if (x === QUOTE) {
        i = quoteAfter(b, i + 1);
        if (i < 0) return -1;
      } else if (x === OPEN_BRACE || x === OPEN_BRACKET) depth++;
      else if (x === CLOSE_BRACE || x === CLOSE_BRACKET) {
        depth--;
        if (depth === 0) return i + 1;
      }
      i++;
    }
    return -1;
  }
  // A number, true, false or null: up to the next separator.
  const from = i;
  while (i < n && at(b, i) !== COMMA && at(b, i) !== CLOSE_BRACE && at(b, i) !== CLOSE_BRACKET && !isWs(at(b, i))) i++;
  return i > from ? i : -1;
}

/** The text of positions [from, to). */
const textOf = (b: Src, from: number, to: number): string =>
  typeof b === 'string' ? b.slice(from, to) : Buffer.from(b.buffer, b.byteOffset, b.length).toString('utf8', from, to);

function keyOf(b: Src, from: number, to: number, withEscape: boolean): string {
  return withEscape ? (JSON.parse(textOf(b, from - 1, to + 1)) as string) : textOf(b, from, to);
}

/**
 * Which key each position of a row holds, as the previous rows left them: most rows repeat the previous row's keys
 * at the same positions, compared as bytes. The slots hold distinct keys (a key moving to another position leaves
 * its old slot empty), and positions 0..p-1 of the row being read match slots 0..p-1 when position p is read; so a
 * key that matches its slot's bytes cannot repeat one before it, and only a key read anew is looked up.
 */
class Slots {
  private readonly from: number[] = [];
  private readonly to: number[] = [];
  private readonly key: (string | undefined)[] = [];
  private readonly at = new Map<string, number>();

  constructor(private readonly b: Src) {}

  /** The key of bytes [f, t) at position p of its row: true when the row named it before. */
  repeats(p: number, f: number, t: number, withEscape: boolean): boolean {
    const b = this.b;
    const sf = this.from[p];
    if (sf !== undefined && this.to[p]! - sf === t - f) {
      let k = 0;
      const len = t - f;
      while (k < len && at(b, sf + k) === at(b, f + k)) k++;
      if (k === len) return false;
    }
    const key = keyOf(b, f, t, withEscape);
    this.clear(p);
    const q = this.at.get(key);
    if (q !== undefined) {
      if (q < p) return true; // slot p stays empty: the slots keep distinct keys
      this.clear(q);
    }
    this.from[p] = f;
    this.to[p] = t;
    this.key[p] = key;
    this.at.set(key, p);
    return false;
  }

  private clear(p: number): void {
    const old = this.key[p];
    if (old !== undefined) this.at.delete(old);
    this.key[p] = undefined;
    this.from[p] = -1;
    this.to[p] = -2;
  }
}

/** A row's members: where each starts (its key's quote) and ends (after its value), and its key. */
function members(b: Src, i: number, n: number): { from: number; to: number; key: string }[] | undefined {
  const out: { from: number; to: number; key: string }[] = [];
  i = skipWs(b, i + 1, n);
  if (at(b, i) === CLOSE_BRACE) return out;
  for (;;) {
    if (at(b, i) !== QUOTE) return undefined;
    const kTo = stringEnd(b, i + 1, n);
    if (kTo < 0) return undefined;
    const key = keyOf(b, i + 1, kTo, escaped);
    let j = skipWs(b, kTo + 1, n);
    if (at(b, j) !== COLON) return undefined;
    j = valueEnd(b, skipWs(b, j + 1, n), n);
    if (j < 0) return undefined;
    out.push({ from: i, to: j, key });
    i = skipWs(b, j, n);
    if (at(b, i) === CLOSE_BRACE) return out;
    if (at(b, i) !== COMMA) return undefined;
    i = skipWs(b, i + 1, n);
  }
}

/** The row at i without the earlier members of its repeated keys (its pieces), or undefined when not as expected. */
function lastOnly(b: Src, i: number, n: number): Src[] | undefined {
  const ms = members(b, i, n);
  if (!ms) return undefined;
  const lastAt = new Map<string, number>();
  ms.forEach((m, k) => lastAt.set(m.key, k));
  const parts: Src[] = [];
  ms.forEach((m, k) => {
    if (lastAt.get(m.key) !== k) return;
    parts.push(parts.length === 0 ? '{' : ',', slice(b, m.from, m.to));
  });
  parts.push(parts.length === 0 ? '{}' : '}');
  return parts;
}

const slice = (b: Src, from: number, to?: number): Src =>
  typeof b === 'string' ? b.slice(from, to) : b.subarray(from, to);

/** Spans [from, to) of the rows that repeat a key, or undefined when the bytes are not as expected. */
function repeatingRows(b: Src): [number, number][] | undefined {
  const n = b.length;
  const slots = new Slots(b);
  const out: [number, number][] = [];
  let i = skipWs(b, 0, n);
  if (at(b, i) !== OPEN_BRACKET) return undefined;
  i = skipWs(b, i + 1, n);
  for (;;) {
    if (at(b, i) !== OPEN_BRACE) return undefined;
    const rowFrom = i;
    let repeated = false;
    let pos = 0;
    i = skipWs(b, i + 1, n);
    if (at(b, i) === CLOSE_BRACE) i++;
    else
      for (;;) {
        if (at(b, i) !== QUOTE) return undefined;
        const kTo = stringEnd(b, i + 1, n);
        if (kTo < 0) return undefined;
        if (slots.repeats(pos++, i + 1, kTo, escaped)) repeated = true;
        i = skipWs(b, kTo + 1, n);
        if (at(b, i) !== COLON) return undefined;
        i = valueEnd(b, skipWs(b, i + 1, n), n);
        if (i < 0) return undefined;
        i = skipWs(b, i, n);
        if (at(b, i) === COMMA) {
          i = skipWs(b, i + 1, n);
          continue;
        }
        if (at(b, i) !== CLOSE_BRACE) return undefined;
        i++;
        break;
      }
    if (repeated) out.push([rowFrom, i]);
    i = skipWs(b, i, n);
    if (at(b, i) === COMMA) {
      i = skipWs(b, i + 1, n);
      continue;
    }
    if (at(b, i) !== CLOSE_BRACKET) return undefined;
    return out;
  }
}

/** The rows' array (text or UTF-8 bytes) with only the last member of each repeated key in every row. */
export function lastOfRepeatedKeys<T extends Src>(rows: T): T {
  const spans = repeatingRows(rows);
  if (!spans || spans.length === 0) return rows;
  const parts: Src[] = [];
  let done = 0;
  for (const [from, to] of spans) {
    const row = lastOnly(rows, from, to);
    if (!row) return rows;
    parts.push(slice(rows, done, from), ...row);
    done = to;
  }
  parts.push(slice(rows, done));
  if (typeof rows === 'string') return parts.join('') as T;
  return Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p))) as unknown as T;
}
