// Rows that cannot be stored as sent (issue 12, items 1 and 3): a lone UTF-16 surrogate, a row nested
// 100,000 deep, a reserved table name. Each is handled at the door or goes to the error directory
// after bounded attempts, and the table keeps taking rows; the idle node then costs ~no CPU.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REST_NODE, http, startTestNode, until, type TestNode } from '../../harness/test-node.js';
import { Journal } from '../../storage/journal/journal.js';
import { parsePrometheusText, valueOf } from '../observe/prom-text.js';

const PUT = { type: 'json', dbms: 'test', mode: 'streaming' };

async function query(n: TestNode, q: string): Promise<Record<string, unknown>[]> {
  return (JSON.parse(await n.cmd(`sql test format = json "${q}"`)) as { Query: Record<string, unknown>[] }).Query;
}

async function count(n: TestNode, table: string): Promise<number> {
  try {
    return Number((await query(n, `select count(*) as n from ${table}`))[0]!['n']);
  } catch (err) {
    if (/no such table/.test((err as Error).message)) return 0;
    throw err;
  }
}

const errorFiles = (n: TestNode): string[] =>
  existsSync(join(n.root, 'data', 'error')) ? readdirSync(join(n.root, 'data', 'error')).sort() : [];

test('a lone surrogate in a PUT or a watch-dir file is stored as U+FFFD and reads back through sql', async (t) => {
  const n = await startTestNode(REST_NODE());
  t.after(() => n.stop());
  // The body: before, the next `sql` reading it aborted the whole process (a panic in libsql).
  const r = await http(n.port, 'PUT', { ...PUT, table: 'uni' }, '[{"a":"\\ud800x","b":1}]');
  assert.equal(r.status, 200, r.body);
  // A lone low surrogate in a key, and a valid pair, in a second PUT.
  const r2 = await http(n.port, 'PUT', { ...PUT, table: 'uni' }, '{"a":"\\ud83d\\ude00","b":2}');
  assert.equal(r2.status, 200, r2.body);
  await until(async () => (await count(n, 'uni')) === 2);
  assert.deepEqual(await query(n, 'select a, b from uni order by b'), [
    { a: '\ufffdx', b: 1 },
    { a: '\u{1f600}', b: 2 },
  ]);
  writeFileSync(join(n.root, 'data', 'watch', 'test.uni_file.json'), '{"a":"y\\udc00","b":3}\n');
  await until(async () => (await count(n, 'uni_file')) === 1);
  assert.deepEqual(await query(n, 'select a, b from uni_file'), [{ a: 'y\ufffd', b: 3 }]);
  // A file-mode PUT writes the value as Python's json.dumps would (`\ud800` escaped) and the file is read the same way.
  const r3 = await http(n.port, 'PUT', { ...PUT, mode: 'file', table: 'uni_put_file' }, '[{"a":"z\ud800","b":4}]');
  assert.equal(r3.status, 200, r3.body);
  await until(async () => (await count(n, 'uni_put_file')) === 1);
  assert.deepEqual(await query(n, 'select a, b from uni_put_file'), [{ a: 'z\ufffd', b: 4 }]);
});

test('a PUT to an engine table (sqlite_master, pg_class) is refused with 400 and nothing is journaled', async (t) => {
  const n = await startTestNode(REST_NODE());
  t.after(() => n.stop());
  for (const table of ['sqlite_master', 'SQLITE_SCHEMA', 'pg_class', '_edgelake_rt_journal']) {
    for (const mode of ['streaming', 'file']) {
      const r = await http(n.port, 'PUT', { ...PUT, mode, table }, '[{"a":1}]');
      assert.equal(r.status, 400, `${table} ${mode}: ${r.body}`);
      assert.match(JSON.parse(r.body).err_text as string, /is reserved/);
    }
  }
  const ok = await http(n.port, 'PUT', { ...PUT, table: 'sqlite_friends' }, '[{"a":1}]');
  assert.equal(ok.status, 400, 'sqlite_* is the engine prefix, whatever follows');
  const fine = await http(n.port, 'PUT', { ...PUT, table: 'my_sqlite_master' }, '[{"a":1}]');
  assert.equal(fine.status, 200);
  await until(async () => (await count(n, 'my_sqlite_master')) === 1);
  const journal = Journal.open(join(n.root, 'journal'));
  t.after(() => journal.close());
  const tables = [...journal.keys()].map((k) => k.table);
  assert.deepEqual(
    tables.filter((x) => x !== 'my_sqlite_master'),
    [],
  );
  assert.deepEqual(readdirSync(join(n.root, 'data', 'watch')), []);
  // The watch dir is a door too: such a file goes to the error dir with its reason.
  writeFileSync(join(n.root, 'data', 'watch', 'test.sqlite_master.json'), '{"a":1}\n');
  await until(() => errorFiles(n).some((f) => f.includes('sqlite_master') && f.endsWith('.reason.txt')));
  const reason = errorFiles(n).find((f) => f.includes('sqlite_master') && f.endsWith('.reason.txt'))!;
  assert.match(readFileSync(join(n.root, 'data', 'error', reason), 'utf8'), /reserved/);
});

test('a poison batch goes to the error dir with a reason after bounded attempts; the table takes later rows; idle CPU stays low', async (t) => {
  const n = await startTestNode(REST_NODE());
  t.after(() => n.stop());
  const ok1 = await http(n.port, 'PUT', { ...PUT, table: 'p' }, '[{"id":1,"v":"a"}]');
  assert.equal(ok1.status, 200);
  await until(async () => (await count(n, 'p')) === 1);
  // 100,000 nested objects: valid JSON, acknowledged, but no engine can store it (SQLite's JSON
  // reader stops at depth 1000; JSON.stringify overflows the stack).
  const deep = `[{"id":2,"v":${'{"x":'.repeat(100_000)}1${'}'.repeat(100_000)}}]`;
  const poison = await http(n.port, 'PUT', { ...PUT, table: 'p' }, deep);
  assert.equal(poison.status, 200, poison.body);
  const ok2 = await http(n.port, 'PUT', { ...PUT, table: 'p' }, '[{"id":3,"v":"c"}]');
  assert.equal(ok2.status, 200);
  // Rows journaled for a reserved table before the doors refused them (written here past the door).
  const journal = Journal.open(join(n.root, 'journal'));
  const { durable } = journal.writer('old-producer').append('test', 'sqlite_master', '[{"a":1}]', 1, ['a']);
  await durable;
  await journal.close();
  await until(async () => (await count(n, 'p')) === 2, 15_000);
  assert.deepEqual(await query(n, 'select id from p order by id'), [{ id: 1 }, { id: 3 }]);
  await until(() => errorFiles(n).filter((f) => f.endsWith('.reason.txt')).length === 2, 15_000);
  const files = errorFiles(n);
  const deepFile = files.find((f) => f.startsWith('test.p.') && f.endsWith('.json'))!;
  assert.ok(deepFile, files.join(', '));
  assert.ok(files.includes(`${deepFile}.reason.txt`));
  const reason = readFileSync(join(n.root, 'data', 'error', `${deepFile}.reason.txt`), 'utf8');
  assert.match(reason, /3 attempts/);
  assert.ok(readFileSync(join(n.root, 'data', 'error', deepFile), 'utf8').startsWith('[{"id":2,'));
  const refused = files.find((f) => f.startsWith('test.sqlite_master.') && f.endsWith('.json'))!;
  assert.match(readFileSync(join(n.root, 'data', 'error', `${refused}.reason.txt`), 'utf8'), /reserved.*1 attempt\)/s);
  // The table is not blocked: more rows land, nothing waits for a retry, the journal drains.
  const ok3 = await http(n.port, 'PUT', { ...PUT, table: 'p' }, '[{"id":4,"v":"d"}]');
  assert.equal(ok3.status, 200);
  await until(async () => (await count(n, 'p')) === 3);
  assert.match(await n.cmd('get operator retry'), /No table waits for a retry/);
  // Nothing is left to retry: the journal's periodic pass finds no entry unapplied (a poison entry retried for ever,
  // as before, stayed unapplied and was read again every second).
  await until(async () => {
    const m = parsePrometheusText((await http(n.port, 'GET', {}, undefined, '/metrics')).body);
    return valueOf(m, 'edgelake_rt_journal_unapplied_entries') === 0;
  }, 10_000);
  // Idle: the retry loop is over, so the whole process (main thread and every worker) sleeps.
  // (after a settle: the 100,000-deep row left garbage for the collectors of several threads)
  await new Promise((r) => setTimeout(r, 3000));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, 3000));
  const used = process.cpuUsage(cpu0);
  const share = (used.user + used.system) / 1000 / (performance.now() - t0);
  t.diagnostic(`idle CPU over 3 s: ${(share * 100).toFixed(2)}% of one core`);
  // A retry loop that spins takes a whole core. The bound leaves room for what this in-process test node costs
  // beside the node itself (tsx's loader threads, the test runner; each worker's once-a-second metrics report):
  // 1-11% measured here, where the compiled node (`edgelake-rt start`) idles at 0.5% of a core with the same
  // services (10 s of /proc/<pid>/stat ticks).
  assert.ok(share < 0.2, `idle node uses ${(share * 100).toFixed(1)}% of a core`);
});
