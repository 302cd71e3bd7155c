// Rows into PostgreSQL with COPY FROM STDIN (text format), which measured fastest here
// (bench/ingest-pg.ts: COPY about 1.5x json_to_recordset and 2x multi-row VALUES).
// Text format: columns separated by TAB, rows by LF, `\N` for NULL, and backslash, TAB, LF and CR
// escaped. Values come from the batch's JSON rows; names are quoted identifiers. A timestamp with an
// offset is converted to UTC here, since a `timestamp` column would silently drop the offset; a missing
// value in a NOT NULL column takes now() (EdgeLake's `not null default now()`).
import { Readable } from 'node:stream';
import { rowsText } from '../../protocols/frames/json-bytes.js';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import copyStreams from 'pg-copy-streams';
import type { InsertBatch } from './types.js';

// A numeric zone (`+02:00`); `Z` is UTC already and PostgreSQL reads it fine (microseconds kept).
const OFFSET = /[+-]\d\d:?\d\d$/;

function escape(s: string): string {
  return s.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}

type Kind = 'timestamp' | 'date' | 'time' | 'bool' | 'other';

function kindOf(type: string): Kind {
  const t = type.toLowerCase();
  if (t.startsWith('timestamp')) return 'timestamp';
  if (/^date\b/.test(t)) return 'date';
  if (/^time\b/.test(t)) return 'time';
  if (t.startsWith('bool')) return 'bool';
  return 'other';
}

function field(v: unknown, kind: Kind, notNull: boolean, now: Date): string {
  if (v === null || v === undefined || v === '') {
    if (!notNull) return v === '' && kind === 'other' ? '' : '\\N';
    if (kind === 'date') return now.toISOString().slice(0, 10);
    if (kind === 'time') return now.toISOString().slice(11, 23);
    return now.toISOString();
  }
  if (kind === 'timestamp' && typeof v === 'string' && OFFSET.test(v)) {
    const t = Date.parse(v);
    if (!Number.isNaN(t)) return new Date(t).toISOString().replace('Z', '');
  }
  if (kind === 'bool' && typeof v === 'boolean') return v ? 't' : 'f';
  if (typeof v === 'object') return escape(JSON.stringify(v));
  return escape(String(v));
}

/** COPY one batch on the transaction's client; returns the rows written. */
export async function copyBatch(c: pg.PoolClient, b: InsertBatch, quote: (name: string) => string): Promise<number> {
  const rows = JSON.parse(rowsText(b.rowsJson)) as Record<string, unknown>[];
  const now = new Date();
  const cols = b.columns.map((x) => ({ keys: x.keys, kind: kindOf(x.type), notNull: x.notNull }));
  const head = `${escape(b.insertTimestamp)}\t${escape(b.tsdName)}\t${b.tsdId}`;
  const lines: string[] = [];
  for (const r of rows) {
    let line = head;
    for (const col of cols) {
      let v: unknown;
      for (const k of col.keys) {
        v = r[k];
        if (v !== undefined && v !== null) break;
      }
      line += `\t${field(v, col.kind, col.notNull, now)}`;
    }
    lines.push(line);
  }
  const target = `${quote(b.table)} (insert_timestamp, tsd_name, tsd_id${b.columns.map((x) => `, ${quote(x.name)}`).join('')})`;
  await pipeline(Readable.from([lines.join('\n') + '\n']), c.query(copyStreams.from(`COPY ${target} FROM STDIN`)));
  return rows.length;
}
