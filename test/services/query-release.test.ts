// A query worker's closed SQLite connections let go of their descriptors even when their statements were promoted
// to old space (actors/query-pool/release.ts): a full collection follows every query within the gap, at most one per
// gap. The queries run here through the worker's own SqliteQuery; two young collections during each query promote
// its statements as a long query's do in a worker.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import Database from 'libsql';
import { SqliteQuery } from '../../storage/dbms/sqlite-query.js';
import { CollectSchedule } from '../../actors/query-pool/release.js';
import { ManualClock, systemClock } from '../../runtime/clock.js';
import type { GcFunction } from '../../runtime/idle-gc.js';
import { fdsUnder } from '../fixtures/fds.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as GcFunction;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `n` queries whose statements are promoted, each followed by `after` (the worker's step after a query). */
async function promotedQueries(n: number, after: () => void): Promise<{ base: number; end: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'elrt-release-'));
  const path = join(dir, 'q.db');
  // A writer that keeps the file in WAL mode and holds its lock for its life, as the operator's does.
  const writer = new Database(path);
  try {
    writer.exec('PRAGMA journal_mode=WAL');
    writer.exec('CREATE TABLE t (x INTEGER)');
    writer.exec(
      'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 100000) INSERT INTO t SELECT x FROM c',
    );
    const q = await SqliteQuery.open('q', path, (err) => assert.fail(err));
    const base = fdsUnder(dir);
    for (let i = 0; i < n; i++) {
      const running = q.run('SELECT count(*), sum(x) FROM t', 5000);
      await sleep(1);
      gc({ type: 'minor' });
      gc({ type: 'minor' });
      await running;
      after();
      await sleep(5);
    }
    await sleep(120);
    const end = fdsUnder(dir);
    await q.close();
    return { base, end };
  } finally {
    writer.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test(
  "promoted statements' connections are let go by the full collections, and kept without them",
  { skip: process.platform !== 'linux' && 'reads /proc/self/fd' },
  async () => {
    // The scenario's control: with young collections only (what the worker did before), each query keeps its
    // connections' descriptors, so the scenario does promote its statements.
    const young = await promotedQueries(40, () => setImmediate(() => gc({ type: 'minor' })));
    gc();
    assert.ok(young.end >= young.base + 40, `young only: ${young.base} before 40 queries, ${young.end} after`);
    // The worker's way: a young collection after each query and a full one (`gc()`) when the schedule says so.
    const schedule = new CollectSchedule(
      systemClock,
      () => {
        gc();
        schedule.collected();
      },
      50,
    );
    const { base, end } = await promotedQueries(40, () => {
      setImmediate(() => gc({ type: 'minor' }));
      schedule.afterQuery();
    });
    schedule.stop();
    // At most the connections of the queries since the last full collection (50 ms: a few queries) wait.
    assert.ok(end <= base + 8, `with the schedule: ${base} descriptors before 40 queries, ${end} after`);
  },
);

test('a full collection is due right after a query, then at most one per gap and within it; none after stop', () => {
  const clock = new ManualClock(0);
  let due = 0;
  const schedule = new CollectSchedule(
    clock,
    () => {
      due++;
      schedule.collected();
    },
    1000,
  );
  for (let i = 0; i < 10; i++) schedule.afterQuery();
  clock.advance(0);
  assert.equal(due, 1, 'the first right after the first query, once for ten');
  clock.advance(100);
  schedule.afterQuery();
  clock.advance(800);
  assert.equal(due, 1, 'the next waits for the gap');
  clock.advance(100);
  assert.equal(due, 2, 'and comes at its end');
  clock.advance(5000);
  assert.equal(due, 2, 'none without a query');
  schedule.afterQuery();
  schedule.stop();
  clock.advance(5000);
  assert.equal(due, 2, 'none pending after stop');
});
