// A row that repeats a key keeps its last value on SQLite as on PostgreSQL and in EdgeLake (json.loads):
// protocols/frames/repeated-keys.ts rewrites only rows with a repeat, and SQLite's json_extract then reads what
// JSON.parse reads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import Database from 'libsql';
import { lastOfRepeatedKeys } from '../../protocols/frames/repeated-keys.js';

const db = new Database(':memory:');
const KEYS = ['a', 'b', 'A', 'é', 'x.y'];
/** What SQLite's json_extract reads for each key of each row, as JSON text (`->`). */
function sqliteReads(rows: string | Buffer): (string | null)[][] {
  // As text: libsql-js 0.5.29 panics reading rows of a statement given a Buffer by `all`.
  const picks = KEYS.map((k) => `value -> '$."${k}"'`);
  const st = db.prepare(`SELECT ${picks.join(', ')} FROM json_each(?) ORDER BY key`);
  return (st.raw(true) as unknown as { all(x: unknown): (string | null)[][] }).all(rows.toString());
}
const parsedReads = (text: string): (string | null)[][] =>
  (JSON.parse(text) as Record<string, unknown>[]).map((r) =>
    KEYS.map((k) => (Object.hasOwn(r, k) ? JSON.stringify(r[k]) : null)),
  );

test('rows without a repeated key come back as they were (the same object, no copy)', () => {
  const text = '[{"a":1,"b":"x"},{"a":2,"b":"y"},{"b":3,"a":4},{}]';
  assert.equal(lastOfRepeatedKeys(text), text);
  const bytes = Buffer.from(text);
  assert.equal(lastOfRepeatedKeys(bytes), bytes);
});

test('a repeated key keeps its last value, also spelled with an escape, nested values left alone', () => {
  const text =
    '[{"a":1,"a":"x"}, {"a":1,"b":2}, {"b":[1,{"a":2}],"\\u0061":null,"a":{"a":1,"a":2},"b":true} ,{"a":1,"a":2,"a":3}]';
  const out = lastOfRepeatedKeys(text);
  assert.deepEqual(JSON.parse(out), JSON.parse(text));
  assert.equal(out, '[{"a":"x"}, {"a":1,"b":2}, {"a":{"a":1,"a":2},"b":true} ,{"a":3}]');
  assert.deepEqual(
    sqliteReads(Buffer.from(out)),
    parsedReads(text).map((r) => r.map((v) => (v === '{"a":2}' ? '{"a":1,"a":2}' : v))),
  );
  // Bytes in, bytes out.
  assert.ok(Buffer.isBuffer(lastOfRepeatedKeys(Buffer.from(text))));
  // Without it SQLite reads the first.
  assert.equal(sqliteReads(text)[0]![0], '1');
});

test('strings ending in backslashes or holding escaped quotes are skipped whole', () => {
  const rows = [
    ['a', 'x\\"y'],
    ['b', '\\'],
    ['a', '\\\\'],
    ['c', '"}{,'],
    ['a', 'end'],
  ];
  const text = `[{${rows.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}]`;
  assert.deepEqual(JSON.parse(lastOfRepeatedKeys(text)), JSON.parse(text));
  assert.deepEqual(sqliteReads(lastOfRepeatedKeys(text)), parsedReads(text));
});

test('bytes the walk does not expect are returned as they are', () => {
  for (const text of ['[{"a":1,"a":2}', '{"a":1,"a":2}', '[{"a":1,"a"}]', '[1,{"a":1,"a":2}]'])
    assert.equal(lastOfRepeatedKeys(text), text);
});

test('SQLite reads what JSON.parse reads, whatever the keys and their order (property)', () => {
  const value = fc.oneof(
    fc.integer(),
    fc.string({ maxLength: 6 }).filter((s) => !/[\u0000-\u001f]/.test(s)),
    fc.constant(null),
    fc.boolean(),
    fc.constant({ p: 1 }),
    fc.constant([1, 'z']),
  );
  const key = fc.constantFrom(...KEYS);
  const row = fc.array(fc.tuple(key, value, fc.boolean()), { maxLength: 8 }).map(
    (ms) =>
      // Members written by hand, so that keys may repeat; some keys escaped.
      `{${ms.map(([k, v, esc]) => `${esc ? JSON.stringify(k).replace(/a/g, '\\u0061') : JSON.stringify(k)}: ${JSON.stringify(v)}`).join(', ')}}`,
  );
  fc.assert(
    fc.property(fc.array(row, { minLength: 1, maxLength: 12 }), (rows) => {
      const text = `[${rows.join(',\n')}]`;
      assert.deepEqual(sqliteReads(Buffer.from(lastOfRepeatedKeys(text))), parsedReads(text));
      assert.deepEqual(sqliteReads(lastOfRepeatedKeys(Buffer.from(text))), parsedReads(text));
    }),
    { numRuns: 500 },
  );
});
