// Reading a watch-dir JSON file as a stream, in two passes, so memory does not grow with the file
// (EdgeLake loads the whole file: 8.8 MB took its RSS to 348 MB):
//   pass 1 parses every line (a JSON object, or a JSON array of objects), checks it, infers the
//          columns and counts the rows per line; a bad line fails the whole file (EdgeLake error 67)
//          before anything is inserted
//   pass 2 only slices the text into chunks of whole lines, as JSON array texts for the database's
//          own JSON reader (json_each / json_to_recordset): no second JavaScript parse
// A file that is one JSON document over several lines (pretty-printed) is read whole, up to 64 MiB.
// Lone UTF-16 surrogates in keys and values become U+FFFD (protocols/format/unicode.ts), as for rows
// that come by the journal.
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { ProtocolError } from '../../base/errors.js';
import { createSchemaInferrer, type InferredColumn } from '../../storage/schema/infer.js';
import { Status } from '../../base/status.js';
import { readRegular, regularStream } from '../_shared/file-moves.js';
import { wellFormed, wellFormedJson } from '../../protocols/format/unicode.js';

export const WHOLE_FILE_LIMIT = 64 << 20;

export interface FileScan {
  rows: number;
  /** Rows on each line (0 for blank lines); undefined when the file was read whole. */
  lineRows: number[] | undefined;
  keys: string[];
  columns: InferredColumn[];
  /** The rows as one JSON array text, when the file was read whole. */
  wholeText: string | undefined;
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
 * columns: it is most of the cost of the pass); without it the columns come back empty.
 */
export async function scanFile(path: string, infer = true): Promise<FileScan> {
  const inf = createSchemaInferrer();
  const keys = new Set<string>();
  const lineRows: number[] = [];
  let rows = 0;
  let lineNo = 0;
  const rl = createInterface({ input: await regularStream(path, 'utf8'), crlfDelay: Infinity });
  let failed: { line: number; message: string } | undefined;
  for await (const raw of rl) {
    lineNo++;
    const line = raw.trim();
    if (line === '') {
      lineRows.push(0);
      continue;
    }
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (err) {
      failed = { line: lineNo, message: (err as Error).message };
      break;
    }
    const list = rowsOf(v, `line ${lineNo}`);
    for (const r of list) for (const k in r) keys.add(k);
    if (infer) inf.add(list);
    lineRows.push(list.length);
    rows += list.length;
  }
  rl.close();
  if (!failed) return { rows, lineRows, keys: [...keys].map(wellFormed), columns: inf.columns(), wholeText: undefined };
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
  const rl = createInterface({ input: await regularStream(path, 'utf8'), crlfDelay: Infinity });
  try {
    for await (const raw of rl) {
      const n = scan.lineRows[idx++] ?? 0;
      if (n === 0) continue;
      if (done + n <= skipRows) {
        done += n;
        continue;
      }
      const line = raw.trim();
      parts.push(line.startsWith('[') ? line.slice(1, -1) : line);
      rows += n;
      bytes += line.length;
      done += n;
      if (rows >= maxRows || bytes >= maxBytes) {
        yield { text: wellFormedJson(`[${parts.join(',')}]`), rows, upTo: done };
        parts = [];
        rows = 0;
        bytes = 0;
      }
    }
  } finally {
    rl.close();
  }
  if (rows > 0) yield { text: wellFormedJson(`[${parts.join(',')}]`), rows, upTo: done };
}
