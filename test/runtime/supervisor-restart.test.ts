// Restart types (permanent / transient / temporary) against the faults of the fault fixture:
// crash, exit code, normal exit, hang, typed error; and what a worker's death does to its pending asks.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ActorExitedError, CommandError } from '../../base/errors.js';
import type { WorkerActor } from '../../runtime/worker-ref.js';
import { faultSpec, harness, quiet, waitFor, type Harness, type WhoAmI } from '../fixtures/supervision.js';

function running(h: Harness, id: string, restarts: number): Promise<WorkerActor> {
  return waitFor(() => {
    const i = h.sup.info().find((x) => x.id === id);
    const ref = h.sup.actor(id);
    return i?.status === 'running' && i.restarts === restarts && ref?.status === 'running' ? ref : undefined;
  }, `${id} running with ${restarts} restart(s)`);
}

test('a permanent actor is restarted after a crash', async (t) => {
  const h = harness(t);
  await h.sup.startChild(faultSpec('p'));
  const first = await h.sup.actor('p')!.ask<WhoAmI>({ type: 'fault.whoami' });
  await assert.rejects(h.sup.actor('p')!.ask({ type: 'fault.crash' }), /crash on purpose/);
  const ref = await running(h, 'p', 1);
  const second = await ref.ask<WhoAmI>({ type: 'fault.whoami' });
  assert.notEqual(second.threadId, first.threadId);
  assert.equal(second.label, 'p');
  const exits = h.exits('p');
  assert.equal(exits.length, 1);
  assert.equal(exits[0]!['action'], 'restart');
  assert.equal(exits[0]!['normal'], false);
  assert.equal(exits[0]!['reason'], 'crash on purpose');
  assert.equal(exits[0]!['restartType'], 'permanent');
  assert.equal(exits[0]!['supervisor'], 'root');
});

test('a permanent actor is restarted after it exits with a code, and the report carries the code', async (t) => {
  const h = harness(t);
  await h.sup.startChild(faultSpec('p'));
  await assert.rejects(h.sup.actor('p')!.ask({ type: 'fault.exit', code: 3 }), ActorExitedError);
  await running(h, 'p', 1);
  const exits = h.exits('p');
  assert.equal(exits.length, 1);
  assert.equal(exits[0]!['exitCode'], 3);
  assert.equal(exits[0]!['action'], 'restart');
});

test('a permanent actor is restarted even after a normal exit', async (t) => {
  const h = harness(t);
  await h.sup.startChild(faultSpec('p'));
  h.sup.actor('p')!.send({ type: 'fault.exit-normal' });
  await running(h, 'p', 1);
  assert.equal(h.exits('p')[0]!['normal'], true);
});

test('a transient actor is restarted after an abnormal exit', async (t) => {
  const h = harness(t);
  await h.sup.startChild(faultSpec('tr', {}, { restart: 'transient' }));
  await assert.rejects(h.sup.actor('tr')!.ask({ type: 'fault.crash' }));
  await running(h, 'tr', 1);
  h.sup.actor('tr')!.send({ type: 'fault.exit', code: 7 });
  await running(h, 'tr', 2);
  assert.deepEqual(
    h.exits('tr').map((r) => r['action']),
    ['restart', 'restart'],
  );
});

test('a transient actor is not restarted after fault.exit-normal', async (t) => {
  const h = harness(t);
  await h.sup.startChild(faultSpec('tr', {}, { restart: 'transient' }));
  h.sup.actor('tr')!.send({ type: 'fault.exit-normal' });
  await waitFor(() => h.exits('tr').length === 1, 'the exit report');
  await quiet(200);
  const info = h.sup.info().find((i) => i.id === 'tr');
  assert.equal(info?.status, 'stopped');
  assert.equal(info?.restarts, 0);
  assert.equal(h.exits('tr')[0]!['action'], 'none');
  assert.equal(h.exits('tr')[0]!['normal'], true);
  assert.equal(h.records('fault.init', 'tr').length, 1, 'no second incarnation');
});

test('a temporary actor is never restarted and is removed', async (t) => {
  const h = harness(t);
  await h.sup.startChild(faultSpec('tmp', {}, { restart: 'temporary' }));
  await h.sup.startChild(faultSpec('tmp2', {}, { restart: 'temporary' }));
  await assert.rejects(h.sup.actor('tmp')!.ask({ type: 'fault.crash' }));
  h.sup.actor('tmp2')!.send({ type: 'fault.exit-normal' });
  await waitFor(() => !h.sup.has('tmp') && !h.sup.has('tmp2'), 'both removed');
  await quiet(200);
  assert.equal(h.records('fault.init', 'tmp').length, 1);
  assert.equal(h.records('fault.init', 'tmp2').length, 1);
  assert.deepEqual(h.sup.info(), []);
  assert.ok(h.events.some((e) => e.id === 'tmp' && e.event === 'removed'));
  assert.deepEqual(
    h.exits().map((r) => r['action']),
    ['none', 'none'],
  );
});

test('a typed error fails only that request and the actor goes on in the same thread', async (t) => {
  const h = harness(t);
  await h.sup.startChild(faultSpec('p'));
  const ref = h.sup.actor('p')!;
  const before = await ref.ask<WhoAmI>({ type: 'fault.whoami' });
  await assert.rejects(ref.ask({ type: 'fault.throw-typed' }), CommandError);
  const after = await ref.ask<WhoAmI>({ type: 'fault.whoami' });
  assert.equal(after.threadId, before.threadId);
  assert.equal(h.exits().length, 0);
});

test("a worker's death fails its pending asks with ActorExitedError and writes one child.exit report", async (t) => {
  const h = harness(t);
  await h.sup.startChild(faultSpec('p'));
  const ref = h.sup.actor('p')!;
  const slow = ref.ask({ type: 'fault.slow', ms: 10_000 });
  const slow2 = ref.ask({ type: 'fault.ping' });
  await quiet(20);
  ref.kill();
  await assert.rejects(slow, (err: unknown) => {
    assert.ok(err instanceof ActorExitedError);
    assert.match(err.message, /killed/);
    return true;
  });
  await assert.rejects(slow2, ActorExitedError);
  await running(h, 'p', 1);
  await quiet(100);
  assert.equal(h.exits('p').length, 1);
  assert.match(String(h.exits('p')[0]!['reason']), /killed \(2 pending asks failed\)/);
});

test('a hung actor is ended by kill, its ask fails, and it is restarted', async (t) => {
  const h = harness(t);
  await h.sup.startChild(faultSpec('p'));
  const ref = h.sup.actor('p')!;
  const hung = ref.ask({ type: 'fault.hang' });
  await quiet(50);
  ref.kill();
  await assert.rejects(hung, ActorExitedError);
  const again = await running(h, 'p', 1);
  assert.equal(await again.ask({ type: 'fault.ping' }), 'pong');
});

test('every death writes exactly one child.exit report', async (t) => {
  const h = harness(t, { intensity: 10 });
  await h.sup.startChild(faultSpec('p'));
  const faults = [
    (r: WorkerActor) => r.kill(),
    (r: WorkerActor) => r.send({ type: 'fault.crash' }),
    (r: WorkerActor) => r.send({ type: 'fault.exit', code: 2 }),
    (r: WorkerActor) => r.send({ type: 'fault.exit-normal' }),
  ];
  for (let i = 0; i < faults.length; i++) {
    faults[i]!((await running(h, 'p', i))!);
    await running(h, 'p', i + 1);
  }
  await quiet(100);
  const exits = h.exits('p');
  assert.equal(exits.length, faults.length);
  assert.deepEqual(
    exits.map((r) => r['restarts']),
    [0, 1, 2, 3],
  );
  assert.equal(h.records('fault.init', 'p').length, faults.length + 1);
});

// The whole matrix in one table: restart type x way of dying -> what the supervisor does.
type Fault = 'crash' | 'exit code' | 'exit normal' | 'kill';
const FAULTS: Record<Fault, (ref: WorkerActor) => void> = {
  crash: (r) => r.send({ type: 'fault.crash' }),
  'exit code': (r) => r.send({ type: 'fault.exit', code: 9 }),
  'exit normal': (r) => r.send({ type: 'fault.exit-normal' }),
  kill: (r) => r.kill(),
};
const EXPECT: Record<
  'permanent' | 'transient' | 'temporary',
  Record<Fault, 'restarted' | 'not restarted' | 'removed'>
> = {
  permanent: { crash: 'restarted', 'exit code': 'restarted', 'exit normal': 'restarted', kill: 'restarted' },
  transient: { crash: 'restarted', 'exit code': 'restarted', 'exit normal': 'not restarted', kill: 'restarted' },
  temporary: { crash: 'removed', 'exit code': 'removed', 'exit normal': 'removed', kill: 'removed' },
};

for (const [type, row] of Object.entries(EXPECT) as [keyof typeof EXPECT, (typeof EXPECT)['permanent']][]) {
  test(`restart matrix: a ${type} actor after ${Object.entries(row)
    .map(([f, e]) => `${f} is ${e}`)
    .join(', ')}`, async (t) => {
    const h = harness(t, { intensity: 20 });
    for (const fault of Object.keys(row) as Fault[]) {
      const id = `${type}-${fault.replace(' ', '-')}`;
      await h.sup.startChild(faultSpec(id, {}, { restart: type }));
      FAULTS[fault](h.sup.actor(id)!);
      const expected = row[fault];
      if (expected === 'restarted') await running(h, id, 1);
      else if (expected === 'removed') await waitFor(() => !h.sup.has(id), `${id} removed`);
      else
        await waitFor(() => h.sup.info().find((i) => i.id === id)?.status === 'stopped' || undefined, `${id} stopped`);
      await waitFor(() => h.exits(id).length === 1, `${id}'s report`);
      assert.equal(h.exits(id)[0]!['action'], expected === 'restarted' ? 'restart' : 'none', `${id} report action`);
      assert.equal(h.exits(id)[0]!['normal'], fault === 'exit normal', `${id} report normality`);
      assert.equal(h.records('fault.init', id).length, expected === 'restarted' ? 2 : 1, `${id} incarnations`);
    }
  });
}
