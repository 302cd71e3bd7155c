// The writer's RESTART checkpoint keeps the log's valid frames bounded (issue 14, "Restart"; storage/dbms/sqlite-wal.ts):
// the log starts over inside its file, which SQLite cuts back to the bound, and a recovery after kill -9 reads back
// only the frames of the new log, not the old ones left in the rest of the file. The writer runs in a child process
// (test/fixtures/wal-writer.ts) so that this one can read the `-shm` WAL-index (harness/wal-index.ts) without
// touching SQLite's locks: this process opens the database only after the kill.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import Database from 'libsql';
import { WAL_BOUND_BYTES } from '../../storage/dbms/sqlite-wal.js';
import { readWalIndex, type WalIndex } from '../../harness/wal-index.js';

/** Rows a write: about 2 MB of pages, so the log passes its bound every ~20 writes. */
const ROWS = 2000;
const WRITER = fileURLToPath(new URL('../fixtures/wal-writer.ts', import.meta.url));
/**
 * The log past its bound at most: the frames of the write that passed it. The writer runs without a copier, which
 * checkpoints inline at that write; with one, what is written while a copy runs comes on top (sqlite-wal.test.ts).
 */
const SLACK = 4 << 20;
const WAL_HEADER = 32;
const validBytes = (w: WalIndex): number => (w.mxFrame ? WAL_HEADER + w.mxFrame * (w.pageSize + 24) : 0);

test('a log the writer restarts stays bounded, and a recovery after kill -9 reads back only the new log', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'elrt-walrestart-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'w.dbms');
  const child = spawn(process.execPath, ['--import', 'tsx', WRITER, file, String(ROWS)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit');
  t.after(() => child.kill('SIGKILL'));
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async (): Promise<string> => {
    const r = await lines.next();
    if (r.done) throw new Error('the writer ended');
    return r.value;
  };
  assert.equal(await next(), 'ready');

  let n = 0;
  let restarts = 0;
  let maxValid = 0;
  let maxFile = 0;
  let prev: WalIndex | undefined;
  let atKill: WalIndex | undefined;
  const checkpoints: { when: string; busy: number; log: number; checkpointed: number }[] = [];
  // Two restarts of the log (each after about 40 MB), then the kill as soon as the new log is well inside the file.
  while (n < 150) {
    child.stdin!.write('w\n');
    const out = JSON.parse(await next()) as { n: number; checkpoints: typeof checkpoints };
    n = out.n;
    checkpoints.push(...out.checkpoints);
    const w = readWalIndex(file);
    assert.ok(w, 'the writer has a WAL-index');
    maxValid = Math.max(maxValid, validBytes(w));
    maxFile = Math.max(maxFile, w.walFileBytes);
    if (prev && w.mxFrame < prev.mxFrame) {
      restarts++;
      // The file is kept and cut back to the bound at the restart (journal_size_limit), not emptied.
      assert.ok(w.walFileBytes >= WAL_BOUND_BYTES, `the restarted log's file kept its size (${w.walFileBytes})`);
      assert.ok(w.walFileBytes <= WAL_BOUND_BYTES + (4 << 20), `and was cut back to the bound (${w.walFileBytes})`);
    }
    prev = w;
    if (restarts >= 2 && validBytes(w) < w.walFileBytes - (8 << 20)) {
      atKill = w;
      break;
    }
  }
  assert.ok(atKill, `two restarts and a short new log within ${n} writes: ${JSON.stringify(checkpoints)}`);
  assert.ok(maxValid <= WAL_BOUND_BYTES + SLACK, `valid frames stayed bounded (${maxValid} bytes at most)`);
  assert.ok(maxFile <= WAL_BOUND_BYTES + SLACK, `the log's file stayed bounded (${maxFile} bytes at most)`);
  // Nothing held the log: every checkpoint that ran beside no copy took every frame.
  for (const c of checkpoints.filter((c) => c.log >= 0)) assert.equal(c.checkpointed, c.log, JSON.stringify(c));

  child.kill('SIGKILL');
  await exited;
  const db = new Database(file, { timeout: 1000 });
  t.after(() => db.close());
  assert.equal((db.prepare('SELECT count(*) AS n FROM rr').get() as { n: number }).n, n * ROWS);
  // What the open recovered is the new log's frames, exactly those the writer's WAL-index held at the kill: the
  // old log's frames in the rest of the file (a different salt) were not taken as valid.
  const r = db.prepare('PRAGMA wal_checkpoint(PASSIVE)').get() as { busy: number; log: number };
  assert.equal(r.log, atKill.mxFrame);
  assert.ok(validBytes(atKill) < atKill.walFileBytes, 'the file held more than the new log');
  assert.equal((db.prepare('PRAGMA integrity_check').get() as { integrity_check: string }).integrity_check, 'ok');
});
