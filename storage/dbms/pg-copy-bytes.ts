// COPY's text format (pg-copy.ts) written straight from a batch's JSON bytes, without building its rows: JSON.parse
// of every row into objects, then a string per value and their garbage, was most of the operator's time in
// ingest-pg (bench/README.md). The bytes are the rows' array text as the door checked it (protocols/frames/
// rows-scan.ts); this walk only finds each row's keys and values and copies the values that COPY takes as they
// stand:
//   a string without escapes (no backslash: JSON has no raw TAB, LF or CR in a string, so COPY needs no escaping),
//     except an empty one and, in a timestamp column, one ending in a numeric zone (converted to UTC)
//   a number whose text is what String(Number(text)) gives (at most 15 digits, no exponent, no trailing zero)
//   true / false (`t` / `f` in a boolean column), null
// Any other value (an escaped string, another number, an object or array) is parsed alone and written by
// pg-copy-field.ts `field`, as the parsed path writes it. A key listed by two columns or named as a property of
// Object.prototype, bytes that are not UTF-8, or
// anything unexpected in the text: undefined, and the caller takes the parsed path (copyText), so the output is the
// parsed path's output in every case (test/storage/pg-copy-bytes.test.ts compares them).
import { isUtf8 } from 'node:buffer';
import { asBuffer } from '../../protocols/frames/json-bytes.js';
import { copyColumns, escape, field, type CopyColumn } from './pg-copy-field.js';
import type { InsertBatch } from './types.js';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const TAB = 0x09;
const LF = 0x0a;
const ZERO = 0x30;
const NINE = 0x39;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;

const isWs = (c: number): boolean => c === 0x20 || c === LF || c === 0x0d || c === TAB;
const isDigit = (c: number): boolean => c >= ZERO && c <= NINE;

/** What a value is, as far as writing it goes. */
const enum V {
  Absent,
  Null,
  Str,
  /** A string with an escape: parsed alone. */
  StrEscaped,
  Num,
  /** A number whose text String(Number(text)) would change: parsed alone. */
  NumOther,
  True,
  False,
  /** An object or an array: parsed alone. */
  Nested,
}

/** A growing byte buffer. */
class Out {
  buf: Buffer;
  len = 0;
  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }
  room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }
  /** A loop, not set(subarray()): values are a few bytes, and a view per value cost more than the copy. */
  bytes(src: Uint8Array, from: number, to: number): void {
    this.room(to - from);
    const buf = this.buf;
    let o = this.len;
    for (let k = from; k < to; k++) buf[o++] = src[k]!;
    this.len = o;
  }
  byte(c: number): void {
    this.room(1);
    this.buf[this.len++] = c;
  }
  text(s: string): void {
    this.room(s.length * 3);
    this.len += this.buf.write(s, this.len);
  }
}

/** The first offset from i that is not JSON whitespace (a function of i: a closure over it slowed every access). */
function skipWs(b: Uint8Array, i: number, n: number): number {
  while (i < n && isWs(b[i]!)) i++;
  return i;
}

/** Set by stringEnd: the string held an escape. Set by numberEnd: the number's text is String(Number(text)). */
let escaped = false;
let canonical = false;

/** From the first byte inside a string: its closing quote (`escaped` says whether it holds an escape); -1 if none. */
function stringEnd(b: Uint8Array, i: number, n: number): number {
  escaped = false;
  while (i < n) {
    const c = b[i]!;
    if (c === QUOTE) return i;
    if (c < 0x20) break;
    if (c === BACKSLASH) {
      escaped = true;
      i += 2;
    } else i++;
  }
  return -1;
}

/** The end of the number at i (JSON grammar; `canonical` says whether its text is String(Number(text))); or -1. */
function numberEnd(b: Uint8Array, i: number, n: number): number {
  const start = i;
  if (b[i] === MINUS) i++;
  const intFrom = i;
  if (i < n && b[i] === ZERO) i++;
  else if (i < n && isDigit(b[i]!)) while (i < n && isDigit(b[i]!)) i++;
  else return -1;
  const intDigits = i - intFrom;
  canonical = true;
  let digits = intDigits;
  if (i < n && b[i] === DOT) {
    i++;
    const fracFrom = i;
    if (i >= n || !isDigit(b[i]!)) return -1;
    while (i < n && isDigit(b[i]!)) i++;
    digits += i - fracFrom;
    if (b[i - 1] === ZERO) canonical = false; // 1.50 is 1.5
    if (intDigits === 1 && b[intFrom] === ZERO) {
      // 0.0000001 is 1e-7: a few leading zeros only.
      let z = fracFrom;
      while (z < i && b[z] === ZERO) z++;
      if (z - fracFrom > 4) canonical = false;
      digits -= z - fracFrom + 1;
    }
  } else if (intDigits === 1 && b[intFrom] === ZERO && intFrom > start) canonical = false; // -0 is 0
  if (i < n && (b[i] === 0x65 || b[i] === 0x45)) {
    canonical = false;
    i++;
    if (i < n && (b[i] === PLUS || b[i] === MINUS)) i++;
    if (i >= n || !isDigit(b[i]!)) return -1;
    while (i < n && isDigit(b[i]!)) i++;
  }
  // Up to 15 significant digits a decimal is the shortest text of its double.
  if (digits > 15) canonical = false;
  return i;
}

/** The end of the object or array at i (checked by the door; strings inside skipped whole); -1 when malformed. */
function nestedEnd(b: Uint8Array, i: number, n: number): number {
  let depth = 0;
  while (i < n) {
    const c = b[i]!;
    if (c === QUOTE) {
      i = stringEnd(b, i + 1, n);
      if (i < 0) return -1;
      i++;
      continue;
    }
    if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
    else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
      if (depth === 0) return i + 1;
    }
    i++;
  }
  return -1;
}

const TRUE = Buffer.from('true');
const FALSE = Buffer.from('false');
const NULL = Buffer.from('null');
function literal(b: Buffer, i: number, word: Buffer): boolean {
  if (i + word.length > b.length) return false;
  for (let k = 0; k < word.length; k++) if (b[i + k] !== word[k]) return false;
  return true;
}

/** Bytes [a, a + len) and [c, c + len) of b are equal. */
function sameBytes(b: Buffer, a: number, c: number, len: number): boolean {
  for (let k = 0; k < len; k++) if (b[a + k] !== b[c + k]) return false;
  return true;
}

/** `[+-]dd:?dd` at the end of the string bytes [from, to) (pg-copy-field.ts OFFSET). */
function endsInZone(b: Uint8Array, from: number, to: number): boolean {
  const len = to - from;
  const d = (k: number): boolean => isDigit(b[to - k]!);
  if (len >= 6 && b[to - 3] === COLON && d(1) && d(2) && d(4) && d(5) && (b[to - 6] === PLUS || b[to - 6] === MINUS))
    return true;
  return len >= 5 && d(1) && d(2) && d(3) && d(4) && (b[to - 5] === PLUS || b[to - 5] === MINUS);
}

/** The COPY text of `batch` from its JSON bytes, or undefined when the caller must take the parsed path. */
export function copyTextFromBytes(batch: InsertBatch, now: Date): { text: Buffer; rows: number } | undefined {
  if (typeof batch.rowsJson === 'string') return undefined;
  const b = asBuffer(batch.rowsJson);
  if (!isUtf8(b)) return undefined;
  const cols = copyColumns(batch);
  // A slot per (column, key): slot s is column colOf[s]'s key of rank rankOf[s].
  const slotOfKey = new Map<string, number>();
  const first: number[] = [];
  let slots = 0;
  for (const c of cols) {
    first.push(slots);
    for (const k of c.keys) {
      // A name Object.prototype has (`constructor`, `__proto__`): rare, so left to the parsed path (own keys only
      // there) rather than given a case of its own here.
      if (slotOfKey.has(k) || k in Object.prototype) return undefined;
      slotOfKey.set(k, slots++);
    }
  }
  const kind = new Uint8Array(slots);
  const vFrom = new Int32Array(slots);
  const vTo = new Int32Array(slots);
  const stamp = new Int32Array(slots).fill(-1);
  // The previous row's keys by position: most rows repeat them, compared as bytes.
  const posFrom: number[] = [];
  const posTo: number[] = [];
  const posSlot: number[] = [];
  const head = Buffer.from(`${escape(batch.insertTimestamp)}\t${escape(batch.tsdName)}\t${batch.tsdId}`);
  const out = new Out(b.length + (b.length >> 1) + 4096);
  const n = b.length;
  let i = 0;
  i = skipWs(b, i, n);
  if (b[i] !== OPEN_BRACKET) return undefined;
  i++;
  i = skipWs(b, i, n);
  let row = 0;
  for (;;) {
    if (b[i] !== OPEN_BRACE) return undefined;
    i++;
    i = skipWs(b, i, n);
    let pos = 0;
    if (b[i] === CLOSE_BRACE) i++;
    else
      for (;;) {
        if (b[i] !== QUOTE) return undefined;
        const kFrom = i + 1;
        const kTo = stringEnd(b, kFrom, n);
        if (kTo < 0) return undefined;
        let slot: number;
        const pf = posFrom[pos];
        if (pf !== undefined && posTo[pos]! - pf === kTo - kFrom && sameBytes(b, pf, kFrom, kTo - kFrom))
          slot = posSlot[pos]!;
        else {
          const key = escaped
            ? (JSON.parse(b.toString('utf8', kFrom - 1, kTo + 1)) as string)
            : b.toString('utf8', kFrom, kTo);
          slot = slotOfKey.get(key) ?? -1;
          posFrom[pos] = kFrom;
          posTo[pos] = kTo;
          posSlot[pos] = slot;
        }
        pos++;
        i = kTo + 1;
        i = skipWs(b, i, n);
        if (b[i] !== COLON) return undefined;
        i++;
        i = skipWs(b, i, n);
        const from = i;
        const c = b[i];
        let v: V;
        if (c === QUOTE) {
          const end = stringEnd(b, i + 1, n);
          if (end < 0) return undefined;
          v = escaped ? V.StrEscaped : V.Str;
          i = end + 1;
        } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
          i = nestedEnd(b, i, n);
          if (i < 0) return undefined;
          v = V.Nested;
        } else if (c === 0x74) {
          if (!literal(b, i, TRUE)) return undefined;
          i += 4;
          v = V.True;
        } else if (c === 0x66) {
          if (!literal(b, i, FALSE)) return undefined;
          i += 5;
          v = V.False;
        } else if (c === 0x6e) {
          if (!literal(b, i, NULL)) return undefined;
          i += 4;
          v = V.Null;
        } else {
          i = numberEnd(b, i, n);
          if (i < 0) return undefined;
          v = canonical ? V.Num : V.NumOther;
        }
        // A repeated key: the last one counts, as in JSON.parse.
        if (slot >= 0) {
          stamp[slot] = row;
          kind[slot] = v;
          vFrom[slot] = from;
          vTo[slot] = i;
        }
        i = skipWs(b, i, n);
        if (b[i] === COMMA) {
          i++;
          i = skipWs(b, i, n);
          continue;
        }
        if (b[i] !== CLOSE_BRACE) return undefined;
        i++;
        break;
      }
    // The row's line: the head, then each column's first key with a value (null when none: pg-copy.ts copyText).
    out.bytes(head, 0, head.length);
    for (let ci = 0; ci < cols.length; ci++) {
      const col = cols[ci]!;
      let s = -1;
      for (let r = 0; r < col.keys.length; r++) {
        const x = first[ci]! + r;
        if (stamp[x] === row && kind[x] !== V.Null) {
          s = x;
          break;
        }
      }
      out.byte(TAB);
      writeValue(out, b, s < 0 ? V.Absent : (kind[s] as V), s < 0 ? 0 : vFrom[s]!, s < 0 ? 0 : vTo[s]!, col, now);
    }
    out.byte(LF);
    row++;
    i = skipWs(b, i, n);
    if (b[i] === COMMA) {
      i++;
      i = skipWs(b, i, n);
      continue;
    }
    if (b[i] !== CLOSE_BRACKET) return undefined;
    i++;
    i = skipWs(b, i, n);
    if (i !== n) return undefined;
    return { text: out.buf.subarray(0, out.len), rows: row };
  }
}

function writeValue(out: Out, b: Buffer, v: V, from: number, to: number, col: CopyColumn, now: Date): void {
  switch (v) {
    case V.Str:
      // Between the quotes.
      if (to - from > 2 && !(col.kind === 'timestamp' && endsInZone(b, from + 1, to - 1))) {
        out.bytes(b, from + 1, to - 1);
        return;
      }
      out.text(field(b.toString('utf8', from + 1, to - 1), col.kind, col.notNull, now));
      return;
    case V.Num:
      out.bytes(b, from, to);
      return;
    case V.True:
      if (col.kind === 'bool') out.byte(0x74);
      else out.bytes(TRUE, 0, TRUE.length);
      return;
    case V.False:
      if (col.kind === 'bool') out.byte(0x66);
      else out.bytes(FALSE, 0, FALSE.length);
      return;
    case V.Absent:
    case V.Null:
      out.text(field(null, col.kind, col.notNull, now));
      return;
    case V.StrEscaped:
    case V.NumOther:
    case V.Nested:
      out.text(field(JSON.parse(b.toString('utf8', from, to)), col.kind, col.notNull, now));
      return;
  }
}
