// Rows as the UTF-8 bytes of a JSON array text, the form they travel in from a REST body to SQLite: the
// journal stores them (msgpack bin: one copy, no re-encoding), the rings carry them, and SQLite's json_each
// reads them (`json_each(cast(? as text))`). JavaScript decodes them only where it must look inside: type
// inference for a new table, partition regrouping, PostgreSQL's COPY, dead letters (bench/README.md "Profile":
// the streamer spent half its time re-encoding row strings into the operator's ring, and the REST worker a
// tenth encoding them for the journal).
//
//   rows := ws* '[' ws* ( value ( ws* ',' ws* value )* )? ws* ']' ws*      (UTF-8, well-formed: see unicode.ts)
import { isUtf8 } from 'node:buffer';
import { wellFormedJson } from '../format/unicode.js';

const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = Buffer.from(',');
const isWs = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/** A Buffer view of the same memory (no copy), for toString and Buffer.concat. */
export function asBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/** The rows' JSON text (one UTF-8 decode). */
export function rowsText(rows: string | Uint8Array): string {
  return typeof rows === 'string' ? rows : asBuffer(rows).toString('utf8');
}

/**
 * Rows as well-formed UTF-8 bytes (the rule of unicode.ts: every lone surrogate, escaped or raw, becomes
 * U+FFFD; so does a byte sequence that is not UTF-8, as Node's decoder does): the same bytes, not copied, when
 * they already are, which two native scans decide (isUtf8, and a search for any `\u` escape).
 */
export function wellFormedBytes(rows: string | Uint8Array): Buffer {
  if (typeof rows === 'string') return Buffer.from(wellFormedJson(rows), 'utf8');
  const b = asBuffer(rows);
  if (isUtf8(b) && b.indexOf('\\u') < 0) return b;
  const text = b.toString('utf8');
  const fixed = wellFormedJson(text);
  return fixed === text && isUtf8(b) ? b : Buffer.from(fixed, 'utf8');
}

/** Where the array's items start and end (exclusive) inside `[` ... `]`, surrounding whitespace skipped. */
function inner(b: Uint8Array): [number, number] {
  let from = 0;
  let to = b.length;
  while (from < to && isWs(b[from]!)) from++;
  while (to > from && isWs(b[to - 1]!)) to--;
  if (b[from] !== OPEN_BRACKET || b[to - 1] !== CLOSE_BRACKET) throw new Error('rows are not a JSON array text');
  from++;
  to--;
  while (from < to && isWs(b[from]!)) from++;
  while (to > from && isWs(b[to - 1]!)) to--;
  return [from, to];
}

/** Concatenates JSON array texts (bytes) into one array text without parsing them. */
export function concatJsonArrayBytes(arrays: readonly Uint8Array[]): Buffer {
  if (arrays.length === 1) return asBuffer(arrays[0]!);
  const parts: Buffer[] = [Buffer.from('[')];
  for (const a of arrays) {
    const [from, to] = inner(a);
    if (from === to) continue;
    if (parts.length > 1) parts.push(COMMA);
    parts.push(asBuffer(a).subarray(from, to));
  }
  parts.push(Buffer.from(']'));
  return Buffer.concat(parts);
}
