// COPY text from a batch's JSON bytes (storage/dbms/pg-copy-bytes.ts) is the parsed path's text (pg-copy.ts
// copyText), byte for byte, for every kind of value; what it does not answer for it leaves to the parsed path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { copyTextFromBytes } from '../../storage/dbms/pg-copy-bytes.js';
import { copyText } from '../../storage/dbms/pg-copy.js';
import type { InsertBatch } from '../../storage/dbms/types.js';

const columns: InsertBatch['columns'] = [
  { name: 'timestamp', keys: ['timestamp'], type: 'timestamp', notNull: true },
  { name: 'ts2', keys: ['ts2'], type: 'timestamp without time zone', notNull: false },
  { name: 'device', keys: ['device', 'Device'], type: 'varchar', notNull: false },
  { name: 'value', keys: ['value'], type: 'decimal', notNull: false },
  { name: 'n', keys: ['n'], type: 'int', notNull: false },
  { name: 'ok', keys: ['ok'], type: 'boolean', notNull: false },
  { name: 'd', keys: ['d'], type: 'date', notNull: true },
  { name: 't', keys: ['t'], type: 'time', notNull: true },
  { name: 'doc', keys: ['doc', 'docs'], type: 'varchar', notNull: false },
];

const batch = (rows: string | Buffer): InsertBatch => ({
  table: 't',
  columns,
  rowsJson: typeof rows === 'string' ? Buffer.from(rows) : rows,
  rowCount: 0,
  insertTimestamp: '2026-01-01T00:00:00.000000Z',
  tsdName: 'x\ty',
  tsdId: 7,
});

function same(rows: string | Buffer): boolean {
  const now = new Date(Date.UTC(2026, 5, 1, 12, 0, 0, 123));
  const b = batch(rows);
  const bytes = copyTextFromBytes(b, now);
  const parsed = copyText(b, now);
  if (!bytes) return false;
  assert.equal(bytes.text.toString('utf8'), parsed.text, typeof rows === 'string' ? rows : rows.toString());
  assert.equal(bytes.rows, parsed.rows);
  return true;
}

test('COPY text from the bytes is the parsed path text for every kind of value', () => {
  const rows = [
    {
      timestamp: '2026-01-01T00:00:00.000Z',
      device: 'dev-1',
      value: 0.25,
      n: 3,
      ok: true,
      d: '2026-01-02',
      t: '10:00',
    },
    { timestamp: '2026-01-01T02:00:00+02:00', ts2: '2026-01-01 02:00:00-0530', device: '', value: 1.5, ok: false },
    { timestamp: '', ts2: '', Device: 'backup key', value: null, n: -0, ok: 'yes', d: '', t: null },
    {
      device: 'tab\there "q" \\ back\nline é 😀 \u2028',
      value: 1e21,
      n: 123456789012345,
      ok: 1,
      doc: { a: [1, 'x\ty'] },
    },
    { value: 0.000001, n: 1234567890123456789, doc: [1, 2, { b: null }], device: null, Device: 'second' },
    { value: 1e-7, n: 0, ok: null, doc: 'plain', other: { ignored: true } },
    {},
  ];
  assert.ok(same(JSON.stringify(rows)));
  assert.ok(same(JSON.stringify(rows, null, 2)));
  // Number texts JSON.stringify never writes, a repeated key (the last counts), escapes in keys, __proto__.
  assert.ok(
    same(
      '[{"value":1.50,"n":1E2,"d":"2026-01-01"},{"value":-0.0,"n":0.10,"value":2},{"val\\u0075e":3,"dev\\u0069ce":"\\u00e9\\ud83d\\ude00"},' +
        '{"__proto__":{"x":1},"value":12345678901234567890,"n":-12.000},{"timestamp":"2026-01-01T00:00:00.000-00:00","ok":true}]',
    ),
  );
});

test('COPY text from the bytes equals the parsed path on random rows', () => {
  const value = fc.oneof(
    fc.jsonValue({ maxDepth: 2 }),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.integer(),
    fc.constantFrom('', '2026-01-01T00:00:00+01:00', '2026-01-01 00:00:00-0800', '2026-01-01T00:00:00Z', 't'),
  );
  const key = fc.constantFrom('timestamp', 'ts2', 'device', 'Device', 'value', 'n', 'ok', 'd', 't', 'doc', 'x');
  fc.assert(
    fc.property(fc.array(fc.dictionary(key, value, { maxKeys: 8 }), { minLength: 1, maxLength: 20 }), (rows) => {
      assert.ok(same(JSON.stringify(rows)));
    }),
    { numRuns: 300 },
  );
});

test('a number text JSON.stringify would not write (exponents, trailing or leading zeros) is written as parsed', () => {
  const num = fc.stringMatching(/^-?(0|[1-9][0-9]{0,20})(\.[0-9]{1,20})?([eE][+-]?[0-9]{1,3})?$/);
  fc.assert(
    fc.property(num, num, (a, b) => {
      assert.ok(same(`[{"value":${a},"n":${b},"device":${a},"ok":${b},"timestamp":${a}}]`));
    }),
    { numRuns: 2000 },
  );
});

test('bytes that are not UTF-8, a key listed by two columns or named as a property of Object.prototype, or no rows are left to the parsed path', () => {
  const now = new Date();
  const bad = Buffer.concat([Buffer.from('[{"device":"'), Buffer.from([0xff]), Buffer.from('"}]')]);
  assert.equal(copyTextFromBytes(batch(bad), now), undefined);
  assert.equal(copyTextFromBytes(batch('[]'), now), undefined);
  const twice = { ...batch('[{"a":1}]'), columns: [columns[2]!, { ...columns[3]!, keys: ['value', 'device'] }] };
  assert.equal(copyTextFromBytes(twice, now), undefined);
  assert.equal(copyTextFromBytes({ ...batch('[{"a":1}]'), rowsJson: '[{"a":1}]' }, now), undefined);
  for (const k of ['__proto__', 'constructor'])
    assert.equal(
      copyTextFromBytes({ ...batch('[{"a":1}]'), columns: [{ ...columns[2]!, keys: [k] }] }, now),
      undefined,
    );
});

test('the parsed path reads own keys only: a row without `constructor` gives NULL, not the prototype', () => {
  const now = new Date();
  const b = { ...batch('[{"a":1},{"constructor":"x"}]'), columns: [{ ...columns[2]!, keys: ['constructor'] }] };
  const lines = copyText(b, now).text.trimEnd().split('\n');
  assert.equal(lines.length, 2);
  assert.equal(lines[0]!.split('\t').at(-1), '\\N');
  assert.equal(lines[1]!.split('\t').at(-1), 'x');
});
