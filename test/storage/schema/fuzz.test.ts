// Random JSON rows: inference and DDL never throw on objects, and every name they emit is safe.
// Seeded and bounded, so a failure reproduces.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'libsql';
import { createSchemaInferrer } from '../../../storage/schema/infer.js';
import { addColumnStatements, createTableStatements, publishedCreate } from '../../../storage/schema/ddl.js';
import { isSafeIdentifier } from '../../../storage/schema/names.js';

/** mulberry32: a small seeded PRNG. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CHARS = [
  'a',
  'Z',
  '0',
  '9',
  ' ',
  '_',
  '-',
  '.',
  ':',
  '"',
  "'",
  ';',
  '\\',
  '\u0000',
  '\n',
  'é',
  'Ω',
  '😀',
  '\u200b',
  '\ud800',
  '+',
  'T',
  '%',
];
const STRINGS = [
  '2024-05-01T10:00:00.000000Z',
  '10:00:00',
  '2024-01-01',
  '10.0.0.1',
  '::1',
  '123e4567-e89b-12d3-a456-426614174000',
  '1.5',
  '12345678',
  '',
  'select',
  'row_id',
];

function text(r: () => number, max: number): string {
  let s = '';
  const n = Math.floor(r() * max);
  for (let i = 0; i < n; i++) s += CHARS[Math.floor(r() * CHARS.length)];
  return s;
}

function value(r: () => number, depth: number): unknown {
  const k = Math.floor(r() * 9);
  switch (k) {
    case 0:
      return null;
    case 1:
      return r() < 0.5;
    case 2:
      return Math.floor((r() - 0.5) * 10 ** Math.floor(r() * 12));
    case 3:
      return (r() - 0.5) * 10 ** Math.floor(r() * 30 - 15);
    case 4:
      return STRINGS[Math.floor(r() * STRINGS.length)];
    case 5:
      return depth > 1 ? 'x' : [value(r, depth + 1), value(r, depth + 1)];
    case 6:
      return depth > 1 ? 'y' : { k: value(r, depth + 1) };
    default:
      return text(r, 12);
  }
}

test('random rows never make inference or DDL throw, and every emitted name is safe', () => {
  const r = rng(20261124);
  for (let file = 0; file < 150; file++) {
    const inf = createSchemaInferrer();
    const keys = Array.from({ length: 1 + Math.floor(r() * 8) }, () =>
      r() < 0.2 ? (STRINGS[Math.floor(r() * STRINGS.length)] ?? '') : text(r, 10),
    );
    for (let batch = 0; batch < 3; batch++) {
      const rows = Array.from({ length: 1 + Math.floor(r() * 5) }, () => {
        const row: Record<string, unknown> = {};
        for (const k of keys) if (r() < 0.8) row[k] = value(r, 0);
        return row;
      });
      inf.add(rows);
    }
    const cols = inf.columns();
    for (const c of cols) assert.ok(isSafeIdentifier(c.name), JSON.stringify(c.name));
    if (cols.length === 0) continue;
    const spec = { table: 'fuzz', columns: cols, withTsdInfo: r() < 0.5 };
    const published = publishedCreate(spec);
    assert.ok(published.startsWith('CREATE TABLE IF NOT EXISTS fuzz('));
    const db = new Database(':memory:') as unknown as { exec(sql: string): void; close(): void };
    try {
      // SQLite must accept every statement: the real proof that nothing unsafe was spliced.
      for (const s of createTableStatements(spec, 'sqlite')) db.exec(s);
      for (const s of addColumnStatements(
        'fuzz',
        { name: 'late_time', type: 'TIMESTAMP NOT NULL DEFAULT NOW()' },
        'sqlite',
      ))
        db.exec(s);
    } finally {
      db.close();
    }
    assert.ok(createTableStatements(spec, 'psql').length >= 2);
  }
});
