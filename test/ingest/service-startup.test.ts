// A service that cannot start (issue 12 item 5): its `run` command is answered with the error, nothing restarts in a
// loop, and the node and its other services stay up; the same for node.yaml services, by their startup policy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestNode, until } from '../../harness/test-node.js';
import { actorAddress } from '../../runtime/address.js';
import type { ActorMessage } from '../../runtime/wire.js';
import { NodeConfigError, parseNodeConfig } from '../../node/config/node-config.js';
import { SERVICES } from '../../actors/index.js';

interface ProcessRow {
  Status: string;
  Details?: string;
}
async function processes(cmd: (t: string) => Promise<string>): Promise<Record<string, ProcessRow>> {
  return JSON.parse(await cmd('get processes where format = json')) as Record<string, ProcessRow>;
}

const BASE = `node:\n  name: start-node\ndbms:\n  test:\n    type: sqlite\nservices:\n  streamer: {}\n`;

test('run operator with a missing watch_dir is answered with an error; the node and the streamer stay up', async (t) => {
  const n = await startTestNode(BASE);
  t.after(() => n.stop());
  const missing = join(n.root, 'no-such-dir');
  await assert.rejects(
    n.cmd(`run operator where watch_dir = ${missing}`),
    /watch_dir = .*no-such-dir: no such directory/,
  );
  // A file is not a directory either.
  writeFileSync(join(n.root, 'plain'), 'x');
  await assert.rejects(n.cmd(`run operator where watch_dir = ${join(n.root, 'plain')}`), /not a directory/);
  // Nothing was spawned, nothing restarts: a second later the node runs, the streamer too, no operator.
  await new Promise((r) => setTimeout(r, 1000));
  const p = await processes(n.cmd);
  assert.equal(p['Streamer']!.Status, 'Running');
  assert.equal(p['Operator']!.Status, 'Not declared');
  assert.equal(n.logs.records.filter((r) => r.msg === 'child exited').length, 0);
  // A good directory starts it.
  await n.cmd('run operator');
  assert.equal((await processes(n.cmd))['Operator']!.Status, 'Running');
});

test('an init failure in the worker answers the run command (operator policy not found)', async (t) => {
  const n = await startTestNode(BASE);
  t.after(() => n.stop());
  await assert.rejects(n.cmd('run operator where policy = 0123456789abcdef'), /Operator failed to start: .*policy/i);
  assert.equal((await processes(n.cmd))['Operator']!.Status, 'Not declared');
  assert.equal((await processes(n.cmd))['Streamer']!.Status, 'Running');
});

test('a node.yaml service that cannot start does not stop the node; startup_error ignore shows it Failed', async (t) => {
  const yaml = (policy: string) =>
    `${BASE}  operator:\n    watch_dir: /nonexistent/watch\n  scheduler: {}\nsupervisor:\n  startup_error:\n    operator: ${policy}\n`;
  const n = await startTestNode(yaml('error'));
  t.after(() => n.stop());
  const p = await processes(n.cmd);
  assert.equal(p['Operator']!.Status, 'Not declared');
  // The services before and after it run.
  assert.equal(p['Streamer']!.Status, 'Running');
  assert.equal(p['Scheduler']!.Status, 'Running');
  assert.ok(n.logs.records.some((r) => r.msg === 'service failed to start; the node goes on without it'));

  // `ignore` at boot: the operator stays listed as Failed with its reason. Its check runs on the main thread, so
  // this one fails in the worker: a policy that is not in the metadata.
  const m = await startTestNode(
    `${BASE}  operator:\n    policy: 0123456789abcdef\nsupervisor:\n  startup_error:\n    operator: ignore\n`,
  );
  t.after(() => m.stop());
  const q = await processes(m.cmd);
  assert.equal(q['Operator']!.Status, 'Failed');
  assert.match(q['Operator']!.Details ?? '', /policy/i);
  assert.equal(q['Streamer']!.Status, 'Running');
  // A new `run` replaces the failed instance.
  await m.cmd('run operator');
  assert.equal((await processes(m.cmd))['Operator']!.Status, 'Running');
});

test('a watch dir removed while the operator runs is logged once; the operator keeps running', async (t) => {
  const n = await startTestNode(`${BASE}  operator: {}\n`);
  t.after(() => n.stop());
  rmSync(join(n.root, 'data', 'watch'), { recursive: true });
  const op = actorAddress<ActorMessage>('operator');
  for (let i = 0; i < 3; i++) n.running.node.send(op, { type: 'operator.file' });
  await until(() => n.logs.records.some((r) => r.msg === 'watch directory cannot be read'));
  await n.cmd('get operator summary');
  assert.equal(n.logs.records.filter((r) => r.msg === 'watch directory cannot be read').length, 1);
  assert.equal(n.logs.records.filter((r) => r.msg === 'child exited').length, 0);
  assert.equal((await processes(n.cmd))['Operator']!.Status, 'Running');
});

test('node.yaml supervisor.startup_error takes error | retry | ignore per known service, and names a bad entry', () => {
  const ok = parseNodeConfig(
    `services:\n  operator: {}\nsupervisor:\n  startup_error:\n    operator: retry\n    streamer: ignore\n`,
    'node.yaml',
    SERVICES,
  );
  assert.deepEqual(ok.supervisor.startupError, { operator: 'retry', streamer: 'ignore' });
  assert.throws(
    () =>
      parseNodeConfig(
        `supervisor:\n  startup_error:\n    operator: sometimes\n    nosuch: error\n`,
        'node.yaml',
        SERVICES,
      ),
    (e: unknown) =>
      e instanceof NodeConfigError &&
      e.problems.some((p) => /startup_error\.operator: expected error\|retry\|ignore/.test(p)) &&
      e.problems.some((p) => /startup_error\.nosuch: unknown service/.test(p)),
  );
});
