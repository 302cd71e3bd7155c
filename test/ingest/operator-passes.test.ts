// How the operator cuts its work into transactions. The start replay (actors/operator/replay.ts replayAtStart)
// applies the journal entries that were above the recorded positions when it began, and does not chase entries
// appended while it runs (under load those came in as fast as it applied them, the operator's init never ended and
// the supervisor gave it up after 15 s). The ring path (ring-drain.ts applyFrames) merges frames per table, the
// first transaction of a table it does not know yet at most NEW_TABLE_ROWS rows (its columns are inferred from
// every row of it).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../base/log.js';
import { Journal, type JournalWriter } from '../../storage/journal/journal.js';
import { Catalog } from '../../actors/operator/catalog.js';
import type { ApplyContext } from '../../actors/operator/apply.js';
import { testApplyContext } from '../../harness/operator-context.js';
import { countUnapplied, reconcile, replayAtStart } from '../../actors/operator/replay.js';
import { MERGE_ROWS, NEW_TABLE_ROWS, applyFrames } from '../../actors/operator/ring-drain.js';
import { Ring } from '../../runtime/ring.js';
import type { IngestFrame } from '../../protocols/frames/ingest.js';
import { Worker } from 'node:worker_threads';

const ROWS = 100;

interface Setup {
  ctx: ApplyContext;
  writer: JournalWriter;
  /** Rows of each dbms write (one write = one transaction). */
  writes: number[];
  /** Rows of each insert of each dbms write (a batch = one insert statement). */
  inserts: number[][];
  /**
   * Appends one entry of `rows` rows (ids from the last one's next), durable when it resolves; returns the frame that
   * names it, as producers push it (actors/_shared/row-producer.ts), or with its rows (`carry`).
   */
  append(rows?: number, carry?: boolean): Promise<IngestFrame>;
  ids(): Promise<number[]>;
}

async function setup(t: TestContext): Promise<Setup> {
  const root = mkdtempSync(join(tmpdir(), 'elrt-replay-'));
  mkdirSync(join(root, 'dbms'));
  const log = createLogger('test', () => undefined, 'error');
  const journal = Journal.open(join(root, 'journal'));
  const catalog = new Catalog(join(root, 'dbms'), log);
  await catalog.connect('test', { type: 'sqlite' });
  // Opened now (it opens at first use otherwise), so that its writes can be counted below.
  await catalog.open('test');
  t.after(async () => {
    await catalog.disconnect('test');
    await journal.close();
    rmSync(root, { recursive: true, force: true });
  });
  const writes: number[] = [];
  const inserts: number[][] = [];
  const adapter = catalog.get('test')!.adapter;
  const write = adapter.write.bind(adapter);
  adapter.write = (batches, positions, files) => (
    writes.push(batches.reduce((n, b) => n + b.rowCount, 0)),
    inserts.push(batches.map((b) => b.rowCount)),
    write(batches, positions, files)
  );
  const ctx = testApplyContext({ catalog, journal, log, errDir: join(root, 'err') });
  const writer = journal.writer('rest-server');
  let next = 0;
  return {
    ctx,
    writer,
    writes,
    inserts,
    async append(n = ROWS, carry = false) {
      const rows = Array.from({ length: n }, (_, i) => ({ id: next + i, v: (next + i) % 7 }));
      next += n;
      const { entry, durable } = writer.append('test', 'readings', JSON.stringify(rows), n, ['id', 'v']);
      await durable;
      const { dbms, table, stream, seq, count, keys, at } = entry;
      const named = { t: 'rows' as const, dbms, table, stream, seq, count, bytes: entry.rows.length, keys, at };
      return carry ? { ...named, rows: entry.rows } : named;
    },
    async ids() {
      const r = await catalog.get('test')!.adapter.select('select id from readings order by id');
      return r.rows.map((row) => Number(row[0]));
    },
  };
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

test('the start replay applies the entries counted before it and leaves those appended meanwhile', async (t) => {
  const s = await setup(t);
  for (let i = 0; i < 10; i++) await s.append();
  const total = await countUnapplied(s.ctx);
  assert.equal(total, 10);
  // Two new entries for every transaction the replay commits: the journal grows faster than the replay applies.
  const arrivals: Promise<void>[] = [];
  const r = await replayAtStart(s.ctx, total, {
    firstRows: 2 * ROWS,
    rows: 3 * ROWS,
    maxBytes: 1 << 20,
    onApplied: () => {
      if (arrivals.length < 200)
        arrivals.push(
          s.append().then(() => undefined),
          s.append().then(() => undefined),
        );
    },
    // Durable before the next pass reads the journal, as PUTs acknowledged meanwhile are.
    between: async () => void (await Promise.all(arrivals)),
  });
  await Promise.all(arrivals);
  // It stops once the ten are in: at most one pass (3 entries) past them, never the 200 that arrived.
  assert.ok(r.entries >= 10 && r.entries <= 13, `applied ${r.entries} entries`);
  assert.ok(r.passes <= 5, `${r.passes} passes`);
  assert.equal(r.rows, r.entries * ROWS);
  assert.ok((await countUnapplied(s.ctx)) > 0, 'entries appended during the replay are left to the later passes');
  // What it left is applied later (here: the periodic replay's pass), each row once.
  while ((await reconcile(s.ctx, { graceMs: 0, maxRows: 50_000 })).more);
  assert.equal(await countUnapplied(s.ctx), 0);
  assert.deepEqual(await s.ids(), range((10 + arrivals.length) * ROWS));
});

test('the first pass takes firstRows rows per table, the later ones rows', async (t) => {
  const s = await setup(t);
  for (let i = 0; i < 9; i++) await s.append();
  const r = await replayAtStart(s.ctx, await countUnapplied(s.ctx), {
    firstRows: 2 * ROWS,
    rows: 3 * ROWS,
    maxBytes: 1 << 20,
  });
  assert.deepEqual(s.writes, [2 * ROWS, 3 * ROWS, 3 * ROWS, ROWS]);
  assert.deepEqual(r, { entries: 9, rows: 9 * ROWS, passes: 4 });
  assert.deepEqual(await s.ids(), range(9 * ROWS));
});

test('a start replay with nothing counted applies nothing', async (t) => {
  const s = await setup(t);
  const r = await replayAtStart(s.ctx, 0, { firstRows: ROWS, rows: ROWS, maxBytes: 1 << 20 });
  assert.deepEqual(r, { entries: 0, rows: 0, passes: 0 });
  assert.deepEqual(s.writes, []);
});

test('the ring path merges frames per table; the first transaction of a new table takes NEW_TABLE_ROWS at most', async (t) => {
  const s = await setup(t);
  const ring = Ring.create<IngestFrame>(16 << 20);
  // 12 frames of 10,000 rows: 120,000 rows, as a backlog behind a busy writer.
  for (let i = 0; i < 12; i++) assert.ok(ring.push(await s.append(10_000)));
  assert.deepEqual(await applyFrames(s.ctx, ring), []);
  // The new table: 20,000 rows (its columns inferred from those); then 50,000 per transaction.
  assert.equal(NEW_TABLE_ROWS, 20_000);
  assert.equal(MERGE_ROWS, 50_000);
  assert.deepEqual(s.writes, [20_000, 50_000, 50_000]);
  assert.deepEqual(await s.ids(), range(120_000));
  // A known table: 50,000 from the first transaction.
  s.writes.length = 0;
  for (let i = 0; i < 6; i++) assert.ok(ring.push(await s.append(10_000)));
  await applyFrames(s.ctx, ring);
  assert.deepEqual(s.writes, [50_000, 10_000]);
  assert.deepEqual(await s.ids(), range(180_000));
});

test('on SQLite each journal entry goes in with an insert of its own, all of a merge in one transaction', async (t) => {
  const s = await setup(t);
  const ring = Ring.create<IngestFrame>(16 << 20);
  // Entries of different sizes, named and carried: each is bound as the journal (or the frame) gave its bytes, not
  // concatenated with the others into one array text (bench/README.md, Profile: the copies cost the writer).
  const sizes = [300, 1, 2_000, 700, 50];
  for (const [i, n] of sizes.entries()) assert.ok(ring.push(await s.append(n, i === 1)));
  assert.deepEqual(await applyFrames(s.ctx, ring), []);
  assert.deepEqual(s.inserts, [sizes]);
  assert.deepEqual(await s.ids(), range(3_051));
  const pos = await s.ctx.catalog.get('test')!.adapter.positions();
  assert.equal(pos.get('readings\u0000rest-server'), sizes.length);
});

test('frames that carry their rows are applied with them, beside frames that name theirs', async (t) => {
  const s = await setup(t);
  const ring = Ring.create<IngestFrame>(16 << 20);
  for (let i = 0; i < 6; i++) assert.ok(ring.push(await s.append(1_000, i % 2 === 0)));
  assert.deepEqual(await applyFrames(s.ctx, ring), []);
  assert.deepEqual(s.writes, [6_000]);
  assert.deepEqual(await s.ids(), range(6_000));
});

test('a frame naming an entry committed after this thread last read the journal is applied (a fresh snapshot)', async (t) => {
  const s = await setup(t);
  const ring = Ring.create<IngestFrame>(16 << 20);
  assert.ok(ring.push(await s.append(1_000)));
  // Another thread appends the next entry (as the REST worker does) while this one holds a read snapshot that
  // predates it: lmdb-js keeps a thread's snapshot until the event loop's next timer phase, and nothing below
  // yields to the event loop before the operator reads the entry.
  const signal = new Int32Array(new SharedArrayBuffer(12));
  const src = `
    import { parentPort, workerData } from 'node:worker_threads';
    const { Journal } = await import(workerData.journal);
    const j = Journal.open(workerData.dir);
    const w = j.writer('rest-server');
    const rows = Array.from({ length: 1000 }, (_, i) => ({ id: 1000 + i, v: (1000 + i) % 7 }));
    parentPort.once('message', async () => {
      const { entry, durable } = w.append('test', 'readings', JSON.stringify(rows), 1000, ['id', 'v']);
      await durable;
      Atomics.store(workerData.signal, 1, entry.seq);
      Atomics.store(workerData.signal, 2, entry.rows.length);
      Atomics.store(workerData.signal, 0, 1);
      Atomics.notify(workerData.signal, 0);
      await j.close();
    });
    parentPort.postMessage('ready');`;
  const w = new Worker(
    `import('tsx/esm/api').then((m) => { m.register(); return import('data:text/javascript,' + encodeURIComponent(${JSON.stringify(src)})); })`,
    {
      eval: true,
      workerData: {
        journal: new URL('../../storage/journal/journal.ts', import.meta.url).href,
        dir: s.ctx.journal.path,
        signal,
      },
    },
  );
  t.after(() => w.terminate());
  await new Promise((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
  });
  assert.equal(s.ctx.journal.pending().entries, 1, 'this thread reads the journal: its snapshot holds one entry');
  w.postMessage('go');
  assert.notEqual(Atomics.wait(signal, 0, 0, 20_000), 'timed-out', 'the worker appended');
  const seq = Atomics.load(signal, 1);
  assert.equal(seq, 2);
  const named = { dbms: 'test', table: 'readings', stream: 'rest-server', seq, count: 1_000, keys: ['id', 'v'] };
  assert.ok(ring.push({ t: 'rows', ...named, bytes: Atomics.load(signal, 2), at: Date.now() }));
  assert.deepEqual(await applyFrames(s.ctx, ring), [], 'nothing left behind');
  assert.deepEqual(s.writes, [2_000]);
  assert.deepEqual(await s.ids(), range(2_000));
});
