// Request bodies of data PUTs: EdgeLake takes one JSON object or a JSON array of objects; here
// newline-delimited objects are accepted too. The result keeps the rows as a JSON array *text*
// (what the journal stores and SQLite's json_each reads), plus the union of the rows' keys.
import { ProtocolError } from '../../base/errors.js';
import { Status } from '../../base/status.js';

/** A request body over the server's limit: answered 413. */
export class PayloadTooLargeError extends ProtocolError {
  constructor(limit: number) {
    super(`body over the limit of ${limit} bytes`, { code: Status.DataSizeLargerThanBuffer });
  }
}

export interface ParsedRows {
  /** `[{...},{...}]` */
  text: string;
  /** The body was one JSON array: its own text (untrimmed) is the rows' array text. */
  array: boolean;
  count: number;
  keys: string[];
  rows: Record<string, unknown>[];
}

function checkRows(
  values: unknown[],
  where: (i: number) => string,
): { rows: Record<string, unknown>[]; keys: string[] } {
  const keys = new Set<string>();
  const rows: Record<string, unknown>[] = [];
  values.forEach((v, i) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v))
      throw new ProtocolError(`${where(i)} is not a JSON object`);
    for (const k in v) keys.add(k);
    rows.push(v as Record<string, unknown>);
  });
  return { rows, keys: [...keys] };
}

export function parseRowsBody(raw: string): ParsedRows {
  const text = raw.trim();
  if (text === '') throw new ProtocolError('REST PUT command without new data');
  try {
    const v: unknown = JSON.parse(text);
    if (Array.isArray(v)) {
      const { rows, keys } = checkRows(v, (i) => `element ${i} of the array`);
      if (rows.length === 0) throw new ProtocolError('REST PUT command without new data');
      return { text, array: true, count: rows.length, keys, rows };
    }
    const { rows, keys } = checkRows([v], () => 'the body');
    return { text: `[${text}]`, array: false, count: 1, keys, rows };
  } catch (err) {
    if (err instanceof ProtocolError) throw err;
    // Not one JSON value: newline-delimited objects?
    if (!text.includes('\n')) throw new ProtocolError(`body is not JSON: ${(err as Error).message}`);
  }
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const values: unknown[] = lines.map((l, i) => {
    try {
      return JSON.parse(l) as unknown;
    } catch (e) {
      throw new ProtocolError(`line ${i + 1} of the body is not JSON: ${(e as Error).message}`);
    }
  });
  const { rows, keys } = checkRows(values, (i) => `line ${i + 1} of the body`);
  return { text: `[${lines.join(',')}]`, array: false, count: rows.length, keys, rows };
}
