// A query's temporary files are bounded (storage/dbms/sqlite-temp.ts, the query pool's `max_temp_mb`): a cross join
// sorted by `sql` grew one SQLite temp file by 150-400 MB a second until the query's timeout (30 s by default), and
// nothing in SQLite stops it (temp.max_page_count does not apply to the sorter's or the materialized result's files).
// On PostgreSQL the server's temp_file_limit does, set per query for a superuser role (storage/dbms/pg-query.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'libsql';
import { openQuery } from '../../storage/dbms/query.js';
import { canMeasureSqliteTemp, sqliteTempBytes } from '../../storage/dbms/sqlite-temp.js';
import { DbmsError } from '../../base/errors.js';
import { Status } from '../../base/status.js';
import { until } from '../../harness/test-node.js';
import { PG_USER, pgClient, pgSkip, pgUnreachable } from '../../harness/postgres.js';

const MB = 1024 * 1024;

function fixture(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'elrt-temp-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const db = new Database(join(dir, 'lab.dbms'));
  // 300 rows of ~60 bytes; three of them cross joined: 27M rows, several GB sorted.
  db.exec(
    "CREATE TABLE t (i INTEGER, s TEXT); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300) INSERT INTO t SELECT i, printf('%.50c%d', 'x', i) FROM n",
  );
  db.close();
  return dir;
}

test(
  'a query whose temp files pass max_temp_mb fails alone with error 9, its files go, and the connection goes on',
  { skip: canMeasureSqliteTemp() ? false : 'no /proc/self/fd here: the temp files are not measured' },
  async (t) => {
    const dir = fixture(t);
    const q = await openQuery('lab', { type: 'sqlite' }, dir, (err) => assert.fail(err), 64 * MB, 32 * MB);
    t.after(() => q.close());
    for (const sql of [
      'select * from t a, t b, t c order by a.s, b.s, c.s',
      // No sort: the materialized result (sqlite-sandbox.ts) is the file that grows.
      'select * from t a, t b, t c',
    ]) {
      const t0 = performance.now();
      await assert.rejects(q.run(sql, 20_000), (err: unknown) => {
        assert.ok(err instanceof DbmsError);
        assert.equal(err.code, Status.DataSizeLargerThanBuffer, err.message);
        assert.match(err.message, /temporary files passed 32 MB \(the query pool's max_temp_mb\)/);
        return true;
      });
      // Stopped near the bound, well before the query's timeout.
      assert.ok(performance.now() - t0 < 10_000, `${sql}: ${performance.now() - t0} ms`);
      // The interrupted statement's files are closed with its connection.
      assert.equal(sqliteTempBytes(), 0);
    }
    assert.deepEqual((await q.run('select count(*) from t', 5000)).rows, [[300]]);
    // A sort that fits runs as before.
    assert.equal((await q.run('select a.i from t a, t b order by a.s desc, b.s', 20_000)).rows.length, 90_000);
  },
);

test(
  "a query started after another one's temp files were opened does not answer for them",
  { skip: canMeasureSqliteTemp() ? false : 'no /proc/self/fd here: the temp files are not measured' },
  async (t) => {
    const dir = fixture(t);
    const big = await openQuery('lab', { type: 'sqlite' }, dir, (err) => assert.fail(err), 64 * MB, 256 * MB);
    // Its bound is passed by the other query's files alone while it runs.
    const other = await openQuery('lab', { type: 'sqlite' }, dir, (err) => assert.fail(err), 64 * MB, 32 * MB);
    t.after(async () => {
      await big.close();
      await other.close();
    });
    const runaway = big.run('select * from t a, t b, t c order by a.s, b.s, c.s', 20_000).then(
      () => assert.fail('the runaway query ended'),
      (err: unknown) => err,
    );
    // The runaway query's file is open (and growing) before the other starts.
    await until(() => sqliteTempBytes() > 0, 10_000, 10);
    // Half a second of work or more, with no temp file of its own.
    const counted = await other.run(
      'with recursive r(n) as (select 1 union all select n + 1 from r where n < 5000000) select count(*) from r',
      20_000,
    );
    assert.deepEqual(counted.rows, [[5_000_000]]);
    const err = await runaway;
    assert.ok(err instanceof DbmsError && err.code === Status.DataSizeLargerThanBuffer, String(err));
  },
);

const pgWhy = await pgUnreachable();

test(
  "PostgreSQL: a query whose temp files pass max_temp_mb is cancelled by the server's temp_file_limit with error 9",
  { skip: pgSkip(pgWhy) },
  async (t) => {
    const table = `elrt_temp_${process.pid}`;
    const admin = pgClient();
    await admin.connect();
    t.after(async () => {
      await admin.query(`DROP TABLE IF EXISTS ${table}`);
      await admin.end();
    });
    await admin.query(
      `CREATE TABLE ${table} AS SELECT i, repeat('x', 50) || i AS s FROM generate_series(1, 300) AS g(i)`,
    );
    const q = await openQuery(
      'test',
      { type: 'psql', ip: '127.0.0.1', port: 5432, user: PG_USER, database: 'test' },
      '',
      (err) => assert.fail(err),
      64 * MB,
      32 * MB,
    );
    t.after(() => q.close());
    const t0 = performance.now();
    // 27M joined rows sorted for the distinct count; one row out.
    await assert.rejects(
      q.run(`select count(distinct a.s || b.s || c.s) from ${table} a, ${table} b, ${table} c`, 10_000),
      (err: unknown) => {
        assert.ok(err instanceof DbmsError);
        assert.equal(err.code, Status.DataSizeLargerThanBuffer, err.message);
        assert.match(err.message, /passed 32 MB \(the query pool's max_temp_mb, PostgreSQL's temp_file_limit\)/);
        return true;
      },
    );
    assert.ok(performance.now() - t0 < 8000, `${performance.now() - t0} ms`);
    assert.deepEqual((await q.run(`select count(*)::int from ${table}`, 5000)).rows, [[300]]);
  },
);
