// The operator on files dropped into its watch directory, with EdgeLake's file names and options.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { startTestNode, until, type TestNode, tableCount } from '../../harness/test-node.js';

const NODE = (operator: string, extraDbms = '') =>
  `node:\n  name: op-node\ndbms:\n  test:\n    type: sqlite\n${extraDbms}services:\n  operator: ${operator}\n`;

/** Files below `dir` (relative paths), without the ones a move is still writing (`*.part`). */
function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)).map((f) => `${e.name}/${f}`) : e.name.endsWith('.part') ? [] : [e.name],
  );
}

const dir = (n: TestNode, d: string): string => join(n.root, 'data', d);
const line = (o: unknown): string => JSON.stringify(o);

test("a JSON file lands in a new table with EdgeLake's inferred types and moves to archive/yy/mm/dd", async (t) => {
  const n = await startTestNode(NODE('{}'));
  t.after(() => n.stop());
  const rows = [
    { timestamp: '2024-05-01T10:00:00.000000Z', device: 'Dev-1', value: 21.5, count: 3, ok: true, 'Temp C': 1 },
    { timestamp: '2024-05-01T10:00:01.000000Z', device: 'Dev-2', value: 22, count: 4, ok: false, 'Temp C': 2 },
  ];
  writeFileSync(join(dir(n, 'watch'), 'test.readings.0.0.0.json'), rows.map(line).join('\n') + '\n');
  await until(async () => (await tableCount(n, 'readings')) === 2);
  const cols = JSON.parse(
    await n.cmd('get columns where dbms = test and table = readings and format = json'),
  ) as Record<string, string>;
  // EdgeLake interop vector 8 (types as SQLite stores them)
  assert.deepEqual(cols, {
    row_id: 'integer',
    insert_timestamp: 'timestamp',
    tsd_name: 'char(3)',
    tsd_id: 'int',
    timestamp: 'timestamp',
    device: 'char(5)',
    value: 'decimal',
    count: 'int',
    ok: 'boolean',
    temp_c: 'int',
  });
  // Archiving runs after the commit, in the background: the copy lands, then the claimed file goes.
  await until(() => files(dir(n, 'archive')).length === 1 && files(dir(n, 'watch')).length === 0);
  const [archived] = files(dir(n, 'archive'));
  assert.match(archived!, /^\d\d\/\d\d\/\d\d\/test\.readings\.0\.0\.0\.0\.\d+\.\d{12}\.json\.gz$/);
  const q = JSON.parse(await n.cmd('sql test format = json "select device, temp_c from readings order by device"')) as {
    Query: unknown[];
  };
  assert.deepEqual(q.Query, [
    { device: 'Dev-1', temp_c: 1 },
    { device: 'Dev-2', temp_c: 2 },
  ]);
});

test('a malformed file goes to the error directory with a reason file and the operator keeps going', async (t) => {
  const n = await startTestNode(NODE('{}'));
  t.after(() => n.stop());
  writeFileSync(join(dir(n, 'watch'), 'test.bad.json'), '{"a": 1}\n{"a": \n');
  writeFileSync(join(dir(n, 'watch'), 'nodots.json'), '{"a": 1}\n');
  writeFileSync(join(dir(n, 'watch'), 'test.binary.json'), Buffer.from([0, 1, 2, 255, 254, 10, 0]));
  await until(() => files(dir(n, 'error')).filter((f) => f.endsWith('.json')).length === 3);
  const errs = files(dir(n, 'error'));
  const bad = errs.find((f) => f.startsWith('test.bad.') && f.endsWith('.json'))!;
  assert.match(bad, /^test\.bad\.0\.0\.0\.0\.\d+\.\d{12}\.err_67\.\d+\.json$/);
  assert.match(readFileSync(join(dir(n, 'error'), `${bad}.reason.txt`), 'utf8'), /error 67: .*line 2/);
  const name = errs.find((f) => f.startsWith('nodots.') && f.endsWith('.json'))!;
  assert.match(name, /\.err_119\./);
  assert.match(readFileSync(join(dir(n, 'error'), `${name}.reason.txt`), 'utf8'), /error 119/);
  assert.ok(errs.some((f) => f.startsWith('test.binary.') && f.includes('err_67')));
  // Still alive and ingesting.
  writeFileSync(join(dir(n, 'watch'), 'test.good.json'), '{"a": 1}\n');
  await until(async () => (await tableCount(n, 'good')) === 1);
  const errStats = JSON.parse(await n.cmd('get operator error where format = json')) as {
    Type: string;
    Counter: number;
  }[];
  assert.equal(errStats.find((e) => e.Type === 'JSON Errors')!.Counter, 3);
});

test('create_table = false refuses unknown tables (171) and dbms not connected is 10', async (t) => {
  const n = await startTestNode(NODE('{ create_table: false }'));
  t.after(() => n.stop());
  writeFileSync(join(dir(n, 'watch'), 'test.nope.json'), '{"a": 1}\n');
  writeFileSync(join(dir(n, 'watch'), 'other.t.json'), '{"a": 1}\n');
  await until(() => files(dir(n, 'error')).filter((f) => f.endsWith('.json')).length === 2);
  const errs = files(dir(n, 'error'));
  assert.ok(
    errs.some((f) => f.startsWith('test.nope.') && f.includes('.err_171.')),
    errs.join(),
  );
  assert.ok(
    errs.some((f) => f.startsWith('other.t.') && f.includes('.err_10.')),
    errs.join(),
  );
});

test('archive_json = false with compress_json moves to bkup as .gz; delete_json deletes; distributor copies to distr', async (t) => {
  const n = await startTestNode(NODE('{ archive_json: false, compress_json: true, distributor: true }'));
  t.after(() => n.stop());
  writeFileSync(join(dir(n, 'watch'), 'test.b1.json'), '{"a": 1}\n');
  await until(() => files(dir(n, 'bkup')).length === 1);
  assert.match(files(dir(n, 'bkup'))[0]!, /^test\.b1\.0\.0\.0\.0\.\d+\.\d{12}\.json\.\d+\.gz$/);
  assert.equal(files(dir(n, 'distr')).length, 1);
  assert.equal(files(dir(n, 'archive')).length, 0);
});

test('delete_json = true deletes a processed file when it is not archived', async (t) => {
  const n = await startTestNode(NODE('{ archive_json: false, delete_json: true, compress_json: false }'));
  t.after(() => n.stop());
  writeFileSync(join(dir(n, 'watch'), 'test.d1.json'), '{"a": 1}\n');
  await until(async () => (await tableCount(n, 'd1')) === 1);
  await until(() => files(dir(n, 'watch')).length === 0);
  assert.deepEqual([...files(dir(n, 'bkup')), ...files(dir(n, 'archive'))], []);
});

test('limit_tables leaves files of other tables alone; .gz files are decompressed and ingested', async (t) => {
  const n = await startTestNode(NODE('{ limit_tables: [a1, a2], compress_json: false }'));
  t.after(() => n.stop());
  writeFileSync(join(dir(n, 'watch'), 'test.skip.json'), '{"a": 1}\n');
  writeFileSync(join(dir(n, 'watch'), 'test.a1.json.gz'), gzipSync('{"a": 1}\n{"a": 2}\n'));
  await until(async () => (await tableCount(n, 'a1')) === 2);
  await new Promise((r) => setTimeout(r, 300));
  assert.ok(files(dir(n, 'watch')).includes('test.skip.json'));
  await until(() => files(dir(n, 'archive')).some((f) => f.endsWith('.json')));
});

test('update_tsd_info records every file in almgm.tsd_info and names rows by member and file id', async (t) => {
  const n = await startTestNode(NODE('{ update_tsd_info: true }'));
  t.after(() => n.stop());
  writeFileSync(join(dir(n, 'watch'), 'test.tsd.0.0.0.json'), '{"a": 1}\n{"a": 2}\n');
  await until(async () => (await tableCount(n, 'tsd')) === 2);
  await until(async () => {
    const q = JSON.parse(await n.cmd('sql almgm format = json "select dbms_name, table_name, rows from tsd_info"')) as {
      Query: { rows: number }[];
    };
    return q.Query.length === 1 && q.Query[0]!.rows === 2;
  });
  const q = JSON.parse(await n.cmd('sql test format = json "select distinct tsd_name, tsd_id from tsd"')) as {
    Query: { tsd_name: string; tsd_id: number }[];
  };
  assert.deepEqual(q.Query, [{ tsd_name: '0', tsd_id: 1 }]);
  const hash = (
    JSON.parse(await n.cmd('sql almgm format = json "select file_hash from tsd_info"')) as {
      Query: { file_hash: string }[];
    }
  ).Query[0]!.file_hash;
  assert.match(hash, /^[0-9a-f]{32}$/);
  // The same content again is a duplicate file for tsd_info (EdgeLake error 86).
  writeFileSync(join(dir(n, 'watch'), 'test.tsd.0.0.0.json'), '{"a": 1}\n{"a": 2}\n');
  await until(() => files(dir(n, 'error')).some((f) => f.includes('.err_86.')));
});

test('an SQL file of INSERTs into its table runs; any other statement sends it to the error directory', async (t) => {
  const n = await startTestNode(NODE('{}'));
  t.after(() => n.stop());
  writeFileSync(join(dir(n, 'watch'), 'test.s.json'), '{"a": 1}\n');
  await until(async () => (await tableCount(n, 's')) === 1);
  writeFileSync(
    join(dir(n, 'watch'), 'test.s.0.0.0.0.sql'),
    'INSERT INTO s (a) VALUES (5);\nINSERT INTO s (a) VALUES (6);\n',
  );
  await until(async () => (await tableCount(n, 's')) === 3);
  writeFileSync(join(dir(n, 'watch'), 'test.s.0.0.0.1.sql'), 'DROP TABLE s;\n');
  await until(() => files(dir(n, 'error')).some((f) => f.includes('.err_16.')));
  assert.equal(await tableCount(n, 's'), 3);
});

test('a big file is read as a stream in chunks and every row lands once', async (t) => {
  const n = await startTestNode(NODE('{ compress_json: false }'));
  t.after(() => n.stop());
  const lines = Array.from({ length: 25_000 }, (_, i) =>
    line({ ts: new Date(1e12 + i).toISOString(), id: i, v: i % 13 }),
  );
  writeFileSync(join(dir(n, 'watch'), 'test.big.json'), lines.join('\n') + '\n');
  await until(async () => (await tableCount(n, 'big')) === 25_000, 30_000, 100);
  const d = JSON.parse(await n.cmd('sql test format = json "select count(distinct id) as n from big"')) as {
    Query: { n: number }[];
  };
  assert.equal(d.Query[0]!.n, 25_000);
  const ins = JSON.parse(await n.cmd('get operator inserts where format = json')) as Record<
    string,
    Record<string, { 'Batch inserts': number }>
  >;
  assert.ok(ins['test']!['big']!['Batch inserts'] >= 3, 'inserted in several chunks');
});
