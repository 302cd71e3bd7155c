// Well-formed Unicode in ingested JSON text. A lone UTF-16 surrogate (`"\ud800x"`, or a raw unpaired
// code unit in a JS string) has no UTF-8 form: SQLite's json_extract stores it as invalid UTF-8 bytes
// (ED A0 80) and the SQLite binding then aborts the whole process when a query reads them back.
// Rule (README "Ingest rules"): every lone surrogate, escaped or raw, in a value or a key, becomes
// U+FFFD (the replacement character) before the rows are journaled or inserted; paired surrogates
// (emoji and other astral characters) are kept. This is what a UTF-8 encoder does with such text
// (WHATWG "encode", Node's Buffer.from), done here once, at the door, for every engine.
// `String.prototype.toWellFormed` does not see escapes inside JSON text, hence this scanner.

/** Either a surrogate code unit or a `\uD8..`-`\uDF..` escape: the only texts the slow path can change. */
const MAYBE = /[\ud800-\udfff]|\\u[dD][89a-fA-F]/;

const isHigh = (c: number): boolean => c >= 0xd800 && c <= 0xdbff;
const isLow = (c: number): boolean => c >= 0xdc00 && c <= 0xdfff;

/** The code unit of the `\uXXXX` escape at i (text[i] is the backslash), or -1. */
function escapeAt(text: string, i: number): number {
  if (text.charCodeAt(i) !== 0x5c || text.charCodeAt(i + 1) !== 0x75) return -1;
  const hex = text.slice(i + 2, i + 6);
  return /^[0-9a-fA-F]{4}$/.test(hex) ? parseInt(hex, 16) : -1;
}

/**
 * JSON text with every lone surrogate (raw or as a `\u` escape) replaced by U+FFFD; the same string
 * (no copy) when there is none, which a single regex test decides for almost every input.
 */
export function wellFormedJson(text: string): string {
  if (!MAYBE.test(text)) return text;
  let out = '';
  let from = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5c) {
      const u = escapeAt(text, i);
      if (u < 0) {
        i++; // any other escape (\\, \", \n...): skip the escaped character
        continue;
      }
      if (isHigh(u) && isLow(escapeAt(text, i + 6))) {
        i += 11;
        continue;
      }
      if (isHigh(u) || isLow(u)) {
        out += text.slice(from, i) + '\\ufffd';
        from = i + 6;
      }
      i += 5;
      continue;
    }
    if (isHigh(c) && isLow(text.charCodeAt(i + 1))) {
      i++;
      continue;
    }
    if (isHigh(c) || isLow(c)) {
      out += text.slice(from, i) + '\ufffd';
      from = i + 1;
    }
  }
  return from === 0 ? text : out + text.slice(from);
}

/** A plain string (a JSON key or value already parsed) with lone surrogates replaced by U+FFFD. */
export function wellFormed(s: string): string {
  if (!/[\ud800-\udfff]/.test(s)) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (isHigh(c) && isLow(s.charCodeAt(i + 1))) {
      out += s[i]! + s[i + 1]!;
      i++;
    } else out += isHigh(c) || isLow(c) ? '\ufffd' : s[i]!;
  }
  return out;
}
