import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootNode, type RunningNode } from '../../main/boot.js';
import { MemorySink } from '../../base/log.js';
import { dirDictionary } from '../../node/layout.js';
import { Journal } from '../../storage/journal/journal.js';
import { freePort } from '../../harness/child-node.js';
import { http, until } from '../../harness/test-node.js';

const ENTRIES = 3000;
const ROWS = 40;

test('/readyz answers 503 with the replay progress while the operator replays the journal, then 200', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'elrt-readyz-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  // An unapplied journal tail, as a node that crashed before its operator caught up leaves it.
  const dir = dirDictionary(root)['journal_dir']!;
  mkdirSync(dir, { recursive: true });
  const journal = Journal.open(dir);
  const w = journal.writer('rest-server');
  const durable: Promise<void>[] = [];
  for (let e = 0; e < ENTRIES; e++) {
    const rows = Array.from({ length: ROWS }, (_, i) => ({
      timestamp: new Date(Date.UTC(2026, 0, 1) + e * ROWS + i).toISOString(),
      value: e * ROWS + i,
    }));
    durable.push(w.append('test', 'tail', JSON.stringify(rows), ROWS, ['timestamp', 'value']).durable);
  }
  await Promise.all(durable);
  await journal.close();

  // REST first, so it answers while the operator (second) is still in its init, replaying.
  const port = await freePort();
  const file = join(root, 'node.yaml');
  writeFileSync(
    file,
    `node:\n  name: replay\ndbms:\n  test:\n    type: sqlite\nservices:\n  rest_server:\n    internal_ip: 127.0.0.1\n    internal_port: ${port}\n  operator: {}\n`,
  );
  const logs = new MemorySink(5000);
  let running: RunningNode | undefined;
  const booting = bootNode({ file, root, logSink: logs.sink, output: () => undefined }).then((r) => (running = r));
  t.after(async () => {
    await booting.catch(() => undefined);
    await running?.stop('test done');
  });

  const notReady: string[][] = [];
  let ready = false;
  await until(
    async () => {
      const r = await http(port, 'GET', {}, undefined, '/readyz').catch(() => undefined);
      if (!r) return false; // not listening yet
      const body = JSON.parse(r.body) as { ready: boolean; reasons: string[] };
      assert.equal(r.status, body.ready ? 200 : 503);
      if (body.ready) ready = true;
      else notReady.push(body.reasons);
      return ready;
    },
    60_000,
    10,
  );
  await booting;
  assert.ok(notReady.length > 0, 'some /readyz answer came before the replay was done');
  // The operator was not running yet, and at least one answer showed the replay's progress (n of N).
  assert.ok(notReady.some((rs) => rs.some((x) => /^operator: starting$/.test(x))));
  const progress = notReady.flat().filter((x) => x.startsWith('operator: journal replay:'));
  assert.ok(progress.length > 0, `no replay progress among ${JSON.stringify(notReady.slice(-3))}`);
  assert.match(progress[0]!, /^operator: journal replay: \d+ of 3000 entries$/);
  // /healthz said healthy throughout: the process answers whether or not it is ready.
  assert.equal((await http(port, 'GET', {}, undefined, '/healthz')).status, 200);

  const node = running!.node;
  const count = JSON.parse(
    await node.command('sql test format = json "select count(*) as n from tail"', {
      source: 'test',
    }),
  ) as { Query: { n: number }[] };
  assert.equal(count.Query[0]!.n, ENTRIES * ROWS);
  const list = JSON.parse(await node.command('get progress where format = json', { source: 'test' })) as {
    task: string;
    done: number;
    total: number;
    finished: boolean;
  }[];
  assert.deepEqual(
    list.map((p) => [p.task, p.done, p.total, p.finished]),
    [['operator: journal replay', ENTRIES, ENTRIES, true]],
  );
  const lines = logs.records.filter((r) => r.msg.startsWith('progress'));
  assert.ok(lines.length >= 2, 'progress is logged');
  assert.equal(lines.at(-1)!.msg, 'progress: done');
  assert.equal(lines.at(-1)!['done'], ENTRIES);
});
