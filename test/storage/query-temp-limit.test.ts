// A query's temporary files are bounded (storage/dbms/sqlite-temp.ts, the query pool's `max_temp_mb`): a cross join
// sorted by `sql` grew one SQLite temp file by 150-400 MB a second until the query's timeout (30 s by default), and
// nothing in SQLite stops it (temp.max_page_count does not apply to the sorter's or the materialized result's files).
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
