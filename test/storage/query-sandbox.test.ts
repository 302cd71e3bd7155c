// The `sql` command's connections (storage/dbms/query.ts) on a real SQLite file: the sandbox refuses file,
// extension and table-valued functions by the compiled program, whatever the spelling; ordinary EdgeLake queries
// pass with their values and order unchanged; a query past its time is interrupted and the connection goes on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'libsql';
import { openQuery } from '../../storage/dbms/query.js';
import { DbmsError } from '../../base/errors.js';
import { Status } from '../../base/status.js';

function fixture(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'elrt-sandbox-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const db = new Database(join(dir, 'lab.dbms'));
  db.exec(
    "CREATE TABLE readings (ts TEXT, v REAL, n INTEGER, s TEXT); INSERT INTO readings VALUES ('2026-01-01 00:00:01', 0.30000000000000004, 2, 'b'), ('2026-01-01 00:00:02', 1.5, 1, 'a''x'), ('2026-01-01 00:00:03', NULL, 3, NULL)",
  );
  db.close();
  return dir;
}

const noIdle = (err: Error): void => assert.fail(err);

test('file, extension and table-valued functions are refused by the engine in any spelling', async (t) => {
  const dir = fixture(t);
  const q = await openQuery('lab', { type: 'sqlite' }, dir, noIdle);
  t.after(() => q.close());
  const refused = [
    "select cast(readfile('/etc/passwd') as text)",
    'SELECT "ReadFile"(\'/etc/passwd\')',
    "select /* x */ readfile ( '/etc/passwd' ) from readings",
    `select writefile('${join(dir, 'pwned')}', 'x')`,
    "select name from fsdir('/etc')",
    "select * from readings, fsdir('/tmp') as f",
    "select load_extension('/tmp/x.so')",
    'select lsmode(1)',
    "select * from pragma_table_info('readings')",
    'select * from sqlite_dbpage',
    "with r as (select readfile('/etc/hostname') x) select x from r",
    "select (select readfile('/etc/passwd'))",
  ];
  for (const sql of refused) {
    await assert.rejects(q.run(sql, 5000), (err: unknown) => {
      assert.ok(err instanceof DbmsError, sql);
      assert.equal(err.code, Status.SqlNotSupported, `${sql}: ${err.message}`);
      return true;
    });
  }
  assert.equal(existsSync(join(dir, 'pwned')), false);
  // Writes are the engine's refusal too (query_only), and a second statement is refused.
  for (const sql of [
    'insert into readings values (1,1,1,1)',
    'select 1; drop table readings',
    'pragma writable_schema=1',
  ])
    await assert.rejects(q.run(sql, 5000), DbmsError);
});

test('ordinary queries keep their values, types, column names and order', async (t) => {
  const q = await openQuery('lab', { type: 'sqlite' }, fixture(t), noIdle);
  t.after(() => q.close());
  const r = await q.run('select n, v, s, n from readings order by n desc', 5000);
  assert.deepEqual(r.columns, ['n', 'v', 's', 'n']);
  assert.deepEqual(r.rows, [
    [3, null, null, 3],
    [2, 0.30000000000000004, 'b', 2],
    [1, 1.5, "a'x", 1],
  ]);
  const agg = await q.run(
    "select count(*) c, min(ts), max(v), round(avg(n), 2), date(max(ts)), strftime('%H', min(ts)) h from readings",
    5000,
  );
  assert.deepEqual(agg.columns, ['c', 'min(ts)', 'max(v)', 'round(avg(n), 2)', 'date(max(ts))', 'h']);
  assert.deepEqual(agg.rows, [[3, '2026-01-01 00:00:01', 1.5, 2, '2026-01-01', '00']]);
  const win = await q.run('select n, row_number() over (order by n) r from readings where n > 1 limit 5', 5000);
  assert.deepEqual(win.rows, [
    [2, 1],
    [3, 2],
  ]);
});

test('a query past its timeout is interrupted (also one that streams sparse rows) and the connection goes on', async (t) => {
  const q = await openQuery('lab', { type: 'sqlite' }, fixture(t), noIdle);
  t.after(() => q.close());
  const endless = [
    'with recursive r(n) as (select 1 union all select n + 1 from r) select count(*) from r',
    // The first row comes at once, the next never: without materializing, the later steps would block the thread.
    'with recursive r(n) as (select 1 union all select n + 1 from r) select n from r where n = 1 or n < 0',
  ];
  for (let i = 0; i < 6; i++) {
    const t0 = performance.now();
    let ticks = 0;
    const iv = setInterval(() => ticks++, 20);
    await assert.rejects(q.run(endless[i % 2]!, 300), (err: unknown) => {
      assert.ok(err instanceof DbmsError);
      assert.equal(err.code, Status.Timeout, err.message);
      return true;
    });
    clearInterval(iv);
    const ms = performance.now() - t0;
    assert.ok(ms < 3000, `interrupted after ${Math.round(ms)} ms`);
    // The thread stayed free while the query ran: timers fired.
    assert.ok(ticks >= 5, `only ${ticks} timer ticks during the query`);
    assert.deepEqual((await q.run('select count(*) from readings', 5000)).rows, [[3]]);
  }
});
