// The log copier's thread (storage/dbms/sqlite-copier.ts) ends once the writer is quiet after writes, and the next
// copy starts a new one (issue 12: what a large PUT leaves in memory). Counted as this process's threads in
// /proc/self/task; the copies seen through the writer's `onCheckpoint`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'libsql';
import { LET_GO_QUIET_TICKS, SqliteAdapter } from '../../storage/dbms/sqlite.js';
import { WAL_BOUND_BYTES } from '../../storage/dbms/sqlite-wal.js';
import { rrBatch } from '../fixtures/rr-batch.js';

const threads = (): number => readdirSync('/proc/self/task').length;
const walBytes = (file: string): number => statSync(`${file}-wal`, { throwIfNoEntry: false })?.size ?? 0;

async function until(what: string, ok: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('the copier thread ends after the writer’s quiet ticks, and the next copy starts a new one', async (t) => {
  if (process.platform !== 'linux') return t.skip('threads counted in /proc/self/task (Linux)');
  const dir = mkdtempSync(join(tmpdir(), 'elrt-copier-'));
  const file = join(dir, 'c.dbms');
  const copies: number[] = [];
  const a = await SqliteAdapter.open('c', file, {
    busyTimeoutMs: 1000,
    copyOffThread: true,
    onCheckpoint: (when, out) => {
      if (out instanceof Error) throw out;
      if (when === 'copy') copies.push(out.result.checkpointed);
    },
  });
  let closed = false;
  t.after(async () => {
    if (!closed) await a.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await a.execDDL([
    'CREATE TABLE rr (row_id INTEGER PRIMARY KEY, insert_timestamp TEXT, tsd_name TEXT, tsd_id INT, v TEXT)',
  ]);
  const rows = 2000;
  const text = JSON.stringify(Array.from({ length: rows }, () => ({ v: 'x'.repeat(1000) })));
  let seq = 0;
  /** Writes ~2 MB at a time until the log passes its bound and a copy on the thread has answered. */
  const writeUntilCopied = async (): Promise<void> => {
    const seen = copies.length;
    for (let n = 0; copies.length === seen; n++) {
      assert.ok(n < 200, 'no copy after 200 writes');
      await a.write([rrBatch(text, rows)], [{ table: 'rr', stream: 's', seq: ++seq }], []);
      if (walBytes(file) >= WAL_BOUND_BYTES) await until('a copy', () => copies.length > seen);
    }
  };

  const before = threads();
  await writeUntilCopied();
  assert.equal(threads(), before + 1, 'the first copy started the thread');
  await a.idle(); // the first tick only notes that there were writes
  // A few quiet ticks keep it (a steady load's short gaps must not end and start a thread at each copy).
  for (let i = 1; i < LET_GO_QUIET_TICKS; i++) {
    await a.idle();
    assert.equal(threads(), before + 1, `still there after ${i} quiet ticks`);
  }
  await a.idle(); // quiet long enough: the thread closes its connection and ends
  await until('the thread to end', () => threads() === before);

  await writeUntilCopied();
  assert.equal(threads(), before + 1, 'the next copy started a new thread');
  assert.ok(
    copies.every((c) => c > 0),
    `each copy took frames: ${JSON.stringify(copies)}`,
  );
  await a.close();
  closed = true;
  assert.equal(threads(), before);
  assert.equal(walBytes(file), 0);
  const r = new Database(file, { readonly: true });
  t.after(() => r.close());
  assert.equal((r.prepare('SELECT count(*) AS n FROM rr').get() as { n: number }).n, seq * rows);
});
