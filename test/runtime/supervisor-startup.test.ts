// Startup failure is not a crash: the policies error | retry | ignore, a hang in init, a restart whose
// init fails (never a respawn loop), and stop hooks that are slow or hang (cut at shutdownMs).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { StartupError } from '../../base/errors.js';
import { faultSpec, harness, quiet, waitFor } from '../fixtures/supervision.js';

function incarnationFile(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'elrt-fault-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'incarnations');
}

test('a hang in init is a StartupError after startTimeoutMs', async (t) => {
  const h = harness(t);
  const t0 = performance.now();
  await assert.rejects(
    h.sup.startChild(faultSpec('h', { initHang: true }, { startTimeoutMs: 2000 })),
    (err: unknown) => {
      assert.ok(err instanceof StartupError);
      assert.match(err.message, /no ready within 2000 ms/);
      return true;
    },
  );
  const elapsed = performance.now() - t0;
  assert.ok(elapsed >= 1950 && elapsed < 5000, `rejected after ${Math.round(elapsed)} ms`);
  assert.equal(h.records('fault.init', 'h').length, 1, 'init was entered, then hung');
  assert.equal(h.sup.has('h'), false, 'a child that never started is not kept');
  assert.equal(h.exits().length, 0, 'a startup failure is not a crash report');
});

test('startupError error: startChild rejects with StartupError and nothing respawns', async (t) => {
  const h = harness(t);
  await assert.rejects(
    h.sup.startChild(faultSpec('e', { initThrow: true }, { startupError: 'error' })),
    (err: unknown) => err instanceof StartupError && /init failed on purpose/.test(err.message),
  );
  await quiet(300);
  assert.equal(h.records('child failed to start', 'e').length, 1);
  assert.equal(h.records('fault.init', 'e').length, 1);
  assert.equal(h.giveUps.length, 0);
});

test('startupError retry makes startRetries bounded extra attempts, then fails as error', async (t) => {
  const h = harness(t);
  await assert.rejects(
    h.sup.startChild(faultSpec('r', { initThrow: true }, { startupError: 'retry', startRetries: 2 })),
    StartupError,
  );
  const tries = h.records('child failed to start', 'r');
  assert.deepEqual(
    tries.map((r) => r['attempt']),
    [1, 2, 3],
  );
  await quiet(400);
  assert.equal(h.records('fault.init', 'r').length, 3, 'no attempt after the last retry');
});

test('startupError retry succeeds when a later attempt starts', async (t) => {
  const h = harness(t);
  const file = incarnationFile(t);
  await h.sup.startChild(
    faultSpec('r', { incarnationFile: file, initThrowOn: [1] }, { startupError: 'retry', startRetries: 3 }),
  );
  assert.equal(h.sup.actor('r')?.status, 'running');
  assert.equal(h.records('child failed to start', 'r').length, 1);
  assert.equal(await h.sup.actor('r')!.ask({ type: 'fault.ping' }), 'pong');
});

test('startupError ignore marks the child failed without escalation or respawn', async (t) => {
  const h = harness(t, { intensity: 0 });
  await h.sup.startChild(faultSpec('ok'));
  await h.sup.startChild(faultSpec('i', { initThrow: true }, { startupError: 'ignore' }));
  const info = h.sup.info().find((x) => x.id === 'i');
  assert.equal(info?.status, 'failed');
  assert.match(info?.error ?? '', /init failed on purpose/);
  await quiet(300);
  assert.equal(h.records('fault.init', 'i').length, 1, 'spawned once');
  assert.equal(h.giveUps.length, 0, 'no escalation even with intensity 0');
  assert.equal(h.sup.actor('ok')?.status, 'running');
  assert.equal(h.exits().length, 0);
});

test('a restart whose init fails leaves the child failed instead of respawning in a loop', async (t) => {
  const h = harness(t);
  const file = incarnationFile(t);
  await h.sup.startChild(faultSpec('p', { incarnationFile: file, initThrowOn: [2, 3, 4, 5, 6, 7, 8] }));
  h.sup.actor('p')!.send({ type: 'fault.crash' });
  await waitFor(() => h.sup.info().find((x) => x.id === 'p')?.status === 'failed', 'the failed restart');
  await quiet(300);
  assert.equal(h.records('child failed to start', 'p').length, 1, 'one spawn for the restart');
  assert.equal(h.records('fault.init', 'p').length, 2);
  assert.equal(h.records('child restart failed', 'p').length, 1);
  assert.equal(h.giveUps.length, 0);
});

test('a restart with startupError retry tries a bounded number of times', async (t) => {
  const h = harness(t);
  const file = incarnationFile(t);
  await h.sup.startChild(
    faultSpec(
      'p',
      { incarnationFile: file, initThrowOn: [2, 3, 4, 5, 6, 7, 8] },
      { startupError: 'retry', startRetries: 2 },
    ),
  );
  h.sup.actor('p')!.send({ type: 'fault.crash' });
  await waitFor(() => h.sup.info().find((x) => x.id === 'p')?.status === 'failed', 'the failed restart');
  await quiet(300);
  assert.equal(h.records('child failed to start', 'p').length, 3);
  assert.equal(h.records('fault.init', 'p').length, 4);
});

test('a child failing to start during start() stops the children already started, in reverse', async (t) => {
  const h = harness(t, {}, [faultSpec('a'), faultSpec('b'), faultSpec('bad', { initThrow: true }), faultSpec('d')]);
  await assert.rejects(h.sup.start(), StartupError);
  assert.deepEqual(
    h.sink.records.filter((r) => r.msg === 'fault.stop').map((r) => r['label']),
    ['b', 'a'],
  );
  assert.equal(h.records('fault.init', 'd').length, 0, 'later children never start');
  assert.equal(h.sup.status, 'failed');
});

test('a stop hook slower than shutdownMs is cut short', async (t) => {
  const h = harness(t);
  await h.sup.startChild(faultSpec('slow', { stopDelayMs: 20_000 }, { shutdownMs: 300 }));
  const t0 = performance.now();
  await h.sup.removeChild('slow');
  const elapsed = performance.now() - t0;
  assert.ok(elapsed >= 280 && elapsed < 1500, `stopped after ${Math.round(elapsed)} ms`);
  assert.equal(h.records('fault.stop', 'slow').length, 1, 'the hook ran');
});

test('a stop hook that hangs the thread is cut at shutdownMs', async (t) => {
  const h = harness(t);
  await h.sup.startChild(faultSpec('hang', { stopHang: true }, { shutdownMs: 300 }));
  const t0 = performance.now();
  await h.sup.removeChild('hang');
  const elapsed = performance.now() - t0;
  assert.ok(elapsed >= 280 && elapsed < 1500, `stopped after ${Math.round(elapsed)} ms`);
  assert.equal(h.records('fault.stop', 'hang').length, 1);
  assert.equal(h.exits().length, 0, 'a requested stop is not a crash, even when cut short');
});

test('a stop hook within shutdownMs completes normally', async (t) => {
  const h = harness(t);
  await h.sup.startChild(faultSpec('s', { stopDelayMs: 150 }, { shutdownMs: 3000 }));
  const t0 = performance.now();
  await h.sup.stop('done');
  const elapsed = performance.now() - t0;
  assert.ok(elapsed >= 140 && elapsed < 2000, `stopped after ${Math.round(elapsed)} ms`);
  assert.equal(h.records('fault.stop', 's')[0]!['reason'], 'done');
  assert.equal(h.sup.info()[0]?.status, 'stopped');
});
