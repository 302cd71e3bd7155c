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
import { pgSkip, pgUnreachable } from '../../harness/postgres.js';

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

const noPg = await pgUnreachable();

test(
  'PostgreSQL: server-file functions are refused, writes fail read-only, and a query past its timeout is cancelled',
  { skip: pgSkip(noPg) },
  async (t) => {
    const q = await openQuery(
      'test',
      { type: 'psql', ip: '127.0.0.1', port: 5432, user: process.env['PGUSER'] ?? 'postgres', database: 'test' },
      tmpdir(),
      noIdle,
    );
    t.after(() => q.close());
    for (const sql of [
      "select pg_read_file('/etc/passwd')",
      "select * from pg_ls_dir('/etc') as f",
      "select PG_CATALOG.pg_read_binary_file('/etc/passwd')",
      "select lo_export(0, '/tmp/x')",
      // The server's configuration files, through the views over them.
      'select * from pg_hba_file_rules',
      'select * from pg_file_settings',
      'select * from pg_ident_file_mappings',
      'select * from pg_config',
      'select pg_current_logfile()',
    ])
      await assert.rejects(q.run(sql, 5000), (err: unknown) => {
        assert.ok(err instanceof DbmsError, sql);
        assert.equal(err.code, Status.SqlNotSupported, `${sql}: ${err.message}`);
        return true;
      });
    await assert.rejects(
      q.run('with d as (delete from pg_catalog.pg_description where false returning 1) select * from d', 5000),
      /read-only transaction/,
    );
    const t0 = performance.now();
    await assert.rejects(
      q.run('select pg_catalog.count(*) from generate_series(1, 1000000000)', 300),
      (err: unknown) => {
        assert.ok(err instanceof DbmsError);
        assert.equal(err.code, Status.Timeout, err.message);
        return true;
      },
    );
    assert.ok(performance.now() - t0 < 5000);
    assert.deepEqual((await q.run('select 1 + 1 as two', 5000)).rows, [[2]]);
  },
);

test('statements collected by the GC during a long query do not block the thread (the timeout still fires)', async (t) => {
  const q = await openQuery('lab', { type: 'sqlite' }, fixture(t), noIdle);
  t.after(() => q.close());
  // Earlier queries leave statements for V8 to collect; the allocations below make it collect while the long one
  // runs. Finalizing a statement of the running connection would wait for its step: the thread would stop here.
  for (let i = 0; i < 30; i++) await q.run(`select ${i} as i, count(*) from readings`, 5000);
  let ticks = 0;
  let junk: number[][] = [];
  const iv = setInterval(() => {
    ticks++;
    junk = Array.from({ length: 50 }, () => new Array<number>(20_000).fill(ticks));
  }, 20);
  const t0 = performance.now();
  await assert.rejects(
    q.run('with recursive r(n) as (select 1 union all select n + 1 from r) select n from r where n = 1 or n < 0', 2500),
    (err: unknown) => err instanceof DbmsError && err.code === Status.Timeout,
  );
  clearInterval(iv);
  assert.ok(junk.length > 0);
  const ms = performance.now() - t0;
  assert.ok(ms < 6000, `interrupted after ${Math.round(ms)} ms`);
  assert.ok(ticks >= 10, `only ${ticks} timer ticks in ${Math.round(ms)} ms`);
});
