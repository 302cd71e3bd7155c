// A validating scan of rows as JSON bytes (issue 14, ingest), without building a row: the bytes are checked against
// JSON's grammar (RFC 8259, what JSON.parse accepts) and the union of the rows' top-level keys is collected. JSON.parse
// of every row, objects and all, was the largest cost beside the database in two places: the REST worker's data PUTs
// (bench/README.md "Profile") and the operator's watch-dir files (bench/README.md "Ingest", `ingest-files`).
//
// Two forms:
//   scanRows (a PUT body):   rows  := ws* '[' ws* object ( ws* ',' ws* object )* ws* ']' ws*      ws: SP, TAB, LF, CR
//   scanLines (a watch-dir file of one object per line, EdgeLake's usual file):
//                            lines := ( blank* object inline* ( LF | end ) )+ blank*
//                            inline: SP, TAB, CR; blank: SP, TAB, CR, LF; inside an object only SP and TAB, so an
//                            object is on one line (a line holds one JSON value, as EdgeLake reads a file)
//   object := '{' ws* ( string ws* ':' ws* value ( ws* ',' ws* string ws* ':' ws* value )* )? ws* '}'
//   value  := object | array | string | number | 'true' | 'false' | 'null'
//
// The answer is exact or absent: `undefined` means "not sure", and the caller parses the text as before
// (body.ts parseRowsBody; file-read.ts's per-line JSON.parse), so every refusal keeps its message and every unusual
// input its handling. Absent for: anything JSON.parse would refuse, no rows, a row that is not an object, leading or
// trailing text that is not JSON whitespace (String#trim removes more: a BOM, U+00A0), nesting deeper than MAX_DEPTH,
// and a key that starts with a digit (JavaScript enumerates array-index keys first, so the keys' order would differ);
// for lines also a lone CR between rows (readline ends a line there) and a line holding an array.
// Bytes of 0x80 and above inside strings pass as they are, as JSON.parse passes the characters Node's decoder
// makes of them (U+FFFD for what is not UTF-8); the producer makes them well-formed (json-bytes.ts).
// The scan also says whether a row names a top-level key twice (`repeats`), so that the SQLite writer walks only
// those rows' entries for EdgeLake's last-value rule (repeated-keys.ts): a key is the string JSON.parse makes of it,
// as there.

export interface ScannedRows {
  count: number;
  /** The union of the rows' keys in the order `for (const k in row)` over the parsed rows would add them. */
  keys: string[];
  /**
   * True when some row names a top-level key twice (`{"a":1,"a":2}`, or `"a"` and `"\u0061"`): the journal entry
   * says so (storage/journal/journal.ts `repeatedKeys`) and only such entries are walked (repeated-keys.ts).
   */
  repeats: boolean;
}

const MAX_DEPTH = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;

const LF = 0x0a;
const CR = 0x0d;
const isWs = (c: number): boolean => c === 0x20 || c === LF || c === CR || c === 0x09;
/** Whitespace inside a row: JSON's four, or (lines) space and tab only. */
const WS_ALL = new Uint8Array(256);
for (const c of [0x20, 0x09, LF, CR]) WS_ALL[c] = 1;
const WS_INLINE = new Uint8Array(256);
for (const c of [0x20, 0x09]) WS_INLINE[c] = 1;
const isDigit = (c: number): boolean => c >= ZERO && c <= NINE;
const isHex = (c: number): boolean => isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
/** The characters after a backslash that JSON allows, besides `u`: " \ / b f n r t. */
const SIMPLE_ESCAPE = new Uint8Array(128);
for (const c of '"\\/bfnrt') SIMPLE_ESCAPE[c.charCodeAt(0)] = 1;

/** Bytes inside a string: 0 passes (ASCII or not), else one of the classes below. */
const IN_STRING = new Uint8Array(256);
const S_QUOTE = 1;
const S_ESCAPE = 2;
const S_CONTROL = 3;
IN_STRING.fill(S_CONTROL, 0, 0x20);
IN_STRING[QUOTE] = S_QUOTE;
IN_STRING[BACKSLASH] = S_ESCAPE;

/** From the first byte inside a string: where its closing quote is, or -1 (not a JSON string). */
function stringEnd(b: Uint8Array, i: number, n: number): number {
  for (;;) {
    while (i < n && IN_STRING[b[i]!] === 0) i++;
    if (i >= n) return -1;
    const k = IN_STRING[b[i]!];
    if (k === S_QUOTE) return i;
    if (k === S_CONTROL) return -1;
    const e = i + 1 < n ? b[i + 1]! : 0;
    if (e === 0x75) {
      if (i + 5 >= n) return -1;
      for (let h = 2; h < 6; h++) if (!isHex(b[i + h]!)) return -1;
      i += 6;
    } else if (e < 128 && SIMPLE_ESCAPE[e] === 1) i += 2;
    else return -1;
  }
}

/** Bytes decoded as Node decodes a body (`toString('utf8')`): ASCII, or UTF-8 with U+FFFD for what is not. */
function decodeUtf8(b: Uint8Array, from: number, to: number): string {
  return Buffer.from(b.buffer, b.byteOffset + from, to - from).toString('utf8');
}

/** What the scan expects next. */
const enum Want {
  /** A value (a row, at depth 0). */
  Value,
  /** A key: a string, then ':' (inside an object). */
  Key,
  /** ',' or the container's closing bracket, after a value. */
  Next,
}
const OBJECT = 1;
const ARRAY = 2;

/**
 * Collects the rows' keys and finds a row that repeats one; rows mostly repeat the previous row's keys at the same
 * positions, compared as bytes. Slot p holds the key position p of the rows last had (repeated-keys.ts `Slots`, the
 * same argument): the slots hold distinct keys (a key moving to another position leaves its old slot empty, and a
 * repeat leaves its own empty), and when position p of a row is read, slots 0..p-1 are that row's keys 0..p-1; so a
 * key whose bytes match its slot's cannot repeat an earlier one of its row, and only a key read anew is looked up.
 */
class Keys {
  readonly list: string[] = [];
  /** Some row named a key twice. */
  repeats = false;
  private readonly seen = new Set<string>();
  private readonly from: number[] = [];
  private readonly to: number[] = [];
  private readonly key: (string | undefined)[] = [];
  /** The slot each key is in. */
  private readonly slotOf = new Map<string, number>();

  constructor(private readonly b: Uint8Array) {}

  /** The key of bytes [from, to) at position `pos` of its row. False: a key this scan does not answer for. */
  add(pos: number, from: number, to: number): boolean {
    const b = this.b;
    const sf = this.from[pos];
    if (sf !== undefined && this.to[pos]! - sf === to - from) {
      let k = 0;
      const len = to - from;
      while (k < len && b[sf + k] === b[from + k]) k++;
      if (k === len) return true; // the previous row's key here: already collected, not a repeat
    }
    return this.read(pos, from, to);
  }

  /** `add` for a key that is not its slot's (kept apart so that `add`, called for every key, stays small). */
  private read(pos: number, from: number, to: number): boolean {
    const b = this.b;
    // With an escape, JSON.parse decodes the (checked) string; without, the bytes are the text.
    const key = b.subarray(from, to).includes(BACKSLASH)
      ? (JSON.parse(decodeUtf8(b, from - 1, to + 1)) as string)
      : decodeUtf8(b, from, to);
    // Array-index keys are enumerated first by JavaScript (an escaped digit, "\u0031", is one too).
    const c = key.charCodeAt(0);
    if (c >= ZERO && c <= NINE) return false;
    this.clear(pos);
    const q = this.slotOf.get(key);
    if (q !== undefined) {
      if (q < pos) {
        this.repeats = true; // slot pos stays empty: the slots keep distinct keys
        return true;
      }
      this.clear(q);
    }
    this.from[pos] = from;
    this.to[pos] = to;
    this.key[pos] = key;
    this.slotOf.set(key, pos);
    if (!this.seen.has(key)) {
      this.seen.add(key);
      this.list.push(key);
    }
    return true;
  }

  private clear(p: number): void {
    const old = this.key[p];
    if (old !== undefined) this.slotOf.delete(old);
    this.key[p] = undefined;
    this.from[p] = -1;
    this.to[p] = -2;
  }
}

/** `b` as one JSON array of objects (count and keys), or undefined when the caller must parse it (see above). */
export function scanRows(b: Uint8Array): ScannedRows | undefined {
  return scan(b, undefined);
}

/** Rows of a file of one JSON object per line (scanLines): where each starts and where its line ends. */
export interface ScannedLines extends ScannedRows {
  /** Offset of each row's `{`. */
  starts: number[];
  /** Offset of the LF that ends each row's line, or the file's length for a last line without one. */
  ends: number[];
}

/**
 * `b` as lines of one JSON object each, blank lines between (count, keys, and each row's offsets), or undefined when
 * the caller must read it line by line with JSON.parse (see above).
 */
export function scanLines(b: Uint8Array): ScannedLines | undefined {
  const at = { starts: [] as number[], ends: [] as number[] };
  const r = scan(b, at);
  return r && { ...r, ...at };
}

/**
 * Both forms: `lines` (collecting the rows' offsets) for scanLines, undefined for scanRows. Each row is scanned by
 * `rowEnd`, a call per row: V8 optimizes a function called thousands of times within the first input, where one loop
 * over a whole file ran unoptimized for the first several files (25-35 ms each against 1.5 ms once optimized).
 */
function scan(b: Uint8Array, lines: { starts: number[]; ends: number[] } | undefined): ScannedRows | undefined {
  const n = b.length;
  const keys = new Keys(b);
  const stack = new Uint8Array(MAX_DEPTH + 1);
  const ws = lines ? WS_INLINE : WS_ALL;
  let count = 0;
  let i = 0;
  while (i < n && isWs(b[i]!)) i++;
  if (!lines) {
    if (i >= n || b[i] !== OPEN_BRACKET) return undefined;
    i++;
    while (i < n && isWs(b[i]!)) i++;
  }
  for (;;) {
    if (i >= n || b[i] !== OPEN_BRACE) return undefined;
    lines?.starts.push(i);
    i = rowEnd(b, i, n, keys, stack, ws);
    if (i < 0) return undefined;
    count++;
    if (lines) {
      // The rest of the row's line: inline whitespace, then LF or the end (a lone CR ends a line for readline).
      while (i < n && (b[i] === 0x20 || b[i] === 0x09 || b[i] === CR)) i++;
      if (i < n && b[i] !== LF) return undefined;
      lines.ends.push(i);
      while (i < n && isWs(b[i]!)) i++;
      if (i >= n) return { count, keys: keys.list, repeats: keys.repeats };
      continue;
    }
    while (i < n && isWs(b[i]!)) i++;
    if (i >= n) return undefined;
    const c = b[i++];
    if (c === CLOSE_BRACKET) {
      while (i < n && isWs(b[i]!)) i++;
      return i === n ? { count, keys: keys.list, repeats: keys.repeats } : undefined;
    }
    if (c !== COMMA) return undefined;
    while (i < n && isWs(b[i]!)) i++;
  }
}

/**
 * One row: from its `{` at i, the offset just after its `}`, or -1 when this scan does not answer for it. Its keys go
 * to `keys`; `stack` holds the open containers (stack[d] for depth d); `ws` is the whitespace allowed inside a row.
 */
function rowEnd(b: Uint8Array, i: number, n: number, keys: Keys, stack: Uint8Array, ws: Uint8Array): number {
  let depth = 1;
  let pos = 0; // the position of the next key in the row
  stack[1] = OBJECT;
  i++;
  while (i < n && ws[b[i]!] === 1) i++;
  if (i < n && b[i] === CLOSE_BRACE) return i + 1;
  let want = Want.Key;
  for (;;) {
    if (i >= n) return -1;
    const c = b[i]!;
    if (want === Want.Key) {
      if (c !== QUOTE) return -1;
      const from = ++i;
      i = stringEnd(b, i, n);
      if (i < 0) return -1;
      if (depth === 1 && !keys.add(pos++, from, i)) return -1;
      i++;
      while (i < n && ws[b[i]!] === 1) i++;
      if (i >= n || b[i] !== COLON) return -1;
      i++;
      while (i < n && ws[b[i]!] === 1) i++;
      want = Want.Value;
      continue;
    }
    if (want === Want.Next) {
      i++;
      const top = stack[depth];
      if (c === COMMA) {
        while (i < n && ws[b[i]!] === 1) i++;
        want = top === OBJECT ? Want.Key : Want.Value;
        continue;
      }
      if (c !== (top === OBJECT ? CLOSE_BRACE : CLOSE_BRACKET)) return -1;
      if (--depth === 0) return i;
      while (i < n && ws[b[i]!] === 1) i++;
      continue;
    }
    // A value.
    if (c === QUOTE) {
      i = stringEnd(b, i + 1, n);
      if (i < 0) return -1;
      i++;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (depth === MAX_DEPTH) return -1;
      stack[++depth] = c === OPEN_BRACE ? OBJECT : ARRAY;
      i++;
      while (i < n && ws[b[i]!] === 1) i++;
      if (i < n && b[i] === (c === OPEN_BRACE ? CLOSE_BRACE : CLOSE_BRACKET)) {
        // An empty container: a value ends here.
        want = Want.Next;
        continue;
      }
      want = c === OPEN_BRACE ? Want.Key : Want.Value;
      continue;
    } else if (c === 0x74) {
      if (i + 3 >= n || b[i + 1] !== 0x72 || b[i + 2] !== 0x75 || b[i + 3] !== 0x65) return -1;
      i += 4;
    } else if (c === 0x66) {
      if (i + 4 >= n || b[i + 1] !== 0x61 || b[i + 2] !== 0x6c || b[i + 3] !== 0x73 || b[i + 4] !== 0x65) return -1;
      i += 5;
    } else if (c === 0x6e) {
      if (i + 3 >= n || b[i + 1] !== 0x75 || b[i + 2] !== 0x6c || b[i + 3] !== 0x6c) return -1;
      i += 4;
    } else {
      // A number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
      if (c === MINUS) i++;
      if (i < n && b[i] === ZERO) i++;
      else if (i < n && isDigit(b[i]!)) while (i < n && isDigit(b[i]!)) i++;
      else return -1;
      if (i < n && b[i] === DOT) {
        i++;
        if (i >= n || !isDigit(b[i]!)) return -1;
        while (i < n && isDigit(b[i]!)) i++;
      }
      if (i < n && (b[i] === 0x65 || b[i] === 0x45)) {
        i++;
        if (i < n && (b[i] === PLUS || b[i] === MINUS)) i++;
        if (i >= n || !isDigit(b[i]!)) return -1;
        while (i < n && isDigit(b[i]!)) i++;
      }
    }
    while (i < n && ws[b[i]!] === 1) i++;
    want = Want.Next;
  }
}
