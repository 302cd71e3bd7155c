// Reading a watch-dir JSON file as a stream, in two passes, so memory does not grow with the file
// (EdgeLake loads the whole file: 8.8 MB took its RSS to 348 MB):
//   pass 1 parses every line (a JSON object, or a JSON array of objects), checks it, infers the
//          columns and counts the rows per line; a bad line fails the whole file (EdgeLake error 67)
//          before anything is inserted
//   pass 2 only slices the text into chunks of whole lines, as JSON array texts for the database's
//          own JSON reader (json_each / json_to_recordset): no second JavaScript parse
// A file up to ONE_READ_LIMIT is read once: pass 1 keeps its lines for pass 2 (open, reads and line splitting
// were a fifth of the operator's time on 5,000-row files, bench ingest-files), and memory stays bounded by the limit.
// Such a file of a known table (no inference) is first tried as bytes: a validating byte scan of one object per line
// (protocols/frames/rows-scan.ts scanLines: the keys, no objects built) and pass 2 cuts chunks out of the same bytes,
// which go to the database as they are (json_each(cast(? as text))). The per-line JSON.parse and the decode to a
// string were a sixth of the operator's time in ingest-files; anything the scan does not answer for (a bad line, a
// line holding an array, a BOM...) takes the line-by-line path, which keeps every error and its line number.
// A file that is one JSON document over several lines (pretty-printed) is read whole, up to 64 MiB; one line may be
// as long (`boundedLines`), and a longer one fails the file before it is held.
// Lone UTF-16 surrogates in keys and values become U+FFFD (protocols/format/unicode.ts), as for rows
// that come by the journal.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { ProtocolError } from '../../base/errors.js';
import { createSchemaInferrer, type InferredColumn } from '../../storage/schema/infer.js';
import { Status } from '../../base/status.js';
import { openRegular, readRegular, regularStream } from '../_shared/file-moves.js';
import { wellFormed, wellFormedJson } from '../../protocols/format/unicode.js';
import { scanLines } from '../../protocols/frames/rows-scan.js';
import { wellFormedBytes } from '../../protocols/frames/json-bytes.js';

export const WHOLE_FILE_LIMIT = 64 << 20;
/** Files up to this size are read once, their lines kept from pass 1 for pass 2. */
export const ONE_READ_LIMIT = 8 << 20;

/** The lines readline gives (`crlfDelay: Infinity`): split at CRLF, LF or a lone CR; no line after a final break. */
export function splitLines(text: string): string[] {
  const lines = text.split(/\r?\n|\r(?!\n)/);
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/**
 * The lines of a streamed text as readline gives them (`splitLines`; a CR LF split between two chunks is one break),
 * each at most `max` characters: a longer line fails the file (error 67) before it is held whole. readline keeps any
 * line however long: one line of a 169 MB JSON array took the node from 150 MB to 1.8 GB RSS, and a TCP peer's `file
 * write` into the watch directory has no size limit.
 */
export async function* boundedLines(
  input: AsyncIterable<string> | Iterable<string>,
  max: number,
): AsyncGenerator<string> {
  let carry = '';
  let lineNo = 0;
  /** The previous chunk ended with a CR: a LF at the start of this one is the same break. */
  let cr = false;
  const tooLong = (): ProtocolError =>
    new ProtocolError(`line ${lineNo + 1} is longer than ${max} characters (the watch directory's line limit)`, {
      code: Status.FailedToAnalyzeJson,
    });
  for await (const chunk of input) {
    let at: number = cr && chunk.startsWith('\n') ? 1 : 0;
    cr = false;
    const breaks = /\r\n|\n|\r/g;
    breaks.lastIndex = at;
    for (let m = breaks.exec(chunk); m; m = breaks.exec(chunk)) {
      if (carry.length + m.index - at > max) throw tooLong();
      const line = carry + chunk.slice(at, m.index);
      carry = '';
      at = m.index + m[0].length;
      cr = m[0] === '\r' && at === chunk.length;
      lineNo++;
      yield line;
    }
    if (carry.length + chunk.length - at > max) throw tooLong();
    carry += chunk.slice(at);
  }
  if (carry !== '') yield carry;
}

export interface FileScan {
  rows: number;
  /** Rows on each line (0 for blank lines); undefined when the file was read whole. */
  lineRows: number[] | undefined;
  keys: string[];
  columns: InferredColumn[];
  /** The rows as one JSON array text, when the file was read whole. */
  wholeText: string | undefined;
  /** The file's lines, when it was small enough to read once (ONE_READ_LIMIT): pass 2 slices these. */
  lines?: readonly string[] | undefined;
  /**
   * The file's bytes when the byte scan answered (one object per line): row i is `bytes[starts[i], ends[i])`, and
   * every row's line end but the last is a comma, so rows a..b-1 are an array's items as they stand.
   */
  rowBytes?: { bytes: Buffer; starts: readonly number[]; ends: readonly number[]; repeats: boolean } | undefined;
}

function rowsOf(v: unknown, where: string): Record<string, unknown>[] {
  const list = Array.isArray(v) ? v : [v];
  list.forEach((r, i) => {
    if (typeof r !== 'object' || r === null || Array.isArray(r)) {
      throw new ProtocolError(`${where}${Array.isArray(v) ? ` element ${i}` : ''} is not a JSON object`, {
        code: Status.FailedToAnalyzeJson,
      });
    }
  });
  return list as Record<string, unknown>[];
}

/**
 * Pass 1. `infer` runs EdgeLake's type inference on every value (needed only for a new table or new
 * columns: it is most of the cost of the pass); without it the columns come back empty. A file up to
 * `oneReadLimit` bytes is read once and its lines kept for pass 2; a larger one is streamed.
 */
export async function scanFile(
  path: string,
  infer = true,
  oneReadLimit = ONE_READ_LIMIT,
  maxLine = WHOLE_FILE_LIMIT,
): Promise<FileScan> {
  const inf = createSchemaInferrer();
  const keys = new Set<string>();
  const lineRows: number[] = [];
  let rows = 0;
  let lineNo = 0;
  let failed: { line: number; message: string } | undefined;
  /** One line of pass 1; false stops the pass (the line is not JSON). */
  const visit = (raw: string): boolean => {
    lineNo++;
    const line = raw.trim();
    if (line === '') {
      lineRows.push(0);
      return true;
    }
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (err) {
      failed = { line: lineNo, message: (err as Error).message };
      return false;
    }
    const list = rowsOf(v, `line ${lineNo}`);
    for (const r of list) for (const k in r) keys.add(k);
    if (infer) inf.add(list);
    lineRows.push(list.length);
    rows += list.length;
    return true;
  };
  const fh = await openRegular(path);
  let lines: string[] | undefined;
  if ((await fh.stat()).size <= oneReadLimit) {
    let bytes: Buffer;
    try {
      bytes = await fh.readFile();
    } finally {
      await fh.close();
    }
    const scanned = infer ? undefined : scanLines(bytes);
    if (scanned) {
      // The line ends between rows become the array's commas (the bytes are this read's own).
      for (let r = 0; r < scanned.count - 1; r++) bytes[scanned.ends[r]!] = 0x2c;
      return {
        rows: scanned.count,
        lineRows: undefined,
        keys: scanned.keys.map(wellFormed),
        columns: [],
        wholeText: undefined,
        rowBytes: { bytes, starts: scanned.starts, ends: scanned.ends, repeats: scanned.repeats },
      };
    }
    lines = splitLines(bytes.toString('utf8'));
    for (const raw of lines) if (!visit(raw)) break;
  } else {
    // The stream closes the file at its end, or when the loop leaves early (the generator's return destroys it).
    for await (const raw of boundedLines(createReadStream('', { fd: fh, encoding: 'utf8' }), maxLine))
      if (!visit(raw)) break;
  }
  if (!failed)
    return { rows, lineRows, keys: [...keys].map(wellFormed), columns: inf.columns(), wholeText: undefined, lines };
  // Not one JSON value per line: maybe one document over several lines.
  const size = (await stat(path)).size;
  if (failed.line === 1 || rows === 0) {
    if (size <= WHOLE_FILE_LIMIT) {
      const text = await readRegular(path);
      let v: unknown;
      try {
        v = JSON.parse(text);
      } catch (err) {
        throw new ProtocolError(
          `not JSON: line ${failed.line}: ${failed.message} (whole file: ${(err as Error).message})`,
          { code: Status.FailedToAnalyzeJson },
        );
      }
      const list = rowsOf(v, 'the file');
      const whole = createSchemaInferrer();
      whole.add(list);
      const k = new Set<string>();
      for (const r of list) for (const x in r) k.add(x);
      return {
        rows: list.length,
        lineRows: undefined,
        keys: [...k].map(wellFormed),
        columns: whole.columns(),
        wholeText: wellFormedJson(JSON.stringify(list)),
      };
    }
  }
  throw new ProtocolError(`line ${failed.line} is not JSON: ${failed.message}`, { code: Status.FailedToAnalyzeJson });
}

export interface Chunk {
  /** JSON array text, or its UTF-8 bytes (a file the byte scan read). */
  text: string | Buffer;
  rows: number;
  /** Rows of the file up to and including this chunk. */
  upTo: number;
  /**
   * Whether a row names a top-level key twice (InsertBatch `repeatedKeys`): known for a file the byte scan read,
   * whose bytes stayed as they were; else undefined (SQLite walks the rows).
   */
  repeatedKeys?: boolean | undefined;
}

/** Pass 2: chunks of whole lines, skipping the first `skipRows` rows (already committed). */
export async function* chunks(
  path: string,
  scan: FileScan,
  skipRows: number,
  maxRows = 10_000,
  maxBytes = 4 << 20,
): AsyncGenerator<Chunk> {
  if (scan.rowBytes) {
    yield* byteChunks(scan.rowBytes, scan.rows, skipRows, maxRows, maxBytes);
    return;
  }
  if (scan.wholeText !== undefined || !scan.lineRows) {
    if (skipRows < scan.rows) yield { text: scan.wholeText ?? '[]', rows: scan.rows, upTo: scan.rows };
    return;
  }
  let idx = 0;
  let done = 0;
  let parts: string[] = [];
  let rows = 0;
  let bytes = 0;
  const lineRows = scan.lineRows;
  /** Takes one line; a chunk when it is full. */
  const take = (raw: string): Chunk | undefined => {
    const n = lineRows[idx++] ?? 0;
    if (n === 0) return undefined;
    if (done + n <= skipRows) {
      done += n;
      return undefined;
    }
    const line = raw.trim();
    parts.push(line.startsWith('[') ? line.slice(1, -1) : line);
    rows += n;
    bytes += line.length;
    done += n;
    if (rows < maxRows && bytes < maxBytes) return undefined;
    const ch = { text: wellFormedJson(`[${parts.join(',')}]`), rows, upTo: done };
    parts = [];
    rows = 0;
    bytes = 0;
    return ch;
  };
  if (scan.lines) {
    for (const raw of scan.lines) {
      const ch = take(raw);
      if (ch) yield ch;
    }
  } else {
    // Split as pass 1 split them (the line numbers of `lineRows`); pass 1 checked every line's length.
    for await (const raw of boundedLines(await regularStream(path, 'utf8'), Infinity)) {
      const ch = take(raw);
      if (ch) yield ch;
    }
  }
  if (rows > 0) yield { text: wellFormedJson(`[${parts.join(',')}]`), rows, upTo: done };
}

const OPEN = Buffer.from('[');
const CLOSE = Buffer.from(']');

/** Pass 2 over a file's bytes (FileScan.rowBytes): the same chunk bounds as for lines, cut from the bytes. */
function* byteChunks(
  { bytes, starts, ends, repeats }: NonNullable<FileScan['rowBytes']>,
  total: number,
  skipRows: number,
  maxRows: number,
  maxBytes: number,
): Generator<Chunk> {
  let from = skipRows;
  let rows = 0;
  let size = 0;
  for (let r = skipRows; r < total; r++) {
    rows++;
    size += ends[r]! - starts[r]!;
    if (rows < maxRows && size < maxBytes && r < total - 1) continue;
    const cut = Buffer.concat([OPEN, bytes.subarray(starts[from]!, ends[r]!), CLOSE]);
    const text = wellFormedBytes(cut);
    // The scan's answer holds for the bytes it read: made well-formed, two keys can become one.
    yield { text, rows, upTo: r + 1, repeatedKeys: text === cut ? repeats : undefined };
    from = r + 1;
    rows = 0;
    size = 0;
  }
}
