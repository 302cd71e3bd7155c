// Rows as UTF-8 bytes (protocols/frames/json-bytes.ts): well-formed bytes pass untouched, anything a SQLite read
// could not take back becomes U+FFFD; array texts concatenate without a parse; SQLite's json_each reads the bytes
// through a cast; a journal written with string rows is read back as bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open } from 'lmdb';
import { SqliteAdapter } from '../../storage/dbms/sqlite.js';
import { Journal } from '../../storage/journal/journal.js';
import { concatJsonArrayBytes, rowsText, wellFormedBytes } from '../../protocols/frames/json-bytes.js';

test('well-formed bytes are passed on as the same buffer, not copied', () => {
  const b = Buffer.from('[{"a":"\u00e9\ud83d\ude00","b":"x\\ny"}]');
  assert.equal(wellFormedBytes(b), b);
  const paired = Buffer.from('[{"a":"\\ud83d\\ude00"}]');
  assert.equal(wellFormedBytes(paired), paired, 'an escaped surrogate pair is kept');
});

test('lone surrogates, escaped or as bytes, and invalid UTF-8 become U+FFFD', () => {
  const cases: [Buffer, unknown][] = [
    [Buffer.from('[{"a":"\\ud800x"}]'), [{ a: '\ufffdx' }]],
    [Buffer.from('[{"\\uDC00":1}]'), [{ '\ufffd': 1 }]],
    // ED A0 80 is U+D800 encoded as if it were a character: not UTF-8.
    [Buffer.concat([Buffer.from('[{"a":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}]')]), null],
    [Buffer.concat([Buffer.from('[{"a":"'), Buffer.from([0xff, 0x41]), Buffer.from('"}]')]), [{ a: '\ufffdA' }]],
  ];
  for (const [input, want] of cases) {
    const out = wellFormedBytes(input);
    assert.notEqual(out, input);
    const text = out.toString('utf8');
    assert.equal(Buffer.from(text, 'utf8').equals(out), true, 'valid UTF-8 out');
    assert.doesNotMatch(text, /\\u[dD][89a-fA-F]/);
    const v = JSON.parse(text) as { a?: string }[];
    if (want) assert.deepEqual(v, want);
    else assert.match(v[0]!.a!, /^\ufffd+$/);
  }
  assert.deepEqual(JSON.parse(wellFormedBytes('[{"a":"\ud800"}]').toString()), [{ a: '\ufffd' }]);
});

test('array texts are concatenated as bytes, whitespace and empty arrays allowed', () => {
  const out = concatJsonArrayBytes([
    Buffer.from(' [ {"a":1} , {"a":2} ]\n'),
    Buffer.from('[]'),
    new Uint8Array(Buffer.from('[{"a":"]"}]')),
  ]);
  assert.deepEqual(JSON.parse(rowsText(out)), [{ a: 1 }, { a: 2 }, { a: ']' }]);
  assert.equal(rowsText(concatJsonArrayBytes([Buffer.from('[]'), Buffer.from(' [ ] ')])), '[]');
  assert.throws(() => concatJsonArrayBytes([Buffer.from('{"a":1}'), Buffer.from('[]')]));
});

test('SQLite inserts rows given as bytes; the values read back as they were sent', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'elrt-jb-'));
  const db = new SqliteAdapter('t', join(dir, 't.dbms'));
  t.after(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await db.execDDL(['CREATE TABLE r (insert_timestamp text, tsd_name text, tsd_id int, a text, n int)']);
  const col = (name: string) => ({ name, keys: [name], type: 'varchar', notNull: false });
  const rows = wellFormedBytes(Buffer.from('[{"a":"\u00e9\\ud800","n":1},{"a":"z","n":2}]'));
  const n = await db.write(
    [
      {
        table: 'r',
        columns: [col('a'), col('n')],
        rowsJson: rows,
        rowCount: 2,
        insertTimestamp: 'x',
        tsdName: '0',
        tsdId: 0,
      },
    ],
    [],
    [],
  );
  assert.equal(n, 2);
  const back = await db.select('select a, n from r order by n');
  assert.deepEqual(back.rows, [
    ['\u00e9\ufffd', 1],
    ['z', 2],
  ]);
});

test('a journal entry stored with string rows (before bytes) is read back as bytes', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'elrt-jb-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const old = open({ path: dir, maxDbs: 4 });
  await old.openDB({ name: 'entries' }).put(['d', 't', 's', 1], { rows: '[{"a":1}]', count: 1, keys: ['a'], at: 1 });
  await old.openDB({ name: 'counters' }).put(['d', 't', 's'], 1);
  await old.close();
  const j = Journal.open(dir);
  t.after(() => j.close());
  const e = j.get('d', 't', 's', 1)!;
  assert.ok(e.rows instanceof Uint8Array);
  assert.equal(rowsText(e.rows), '[{"a":1}]');
  assert.equal(rowsText([...j.scan()][0]!.rows), '[{"a":1}]');
  const w = j.writer('s');
  const { entry, durable } = w.append('d', 't', Buffer.from('[{"a":2}]'), 1, ['a']);
  await durable;
  assert.equal(entry.seq, 2);
  assert.deepEqual(
    [...j.range('d', 't', 's', 1, 2)].map((x) => rowsText(x.rows)),
    ['[{"a":1}]', '[{"a":2}]'],
  );
});
