// A query's SQLite connection gives its page cache back when the query settles (storage/dbms/sqlite-query.ts
// `release`). libsql-js closes a connection only when V8 collects the last statement prepared on it, so a query
// worker whose heap stays level kept every closed connection's page cache (up to 2 MB, filled by the query's scan)
// until a full collection, minutes later; in a soak those caches, freed in whatever order V8 found them, were part
// of what held the node's native memory (bench/README.md soak). Measured as the bytes malloc has handed out and not
// had back (glibc's mallinfo2, every arena), around ten queries that each read a 12 MB table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'libsql';
import koffi from 'koffi';
import { openQuery } from '../../storage/dbms/query.js';

const MB = 1024 * 1024;

/** Bytes in use from malloc (glibc mallinfo2: arena chunks in use plus mmapped blocks), all threads' arenas. */
function mallocReader(): () => number {
  const libc = koffi.load('libc.so.6');
  const info = koffi.struct('mallinfo2_t', {
    arena: 'size_t',
    ordblks: 'size_t',
    smblks: 'size_t',
    hblks: 'size_t',
    hblkhd: 'size_t',
    usmblks: 'size_t',
    fsmblks: 'size_t',
    uordblks: 'size_t',
    fordblks: 'size_t',
    keepcost: 'size_t',
  });
  const mallinfo2 = libc.func('mallinfo2', info, []) as () => { uordblks: number | bigint; hblkhd: number | bigint };
  return () => {
    const m = mallinfo2();
    return Number(m.uordblks) + Number(m.hblkhd);
  };
}

test('a settled query does not keep its page cache until its statements are collected', async (t) => {
  if (process.platform !== 'linux') return t.skip('glibc mallinfo2 (Linux)');
  const dir = mkdtempSync(join(tmpdir(), 'elrt-query-release-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const db = new Database(join(dir, 'lab.dbms'));
  // 12,000 rows of 1 KB: 12 MB, six times SQLite's default page cache (2 MB), so every scan fills it.
  db.exec(
    "CREATE TABLE big (i INTEGER, s TEXT); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 12000) INSERT INTO big SELECT i, printf('%.1000c', 'x') FROM n",
  );
  db.close();
  const q = await openQuery('lab', { type: 'sqlite' }, dir, (err) => assert.fail(err));
  t.after(() => q.close());
  const mallocInUse = mallocReader();
  // A first query: libsql's runtime, its threads and the statement paths exist before the measure.
  assert.deepEqual((await q.run('select sum(length(s)) from big', 10_000)).rows, [[12_000_000]]);
  const before = mallocInUse();
  for (let i = 0; i < 10; i++)
    assert.deepEqual((await q.run('select sum(length(s)) from big', 10_000)).rows, [[12_000_000]]);
  const grew = mallocInUse() - before;
  // Kept, each closed connection held its full cache: ~20 MB for ten. What may stay is each one's schema and
  // statements (tens of KB) until V8 collects them.
  assert.ok(grew < 6 * MB, `malloc'd memory grew by ${(grew / MB).toFixed(1)} MB over ten queries`);
});
