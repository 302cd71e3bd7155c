// What the operator's SQLite writer keeps after a large batch (issue 12, "RSS returns to within 20% of idle"): a
// cached insert must not hold its last batch's rows text (storage/dbms/sqlite.ts, LET_GO_BYTES). Measured as the
// process's resident memory around one write of a batch larger than glibc's largest mmap threshold (32 MiB), so
// SQLite's copy of it is a mapping of its own: resident while bound, unmapped when SQLite frees it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteAdapter } from '../../storage/dbms/sqlite.js';
import { rrBatch } from '../fixtures/rr-batch.js';

const MB = 1 << 20;

for (const kind of ['bytes', 'text'] as const) {
  test(`after a 40 MB batch (${kind}) is written, the writer does not keep a copy of its rows`, async (t) => {
    if (process.platform !== 'linux') return t.skip('resident memory read from /proc (Linux)');
    const dir = mkdtempSync(join(tmpdir(), 'elrt-insert-mem-'));
    const a = await SqliteAdapter.open('m', join(dir, 'm.dbms'));
    t.after(async () => {
      await a.close();
      rmSync(dir, { recursive: true, force: true });
    });
    await a.execDDL([
      'CREATE TABLE rr (row_id INTEGER PRIMARY KEY, insert_timestamp TEXT, tsd_name TEXT, tsd_id INT, v TEXT)',
    ]);
    // A first small batch: the statement, SQLite's page cache and the log exist before the measure.
    await a.write([rrBatch('[{"v":"a"}]', 1)], [], []);
    const count = 40_000;
    const text = JSON.stringify(Array.from({ length: count }, (_, i) => ({ v: `${i}`.padEnd(1000, 'x') })));
    // Buffer.from reads the whole string, which flattens it (JSON.stringify may build it in parts): the flat copy
    // V8 makes when a string in parts first goes to native code is then made before the measure, not in it.
    const bytes = Buffer.from(text);
    const rows = kind === 'bytes' ? bytes : text;
    const before = process.memoryUsage.rss();
    assert.equal(await a.write([rrBatch(rows, count)], [], []), count);
    const grew = process.memoryUsage.rss() - before;
    // Without the release SQLite's copy (40 MB) stayed resident; what may stay is its page cache (~2 MB) and the
    // allocator's and V8's own slack.
    assert.ok(grew < 16 * MB, `resident memory grew by ${(grew / MB).toFixed(1)} MB after the write`);
    assert.deepEqual((await a.select('SELECT count(*) FROM rr')).rows, [[count + 1]]);
  });
}
