// One value of a row as COPY's text format writes it (pg-copy.ts: the format and the rules for timestamps with an
// offset, NULL and NOT NULL columns), shared by the parsed path (pg-copy.ts copyText) and the byte path
// (pg-copy-bytes.ts).
import type { InsertBatch } from './types.js';

// A numeric zone (`+02:00`); `Z` is UTC already and PostgreSQL reads it fine (microseconds kept).
const OFFSET = /[+-]\d\d:?\d\d$/;

export function escape(s: string): string {
  return s.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}

export type Kind = 'timestamp' | 'date' | 'time' | 'bool' | 'other';

export function kindOf(type: string): Kind {
  const t = type.toLowerCase();
  if (t.startsWith('timestamp')) return 'timestamp';
  if (/^date\b/.test(t)) return 'date';
  if (/^time\b/.test(t)) return 'time';
  if (t.startsWith('bool')) return 'bool';
  return 'other';
}

export function field(v: unknown, kind: Kind, notNull: boolean, now: Date): string {
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

/** A batch's columns as COPY writes them. */
export interface CopyColumn {
  keys: readonly string[];
  kind: Kind;
  notNull: boolean;
}

export const copyColumns = (b: InsertBatch): CopyColumn[] =>
  b.columns.map((x) => ({ keys: x.keys, kind: kindOf(x.type), notNull: x.notNull }));
