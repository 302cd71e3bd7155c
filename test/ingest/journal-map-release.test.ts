// The operator gives the journal's mapped pages back (issue 12, put-55mb-rss: after a large PUT the pages of
// data.mdb that its catch-up and trim read stayed resident, ~57 MB for a 55 MB body). The node runs in this process,
// so this process's smaps show what its operator thread mapped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { http, startTestNode, tableCount, until, REST_NODE } from '../../harness/test-node.js';
import { JournalMapRelease, PERIOD_MS } from '../../actors/operator/map-release.js';
import { Journal } from '../../storage/journal/journal.js';
import { MemorySink, createLogger } from '../../base/log.js';
import { residentKb } from '../../harness/resident.js';

test(
  'after a large PUT lands, the pages of the journal its catch-up and trim read are no longer resident',
  { skip: process.platform === 'linux' ? false : 'Linux only (/proc/self/smaps, madvise)', timeout: 60_000 },
  async (t) => {
    const n = await startTestNode(REST_NODE());
    t.after(() => n.stop());
    const rows = 80_000;
    const body = `[${Array.from({ length: rows }, (_, i) => JSON.stringify({ id: i, note: 'x'.repeat(80) })).join(',')}]`;
    const r = await http(n.port, 'PUT', { type: 'json', dbms: 'test', table: 'big', mode: 'streaming' }, body);
    assert.equal(r.status, 200, r.body);
    await until(async () => (await tableCount(n, 'big')) === rows, 30_000, 100);
    const data = join(n.root, 'journal', 'data.mdb');
    // The ~8 MB body was read back through the map (only its last piece came by the rings) and then trimmed; the
    // trim's release follows within the trim queue's 500 ms, the periodic one within 10 s.
    let last = residentKb(data);
    await until(() => (last = residentKb(data)) < 1024, 12_000, 100).catch((err: Error) => {
      throw new Error(`data.mdb still ${last} kB resident: ${err.message}`);
    });
  },
);

test('the release runs after each trim and once a period otherwise; one that fails is logged once and stops', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'elrt-jmr-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const j = Journal.open(dir);
  let now = 1_000_000;
  const logs = new MemorySink();
  const release = new JournalMapRelease(j, createLogger('operator', logs.sink), () => now);
  let calls = 0;
  const real = j.releaseMapped.bind(j);
  j.releaseMapped = () => (calls++, real());
  release.tick();
  assert.equal(calls, 1, 'the first tick releases');
  now += PERIOD_MS - 1;
  release.tick();
  assert.equal(calls, 1, 'not again within the period');
  release.trimmed();
  assert.equal(calls, 2, 'a trim releases at once');
  now += PERIOD_MS;
  release.tick();
  assert.equal(calls, 3);
  await j.close();
  now += PERIOD_MS;
  release.tick();
  assert.equal(calls, 4, 'tried on the closed journal');
  release.trimmed();
  now += PERIOD_MS;
  release.tick();
  assert.equal(calls, 4, 'stopped after the failure');
  const said = logs.records.filter((r) => /not released/.test(r.msg));
  assert.equal(said.length, 1);
  assert.match(String(said[0]!['error']), /closed/);
});
