// The journal gives back its mapped pages (issue 12: a read-back body or a backlog kept data.mdb's pages in RSS):
// after a release the process holds none of data.mdb's pages resident, reads give the same bytes, also from another
// thread reading while the releases run and the map grows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { Journal } from '../../storage/journal/journal.js';
import { mappingsOf } from '../../storage/journal/map-release.js';
import { residentKb } from '../../harness/resident.js';

const linux = process.platform === 'linux';

/** Entry n of the test: `size` bytes of a JSON array text, different for each n. */
function body(n: number, size: number): Buffer {
  const unit = `{"n":${n},"pad":"${'x'.repeat(64)}"},`;
  return Buffer.from(`[${unit.repeat(Math.floor(size / unit.length)).slice(0, -1)}]`);
}

async function filled(t: { after: (fn: () => unknown) => void }, entries: number, size: number) {
  const dir = mkdtempSync(join(tmpdir(), 'elrt-jmap-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const j = Journal.open(dir);
  t.after(() => j.close());
  const w = j.writer('s');
  const digest = createHash('sha256');
  for (let n = 1; n <= entries; n++) {
    const rows = body(n, size);
    digest.update(rows);
    await w.append('d', 't', rows, 1, ['n', 'pad']).durable;
  }
  return { dir, j, digest: digest.digest('hex') };
}

const readAll = (j: Journal, entries: number): string => {
  const h = createHash('sha256');
  for (const e of j.range('d', 't', 's', 1, entries)) h.update(e.rows);
  return h.digest('hex');
};

test(
  'a release drops the resident pages of data.mdb that reading the journal mapped in; reads give the same bytes',
  {
    skip: linux ? false : 'Linux only (/proc/self/smaps, madvise)',
  },
  async (t) => {
    const { j, digest } = await filled(t, 32, 1 << 20);
    assert.equal(readAll(j, 32), digest);
    const before = residentKb(j.dataFile);
    assert.ok(before >= 24 * 1024, `32 MB read through the map: ${before} kB resident`);
    const r = j.releaseMapped();
    assert.ok(r.mappings >= 1, 'at least the current map');
    const after = residentKb(j.dataFile);
    assert.ok(after < 1024, `resident after the release: ${after} kB (before ${before} kB)`);
    // Faulted back from the page cache: the same bytes.
    assert.equal(readAll(j, 32), digest);
    assert.ok(residentKb(j.dataFile) >= 24 * 1024, 'read again: mapped in again');
  },
);

test(
  'another thread reading the journal while releases run and the map grows reads the same bytes',
  {
    skip: linux ? false : 'Linux only (madvise)',
  },
  async (t) => {
    const entries = 48;
    const { dir, j, digest } = await filled(t, entries, 256 << 10);
    const src = `
    import { parentPort, workerData } from 'node:worker_threads';
    import { createHash } from 'node:crypto';
    const { Journal } = await import(workerData.journal);
    const j = Journal.open(workerData.dir);
    const sums = [];
    for (let pass = 0; pass < workerData.passes; pass++) {
      const h = createHash('sha256');
      for (const e of j.range('d', 't', 's', 1, workerData.entries)) h.update(e.rows);
      sums.push(h.digest('hex'));
      // Between passes: a turn for the main thread's messages (none expected), and releases land mid-pass too.
      await new Promise((r) => setImmediate(r));
    }
    await j.close();
    parentPort.postMessage(sums);`;
    const w = new Worker(
      `import('tsx/esm/api').then((m) => { m.register(); return import('data:text/javascript,' + encodeURIComponent(${JSON.stringify(src)})); })`,
      {
        eval: true,
        workerData: {
          journal: new URL('../../storage/journal/journal.ts', import.meta.url).href,
          dir,
          entries,
          passes: 40,
        },
      },
    );
    t.after(() => w.terminate());
    let done = false;
    const sums = new Promise<string[]>((resolve, reject) => {
      w.once('message', (m: string[]) => ((done = true), resolve(m)));
      w.once('error', reject);
      w.once('exit', (code) => (done ? undefined : reject(new Error(`worker exited with code ${code}`))));
    });
    // Meanwhile: releases, and appends to another table that grow the map (a new mapping each time it grows).
    const writer = j.writer('s2');
    let releases = 0;
    let appended = 0;
    const mapsAtStart = mappingsOf(j.dataFile).length;
    for (let i = 0; i < 10_000 && !done; i++) {
      j.releaseMapped();
      releases++;
      if (i % 4 === 0) {
        await writer.append('d', 'grow', body(i, 256 << 10), 1, ['n', 'pad']).durable;
        appended++;
      } else await new Promise((r) => setTimeout(r, 2));
    }
    const got = await sums;
    assert.ok(releases >= 10, `${releases} releases ran during the reads`);
    assert.ok(mappingsOf(j.dataFile).length > mapsAtStart, `the map grew meanwhile (${appended} appends)`);
    assert.equal(got.length, 40);
    for (const [pass, s] of got.entries()) assert.equal(s, digest, `pass ${pass} read other bytes`);
  },
);

test('mappingsOf finds the file by its canonical path and tells shared mappings from private ones', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'elrt-jmap-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const j = Journal.open(dir);
  t.after(() => j.close());
  const path = realpathSync(j.dataFile);
  const maps = [
    `7f45b8000000-7f45bbfc0000 r--s 00000000 fe:00 2147215                    ${path}`,
    `7f45c1000000-7f45c2f80000 r--p 00000000 fe:00 2147215                    ${path}`,
    `7f4686275000-7f468627d000 rw-s 00000000 fe:00 2147213                    ${path}-other`,
    `7f4686300000-7f4686400000 rw-p 00000000 00:00 0 `,
  ].join('\n');
  assert.deepEqual(mappingsOf(j.dataFile, maps), [
    { start: 0x7f45b8000000n, end: 0x7f45bbfc0000n, shared: true },
    { start: 0x7f45c1000000n, end: 0x7f45c2f80000n, shared: false },
  ]);
});

test('a closed journal refuses a release', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'elrt-jmap-'));
  try {
    const j = Journal.open(dir);
    await j.close();
    assert.throws(() => j.releaseMapped(), /is closed/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
