// Strategies (one_for_one / one_for_all / rest_for_one), start and stop order, restart intensity and
// escalation through a nested supervisor up to the root's onGiveUp.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SupervisorChildSpec } from '../../runtime/supervisor.js';
import { faultSpec, harness, quiet, waitFor, type Harness, type WhoAmI } from '../fixtures/supervision.js';

const labels = (h: Harness, msg: 'fault.init' | 'fault.stop', from = 0): string[] =>
  h.sink.records
    .slice(from)
    .filter((r) => r.msg === msg)
    .map((r) => String(r['label']));

async function threads(h: Harness, ids: string[]): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const id of ids) out[id] = (await h.sup.actor(id)!.ask<WhoAmI>({ type: 'fault.whoami' })).threadId;
  return out;
}

function allRunning(h: Harness, restarts: Record<string, number>): Promise<true> {
  return waitFor(
    () =>
      Object.entries(restarts).every(([id, n]) => {
        const i = h.sup.info().find((x) => x.id === id);
        const actorUp = i?.kind === 'supervisor' || h.sup.actor(id)?.status === 'running';
        return i?.status === 'running' && i.restarts === n && actorUp;
      }) || undefined,
    `running with restarts ${JSON.stringify(restarts)}`,
  );
}

const ABC = () => [faultSpec('a'), faultSpec('b'), faultSpec('c')];

test('children start in order and stop in reverse order', async (t) => {
  const h = harness(t, {}, ABC());
  await h.sup.start();
  assert.deepEqual(labels(h, 'fault.init'), ['a', 'b', 'c']);
  const startedOrder = h.events.filter((e) => e.event === 'started').map((e) => e.id);
  assert.deepEqual(startedOrder, ['a', 'b', 'c']);
  await h.sup.stop('test');
  assert.deepEqual(labels(h, 'fault.stop'), ['c', 'b', 'a']);
  assert.ok(h.sup.info().every((i) => i.status === 'stopped'));
  assert.equal(h.exits().length, 0, 'a requested stop is not a crash');
});

test('one_for_one restarts only the crashed child', async (t) => {
  const h = harness(t, { strategy: 'one_for_one' }, ABC());
  await h.sup.start();
  const before = await threads(h, ['a', 'b', 'c']);
  h.sup.actor('b')!.send({ type: 'fault.crash' });
  await allRunning(h, { a: 0, b: 1, c: 0 });
  const after = await threads(h, ['a', 'b', 'c']);
  assert.equal(after['a'], before['a']);
  assert.notEqual(after['b'], before['b']);
  assert.equal(after['c'], before['c']);
});

test('one_for_all restarts every sibling: stopped in reverse, started in order', async (t) => {
  const h = harness(t, { strategy: 'one_for_all' }, ABC());
  await h.sup.start();
  const before = await threads(h, ['a', 'b', 'c']);
  const startedAt = Object.fromEntries(h.sup.info().map((i) => [i.id, i.startedAt]));
  const mark = h.sink.records.length;
  h.sup.actor('b')!.send({ type: 'fault.crash' });
  await allRunning(h, { a: 1, b: 1, c: 1 });
  const after = await threads(h, ['a', 'b', 'c']);
  for (const id of ['a', 'b', 'c']) assert.notEqual(after[id], before[id], `${id} has a new thread`);
  for (const i of h.sup.info()) assert.ok(i.startedAt! >= startedAt[i.id]!, `${i.id} startedAt moved`);
  assert.deepEqual(labels(h, 'fault.stop', mark), ['c', 'a'], 'siblings stop in reverse order');
  assert.deepEqual(labels(h, 'fault.init', mark), ['a', 'b', 'c'], 'then all start in order');
  assert.equal(h.exits().length, 1, 'one report: the crash, not the siblings it took down');
});

test('rest_for_one restarts the crashed child and the later siblings only', async (t) => {
  const h = harness(t, { strategy: 'rest_for_one' }, ABC());
  await h.sup.start();
  const before = await threads(h, ['a', 'b', 'c']);
  const mark = h.sink.records.length;
  h.sup.actor('b')!.send({ type: 'fault.crash' });
  await allRunning(h, { a: 0, b: 1, c: 1 });
  const after = await threads(h, ['a', 'b', 'c']);
  assert.equal(after['a'], before['a'], 'a keeps its thread');
  assert.notEqual(after['b'], before['b']);
  assert.notEqual(after['c'], before['c']);
  assert.deepEqual(labels(h, 'fault.stop', mark), ['c']);
  assert.deepEqual(labels(h, 'fault.init', mark), ['b', 'c']);
});

test('a temporary sibling taken down by one_for_all is removed, not restarted (OTP)', async (t) => {
  const h = harness(t, { strategy: 'one_for_all' }, [
    faultSpec('a'),
    faultSpec('tmp', {}, { restart: 'temporary' }),
    faultSpec('c'),
  ]);
  await h.sup.start();
  h.sup.actor('a')!.send({ type: 'fault.crash' });
  await allRunning(h, { a: 1, c: 1 });
  assert.equal(h.sup.has('tmp'), false);
  assert.equal(h.records('fault.init', 'tmp').length, 1);
});

test('more than `intensity` restarts within `period` makes the supervisor give up and call onGiveUp', async (t) => {
  const h = harness(t, { intensity: 2, period: 10 }, [faultSpec('a'), faultSpec('b')]);
  await h.sup.start();
  for (let i = 0; i < 2; i++) {
    h.sup.actor('a')!.send({ type: 'fault.crash' });
    await allRunning(h, { a: i + 1, b: 0 });
  }
  assert.equal(h.giveUps.length, 0);
  h.sup.actor('a')!.send({ type: 'fault.crash' });
  await waitFor(() => h.giveUps.length === 1, 'the give-up');
  assert.equal(h.giveUps[0]!.name, 'EscalationError');
  assert.match(h.giveUps[0]!.message, /supervisor root gave up: a exceeded restart intensity 2 in 10s/);
  assert.equal(h.sup.status, 'failed');
  assert.equal(h.sup.info().find((i) => i.id === 'b')?.status, 'stopped', 'the others are stopped');
  assert.deepEqual(
    h.exits('a').map((r) => r['action']),
    ['restart', 'restart', 'escalate'],
  );
  assert.equal(h.sink.records.filter((r) => r['event'] === 'supervisor.give_up').length, 1);
  await quiet(100);
  assert.equal(h.records('fault.init', 'a').length, 3, 'no restart after giving up');
});

test('restarts older than `period` do not count toward intensity', async (t) => {
  let now = 0;
  const h = harness(t, { intensity: 1, period: 10 }, [faultSpec('a')], { now: () => now });
  await h.sup.start();
  for (let i = 0; i < 3; i++) {
    now += 11_000;
    h.sup.actor('a')!.send({ type: 'fault.crash' });
    await allRunning(h, { a: i + 1 });
  }
  assert.equal(h.giveUps.length, 0);
});

test('a nested supervisor that gives up is restarted by its parent as a subtree', async (t) => {
  const inner: SupervisorChildSpec = {
    id: 'inner',
    kind: 'supervisor',
    restart: 'permanent',
    flags: { strategy: 'one_for_one', intensity: 1, period: 10 },
    children: [faultSpec('x'), faultSpec('y')],
  };
  const h = harness(t, { intensity: 1, period: 10 }, [faultSpec('outer'), inner]);
  await h.sup.start();
  assert.deepEqual(labels(h, 'fault.init'), ['outer', 'x', 'y']);
  const before = await threads(h, ['outer', 'x', 'y']);
  h.sup.actor('x')!.send({ type: 'fault.crash' });
  await allRunning(h, { x: 1 });
  // Second crash within the period: the inner supervisor gives up, the root restarts the subtree.
  const mark = h.sink.records.length;
  h.sup.actor('x')!.send({ type: 'fault.crash' });
  await waitFor(() => h.sup.info().find((i) => i.id === 'inner')?.restarts === 1 || undefined, 'the subtree restart');
  await allRunning(h, { inner: 1, outer: 0, x: 0, y: 0 });
  assert.deepEqual(labels(h, 'fault.stop', mark), ['y'], 'the inner supervisor stopped its other child');
  assert.deepEqual(labels(h, 'fault.init', mark), ['x', 'y'], 'and the fresh subtree started in order');
  const after = await threads(h, ['outer', 'x', 'y']);
  assert.equal(after['outer'], before['outer']);
  assert.notEqual(after['y'], before['y']);
  assert.equal(h.giveUps.length, 0);
  const giveUps = h.sink.records.filter((r) => r['event'] === 'supervisor.give_up');
  assert.deepEqual(
    giveUps.map((r) => r['supervisor']),
    ['inner'],
  );
  assert.equal(h.exits('inner').length, 1);
  assert.equal(h.exits('inner')[0]!['action'], 'restart');
  assert.equal(h.exits('inner')[0]!['kind'], 'supervisor');

  // The inner supervisor gives up again within the root's period: the root gives up too.
  h.sup.actor('x')!.send({ type: 'fault.crash' });
  await allRunning(h, { inner: 1, x: 1 });
  h.sup.actor('x')!.send({ type: 'fault.crash' });
  await waitFor(() => h.giveUps.length === 1, "the root's give-up");
  assert.match(h.giveUps[0]!.message, /supervisor root gave up: inner exceeded restart intensity 1/);
  assert.equal(h.sup.status, 'failed');
  assert.ok(h.sup.info().every((i) => i.status !== 'running'));
});
