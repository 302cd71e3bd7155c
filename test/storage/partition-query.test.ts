// A query on a partitioned table reads its partitions too (storage/dbms/partition-query.ts), on a real SQLite file
// through the query sandbox: aliases, joins, qualified columns, strings and other tables are left as they mean.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'libsql';
import { openQuery } from '../../storage/dbms/query.js';
import { sandboxedCatalog, withPartitions } from '../../storage/dbms/partition-query.js';

test('FROM/JOIN of a partitioned table read the table and its partitions; the rest is untouched', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'elrt-parq-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const db = new Database(join(dir, 'lab.dbms'));
  db.exec(
    [
      'CREATE TABLE t (ts TEXT, v INTEGER, w TEXT)',
      "INSERT INTO t VALUES ('2026-01-01', 1, 'p')",
      // An older partition lacks w (the parent was widened after it was last written).
      'CREATE TABLE par_t_2026_01_00_d14_ts (ts TEXT, v INTEGER)',
      "INSERT INTO par_t_2026_01_00_d14_ts VALUES ('2026-01-02', 2), ('2026-01-03', 3)",
      'CREATE TABLE par_t_2026_01_01_d14_ts (ts TEXT, v INTEGER, w TEXT)',
      "INSERT INTO par_t_2026_01_01_d14_ts VALUES ('2026-01-20', 20, 'x')",
      'CREATE TABLE other (v INTEGER, label TEXT)',
      "INSERT INTO other VALUES (2, 'two'), (20, 'twenty')",
      // Not a partition of t: a table whose name only starts alike.
      'CREATE TABLE par_tx (v INTEGER)',
    ].join(';'),
  );
  db.close();
  const q = await openQuery('lab', { type: 'sqlite' }, dir, (err) => assert.fail(err));
  t.after(() => q.close());
  // The query pool's path: the catalog read on the query's own connection (sqlite-query.ts).
  const run = async (sql: string): Promise<unknown[][]> =>
    (await q.runRewritten!(sql, 5000, (read) => withPartitions(read, 'sqlite', sql))).rows;

  assert.deepEqual(await run('select count(*) from t'), [[4]]);
  assert.deepEqual(await run("SELECT sum(v) FROM T WHERE ts >= '2026-01-02'"), [[25]]);
  assert.deepEqual(await run('select count(w) from t'), [[2]]);
  assert.deepEqual(await run('select x.v from t x where x.v > 2 order by x.v'), [[3], [20]]);
  assert.deepEqual(await run('select t.v from t as t where t.v = 20'), [[20]]);
  assert.deepEqual(await run('select o.label from other o join t on t.v = o.v order by o.v'), [['two'], ['twenty']]);
  // A string that reads like a FROM, and a table without partitions, are left as they are.
  const plain = "select 'from t' as s, count(*) from other";
  assert.equal(await withPartitions(sandboxedCatalog(q, 'sqlite', 5000), 'sqlite', plain), plain);
  // The sandboxed catalog read (PostgreSQL's way) rewrites the same.
  const viaSandbox = await withPartitions(sandboxedCatalog(q, 'sqlite', 5000), 'sqlite', 'select count(*) from t');
  assert.deepEqual((await q.run(viaSandbox, 5000)).rows, [[4]]);
  assert.deepEqual(await run(plain), [['from t', 2]]);
  assert.deepEqual(await run('select count(*) from par_t_2026_01_00_d14_ts'), [[2]]);
});
