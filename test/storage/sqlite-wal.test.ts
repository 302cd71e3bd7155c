// The write-ahead log stays bounded while readers come and go (issue 14, "Restart"): a finished `sql` query leaves no
// reader in the log, and the operator's writer (storage/dbms/sqlite-wal.ts) empties the log past its bound, when idle
// and before it closes. Measured on the real files: the log's size and SQLite's own checkpoint result.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'libsql';
import { SqliteAdapter } from '../../storage/dbms/sqlite.js';
import { SqliteQuery } from '../../storage/dbms/sqlite-query.js';
import { WAL_BOUND_BYTES } from '../../storage/dbms/sqlite-wal.js';
import { rrBatch } from '../fixtures/rr-batch.js';

interface Checkpoint {
  busy: number;
  log: number;
  checkpointed: number;
}

function tempFile(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'elrt-wal-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'w.dbms');
}

const walBytes = (file: string): number => statSync(`${file}-wal`, { throwIfNoEntry: false })?.size ?? 0;

test('a finished sql query leaves no reader in the log: a TRUNCATE checkpoint then copies every frame', async (t) => {
  const file = tempFile(t);
  const w = new Database(file, { timeout: 200 });
  t.after(() => w.close());
  w.exec('PRAGMA journal_mode=WAL');
  w.exec('PRAGMA wal_autocheckpoint=0');
  w.exec('CREATE TABLE rr (v BLOB)');
  const q = await SqliteQuery.open('w', file, (err) => assert.fail(err));
  t.after(() => q.close());
  for (let i = 0; i < 3; i++) {
    w.exec('INSERT INTO rr VALUES (randomblob(5000))');
    assert.deepEqual((await q.run('select count(*) as n from rr', 5000)).rows, [[i + 1]]);
  }
  w.exec('INSERT INTO rr VALUES (randomblob(5000))');
  // The query's statements are still referenced by nobody but the collector; before the fix the EXPLAIN kept the
  // last query's snapshot open until they were collected, and this was { busy: 1, checkpointed: 5 }.
  const r = w.prepare('PRAGMA wal_checkpoint(TRUNCATE)').get() as Checkpoint;
  assert.equal(r.busy, 0);
  assert.equal(r.log, 0);
  assert.equal(walBytes(file), 0);
});

test('the writer starts the log over past its bound and empties it when idle and before it closes; a reader delays it, never fails it', async (t) => {
  const file = tempFile(t);
  const seen: { when: string; busy: number; log: number; checkpointed?: number }[] = [];
  const a = await SqliteAdapter.open('w', file, {
    busyTimeoutMs: 1000,
    onCheckpoint: (when, out) => {
      if (out instanceof Error) throw out;
      seen.push({ when, busy: out.result.busy, log: out.result.log, checkpointed: out.result.checkpointed });
    },
  });
  let closed = false;
  t.after(async () => {
    if (!closed) await a.close();
  });
  await a.execDDL([
    'CREATE TABLE rr (row_id INTEGER PRIMARY KEY, insert_timestamp TEXT, tsd_name TEXT, tsd_id INT, v TEXT)',
  ]);
  const rows = 2000;
  const text = JSON.stringify(Array.from({ length: rows }, () => ({ v: 'x'.repeat(1000) })));
  // About 2 MB of pages a write: past the bound within ~25 writes, and never far past it.
  let maxWal = 0;
  for (let i = 0; i < 40; i++) {
    await a.write([rrBatch(text, rows)], [{ table: 'rr', stream: 's', seq: i + 1 }], []);
    maxWal = Math.max(maxWal, walBytes(file));
  }
  const onWrite = seen.filter((s) => s.when === 'write');
  assert.ok(onWrite.length >= 1, 'a write past the bound checkpointed');
  // RESTART: every frame copied; the log starts over at the next write, in the same file.
  assert.ok(
    onWrite.every((s) => s.busy === 0 && s.log > 0 && s.checkpointed === s.log),
    JSON.stringify(onWrite),
  );
  assert.ok(maxWal < WAL_BOUND_BYTES + (8 << 20), `the log stayed near its bound (${maxWal} bytes)`);
  assert.ok(walBytes(file) <= WAL_BOUND_BYTES + (8 << 20), 'the restarted log was cut back to its bound');
  assert.ok(walBytes(file) > 0, 'the last writes are in the log');

  // A reader in a read transaction holds its snapshot: the idle checkpoint waits, reports busy, and an idle call
  // after the reader is gone empties the log.
  const r = new Database(file, { timeout: 1000 });
  t.after(() => r.close());
  r.exec('BEGIN');
  r.prepare('SELECT count(*) FROM rr').get();
  await a.idle(); // the first idle call only notes that there were writes
  await a.idle();
  assert.equal(seen.at(-1)?.when, 'idle');
  assert.equal(seen.at(-1)?.busy, 1);
  r.exec('COMMIT');
  // Readers held it up once: the next idle call is skipped, the one after empties the log.
  await a.idle();
  await a.idle();
  assert.deepEqual(seen.at(-1), { when: 'idle', busy: 0, log: 0, checkpointed: 0 });
  assert.equal(walBytes(file), 0);

  await a.write([rrBatch(text, rows)], [{ table: 'rr', stream: 's', seq: 99 }], []);
  assert.ok(walBytes(file) > 0);
  // Another connection keeps the file open, so SQLite's own last-close checkpoint does not run: the writer's does.
  const keep = new Database(file);
  t.after(() => keep.close());
  keep.prepare('SELECT count(*) FROM rr').get();
  await a.close();
  closed = true;
  assert.deepEqual(seen.at(-1), { when: 'close', busy: 0, log: 0, checkpointed: 0 });
  assert.equal(walBytes(file), 0);
  assert.equal((keep.prepare('SELECT count(*) AS n FROM rr').get() as { n: number }).n, 41 * rows);
});

/** A writer with a copier on a table of 2 MB writes (2,000 rows of 1 KB), and what it reported of its checkpoints. */
async function copierWriter(t: { after(fn: () => unknown): void }) {
  const file = tempFile(t);
  const seen: { when: string; busy: number; log: number; checkpointed: number }[] = [];
  const a = await SqliteAdapter.open('w', file, {
    busyTimeoutMs: 1000,
    copyOffThread: true,
    onCheckpoint: (when, out) => {
      if (out instanceof Error) throw out;
      seen.push({ when, ...out.result });
    },
  });
  let closed = false;
  t.after(async () => {
    if (!closed) await a.close();
  });
  await a.execDDL([
    'CREATE TABLE rr (row_id INTEGER PRIMARY KEY, insert_timestamp TEXT, tsd_name TEXT, tsd_id INT, v TEXT)',
  ]);
  const rows = 2000;
  const text = JSON.stringify(Array.from({ length: rows }, () => ({ v: 'x'.repeat(1000) })));
  const w = {
    file,
    a,
    seen,
    rows,
    n: 0,
    maxWal: 0,
    async write(): Promise<void> {
      await a.write([rrBatch(text, rows)], [{ table: 'rr', stream: 's', seq: ++w.n }], []);
      w.maxWal = Math.max(w.maxWal, walBytes(file));
      // The copier's answers are messages: they come in between writes, as between the operator's batches.
      await new Promise((r) => setImmediate(r));
    },
    /**
     * Writes until a copy is reported after `from`; once the log is past its bound and a copy runs, the next write
     * waits for its answer (2 MB a write come faster than a copy: at the bench's pace the copy takes seconds).
     */
    async untilCopy(from = 0, maxWrites = 100): Promise<void> {
      const copied = (): boolean => seen.slice(from).some((s) => s.when === 'copy');
      while (!copied() && w.n < maxWrites) {
        await w.write();
        const until = Date.now() + 20_000;
        while (walBytes(file) > WAL_BOUND_BYTES && !copied() && Date.now() < until)
          await new Promise((r) => setTimeout(r, 10));
      }
    },
    async close(): Promise<void> {
      await a.close();
      closed = true;
    },
  };
  return w;
}

test('with a copier, the log past its bound is copied on its own thread and the writer then copies what is left', async (t) => {
  const w = await copierWriter(t);
  const { file, seen } = w;
  await w.untilCopy();
  const copy = seen.find((s) => s.when === 'copy');
  assert.ok(copy, `a copy after ${w.n} writes`);
  assert.ok(copy.busy === 0 && copy.log > 0 && copy.checkpointed === copy.log, 'the copy took every frame');
  assert.ok(walBytes(file) > WAL_BOUND_BYTES);
  assert.ok(w.maxWal < WAL_BOUND_BYTES * 1.25 + (8 << 20), `the log stayed near its bound (${w.maxWal} bytes)`);

  // Nothing was written during that copy: the next write finds every frame copied and starts the log over itself,
  // in the same file, which SQLite cuts back to the bound (journal_size_limit); nothing is left for the writer.
  await w.write();
  assert.equal(walBytes(file), WAL_BOUND_BYTES, 'the log started over in its file, cut back to the bound');
  assert.ok(!seen.some((s) => s.when === 'write'), JSON.stringify(seen));

  // Writes that go on during the next copy: the writer's RESTART at the first write after the copy's answer then
  // copies what they added. (How far the log grows meanwhile is the copy's length in writes: 2 MB writes back to back
  // outrun it; an inline try a quarter bound on finds the copier holding SQLite's checkpoint lock, `busy`.)
  const copies = seen.length;
  const done = (): boolean => seen.slice(copies).some((s) => s.when === 'write' && s.busy === 0);
  while (!done() && w.n < 200) await w.write();
  const first = seen.findIndex((s, i) => i >= copies && s.when === 'write' && s.busy === 0);
  assert.ok(first > copies, `the writer checkpointed the log after ${w.n} writes: ${JSON.stringify(seen)}`);
  const last = seen[first - 1]!;
  assert.equal(last.when, 'copy', `a copy came just before the writer's checkpoint: ${JSON.stringify(seen)}`);
  assert.ok(last.busy === 0 && last.checkpointed === last.log, 'the copy took every frame there was when it began');
  const own = seen[first]!;
  assert.equal(own.checkpointed, own.log, 'the writer copied every frame');
  assert.ok(own.log > last.log, 'and the frames written during the copy');
  await w.write();
  assert.equal(walBytes(file), WAL_BOUND_BYTES, 'the log started over in its file, cut back to the bound');
  await w.close();
  assert.equal(walBytes(file), 0);
  const r = new Database(file, { readonly: true });
  t.after(() => r.close());
  assert.equal((r.prepare('SELECT count(*) AS n FROM rr').get() as { n: number }).n, w.n * w.rows);
});

test('after an idle checkpoint emptied a copied log, the next log past its bound is copied on the copier again', async (t) => {
  const w = await copierWriter(t);
  const { file, seen } = w;
  // Until a copy took every frame of a log past the bound (the copier is then 'copied').
  await w.untilCopy();
  assert.ok(
    seen.some((s) => s.when === 'copy' && s.busy === 0),
    JSON.stringify(seen),
  );
  // The writer goes quiet: its idle checkpoint empties the log.
  await w.a.idle(); // notes the writes
  await w.a.idle();
  assert.equal(walBytes(file), 0, JSON.stringify(seen));
  // The writes resume: the log past its bound goes to the copier again, not to an inline checkpoint.
  const before = seen.length;
  await w.untilCopy(before, 200);
  assert.equal(seen.slice(before)[0]?.when, 'copy', JSON.stringify(seen.slice(before)));
});
