import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REST_NODE, startTestNode, until } from '../../harness/test-node.js';

interface Task {
  task: string;
  done: number;
  total: number;
  unit: string;
  finished: boolean;
  rate: number;
  gate: boolean;
}

test('a large watch-dir file shows its load progress (rows of rows) in get progress and the logs', async (t) => {
  const n = await startTestNode(REST_NODE());
  t.after(() => n.stop());
  const ROWS = 60_000;
  const lines = Array.from({ length: ROWS }, (_, i) =>
    JSON.stringify({ timestamp: new Date(Date.UTC(2026, 0, 1) + i).toISOString(), v: i }),
  );
  writeFileSync(join(n.root, 'data', 'watch', 'test.big.0.0.0.json'), lines.join('\n') + '\n');
  let list: Task[] = [];
  await until(
    async () => {
      list = JSON.parse(await n.cmd('get progress where format = json')) as Task[];
      return list.some((p) => p.finished && p.task.startsWith('operator: file load test.big.'));
    },
    30_000,
    50,
  );
  const load = list.find((p) => p.task.startsWith('operator: file load test.big.'))!;
  assert.deepEqual([load.done, load.total, load.unit, load.gate], [ROWS, ROWS, 'rows', false]);
  assert.ok(load.rate > 0);
  const table = await n.cmd('get progress');
  assert.match(table, /file load test\.big\..*\|\s*60000\|\s*60000\|rows\s*\|/);
  const logged = n.logs.records.filter((r) => r.msg.startsWith('progress') && String(r['task']).includes('test.big'));
  assert.equal(logged.at(-1)?.msg, 'progress: done');
  assert.ok(logged.length >= 2, 'the start and the end at least');
});
