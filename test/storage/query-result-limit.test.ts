// A query's result is bounded (storage/dbms/query.ts `ResultBudget`): the rows are counted as they are read, and a
// result past the limit fails with error 9 before the rest is held. One `sql` by REST of 200,000 rows of 2 KB took
// the node from 150 MB to 1.9 GB RSS (the rows on the query worker, their copy on the main thread, the JSON reply);
// a few more rows and the whole process would have been killed for memory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'libsql';
import { openQuery } from '../../storage/dbms/query.js';
import { DbmsError } from '../../base/errors.js';
import { Status } from '../../base/status.js';

const MB = 1024 * 1024;

function fixture(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'elrt-result-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const db = new Database(join(dir, 'lab.dbms'));
  // 300 rows of 1 KB: 300 KB; joined with itself, 180 MB.
  db.exec(
    "CREATE TABLE big (i INTEGER, s TEXT); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300) INSERT INTO big SELECT i, printf('%.1000c', 'x') FROM n",
  );
  db.close();
  return dir;
}

test('a result over the limit fails with error 9; one under it is returned whole, and the connection goes on', async (t) => {
  const dir = fixture(t);
  const q = await openQuery('lab', { type: 'sqlite' }, dir, (err) => assert.fail(err), 2 * MB);
  t.after(() => q.close());
  const whole = await q.run('select i, s from big', 5000);
  assert.equal(whole.rows.length, 300);
  const t0 = performance.now();
  await assert.rejects(q.run('select a.s, b.s from big a, big b', 30_000), (err: unknown) => {
    assert.ok(err instanceof DbmsError);
    assert.equal(err.code, Status.DataSizeLargerThanBuffer, err.message);
    assert.match(err.message, /max_result_mb/);
    return true;
  });
  // It stops at the limit, not after reading all 180 MB.
  assert.ok(performance.now() - t0 < 10_000);
  assert.deepEqual((await q.run('select count(*) from big', 5000)).rows, [[300]]);
});
