// Rows into PostgreSQL with COPY FROM STDIN (text format), which measured fastest here
// (bench/ingest-pg.ts: COPY about 1.5x json_to_recordset and 2x multi-row VALUES).
// Text format: columns separated by TAB, rows by LF, `\N` for NULL, and backslash, TAB, LF and CR
// escaped. Values come from the batch's JSON rows; names are quoted identifiers. A timestamp with an
// offset is converted to UTC here, since a `timestamp` column would silently drop the offset; a missing
// value in a NOT NULL column takes now() (EdgeLake's `not null default now()`).
// The rows come as JSON bytes (protocols/frames/json-bytes.ts); pg-copy-bytes.ts writes the COPY text from them
// without building the rows (JSON.parse, its objects and their garbage were most of the operator's time in
// ingest-pg), and leaves to `copyText` here any batch it does not answer for.
import { Readable } from 'node:stream';
import { rowsText } from '../../protocols/frames/json-bytes.js';
import { copyTextFromBytes } from './pg-copy-bytes.js';
import { copyColumns, escape, field } from './pg-copy-field.js';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import copyStreams from 'pg-copy-streams';
import type { InsertBatch } from './types.js';

/** The batch's COPY text from its parsed rows (every batch the byte path does not answer for); its row count. */
export function copyText(b: InsertBatch, now: Date): { text: string; rows: number } {
  const rows = JSON.parse(rowsText(b.rowsJson)) as Record<string, unknown>[];
  const cols = copyColumns(b);
  const head = `${escape(b.insertTimestamp)}\t${escape(b.tsdName)}\t${b.tsdId}`;
  const lines: string[] = [];
  for (const r of rows) {
    let line = head;
    for (const col of cols) {
      let v: unknown;
      for (const k of col.keys) {
        // Own keys only: a row without a key named like a property of Object.prototype (`constructor`) must
        // give NULL, not the prototype's function text.
        v = Object.hasOwn(r, k) ? r[k] : undefined;
        if (v !== undefined && v !== null) break;
      }
      line += `\t${field(v, col.kind, col.notNull, now)}`;
    }
    lines.push(line);
  }
  return { text: lines.join('\n') + '\n', rows: rows.length };
}

/** COPY one batch on the transaction's client; returns the rows written. */
export async function copyBatch(c: pg.PoolClient, b: InsertBatch, quote: (name: string) => string): Promise<number> {
  const now = new Date();
  const data = (typeof b.rowsJson !== 'string' && copyTextFromBytes(b, now)) || copyText(b, now);
  const target = `${quote(b.table)} (insert_timestamp, tsd_name, tsd_id${b.columns.map((x) => `, ${quote(x.name)}`).join('')})`;
  await pipeline(Readable.from([data.text]), c.query(copyStreams.from(`COPY ${target} FROM STDIN`)));
  return data.rows;
}
