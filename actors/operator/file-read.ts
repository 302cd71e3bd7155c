// Reading a watch-dir JSON file as a stream, in two passes, so memory does not grow with the file
// (EdgeLake loads the whole file: 8.8 MB took its RSS to 348 MB):
//   pass 1 parses every line (a JSON object, or a JSON array of objects), checks it, infers the
//          columns and counts the rows per line; a bad line fails the whole file (EdgeLake error 67)
//          before anything is inserted
//   pass 2 only slices the text into chunks of whole lines, as JSON array texts for the database's
//          own JSON reader (json_each / json_to_recordset): no second JavaScript parse
// A file up to ONE_READ_LIMIT is read once: pass 1 keeps its lines for pass 2 (open, reads and line splitting
// were a fifth of the operator's time on 5,000-row files, bench ingest-files), and memory stays bounded by the limit.
// A file that is one JSON document over several lines (pretty-printed) is read whole, up to 64 MiB.
// Lone UTF-16 surrogates in keys and values become U+FFFD (protocols/format/unicode.ts), as for rows
// that come by the journal.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { ProtocolError } from '../../base/errors.js';
import { createSchemaInferrer, type InferredColumn } from '../../storage/schema/infer.js';
import { Status } from '../../base/status.js';
import { openRegular, readRegular, regularStream } from '../_shared/file-moves.js';
import { wellFormed, wellFormedJson } from '../../protocols/format/unicode.js';

export const WHOLE_FILE_LIMIT = 64 << 20;
/** Files up to this size are read once, their lines kept from pass 1 for pass 2. */
export const ONE_READ_LIMIT = 8 << 20;

/** The lines readline gives (`crlfDelay: Infinity`): split at CRLF, LF or a lone CR; no line after a final break. */
export function splitLines(text: string): string[] {
  const lines = text.split(/\r?\n|\r(?!\n)/);
  if (lines.at(-1) === '') lines.pop();
  return lines;
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
export async function scanFile(path: string, infer = true, oneReadLimit = ONE_READ_LIMIT): Promise<FileScan> {
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
    try {
      lines = splitLines(await fh.readFile('utf8'));
    } finally {
      await fh.close();
    }
    for (const raw of lines) if (!visit(raw)) break;
  } else {
    const rl = createInterface({ input: createReadStream('', { fd: fh, encoding: 'utf8' }), crlfDelay: Infinity });
    try {
      for await (const raw of rl) if (!visit(raw)) break;
    } finally {
      rl.close();
    }
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
  /** JSON array text. */
  text: string;
  rows: number;
  /** Rows of the file up to and including this chunk. */
  upTo: number;
}

/** Pass 2: chunks of whole lines, skipping the first `skipRows` rows (already committed). */
export async function* chunks(
  path: string,
  scan: FileScan,
  skipRows: number,
  maxRows = 10_000,
  maxBytes = 4 << 20,
): AsyncGenerator<Chunk> {
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
    const rl = createInterface({ input: await regularStream(path, 'utf8'), crlfDelay: Infinity });
    try {
      for await (const raw of rl) {
        const ch = take(raw);
        if (ch) yield ch;
      }
    } finally {
      rl.close();
    }
  }
  if (rows > 0) yield { text: wellFormedJson(`[${parts.join(',')}]`), rows, upTo: done };
}
