// The actor host's post-start collection (runtime/idle-gc.ts), seen from outside a real worker: its V8 heap
// (`sys.stats`, heapTotal: what the isolate's spaces hold committed, the young generation included).
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { faultSpec, harness } from '../fixtures/supervision.js';
import type { IdleGcState } from '../../runtime/idle-gc.js';

const MB = 1024 * 1024;

interface Stats {
  heapTotal: number;
  /** Where the post-start collection stands (runtime/host.ts `idleGcState`). */
  idleGc: IdleGcState;
}

/** Starts a fault actor with ELRT_IDLE_GC_MS as given (a worker copies the environment when it starts). */
async function startWith(t: TestContext, id: string, quietMs: string | undefined) {
  const h = harness(t);
  const saved = process.env['ELRT_IDLE_GC_MS'];
  if (quietMs === undefined) delete process.env['ELRT_IDLE_GC_MS'];
  else process.env['ELRT_IDLE_GC_MS'] = quietMs;
  try {
    await h.sup.startChild(faultSpec(id));
  } finally {
    if (saved === undefined) delete process.env['ELRT_IDLE_GC_MS'];
    else process.env['ELRT_IDLE_GC_MS'] = saved;
  }
  const ref = h.sup.actor(id)!;
  // What a start allocates: the young generation grows to several MB.
  await ref.ask({ type: 'fault.churn' });
  const grown = (await ref.ask<Stats>({ type: 'sys.stats' })).heapTotal;
  return { ref, grown };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('a worker quiet after its start gives its grown young generation back within seconds', async (t) => {
  const { ref, grown } = await startWith(t, 'quiet', undefined);
  // 1 s quiet, eleven scavenges 100 ms apart, six full collections; polled, for a loaded machine.
  let s = await ref.ask<Stats>({ type: 'sys.stats' });
  for (let i = 0; i < 16 && s.idleGc === 'waiting'; i++) {
    await sleep(400);
    s = await ref.ask<Stats>({ type: 'sys.stats' });
  }
  const now = s.heapTotal;
  t.diagnostic(`heap ${(grown / MB).toFixed(1)} -> ${(now / MB).toFixed(1)} MB, post-start ${s.idleGc}`);
  assert.equal(s.idleGc, 'collected');
  assert.ok(grown - now >= 4 * MB, `heap ${(grown / MB).toFixed(1)} -> ${(now / MB).toFixed(1)} MB`);
});

test('with ELRT_IDLE_GC_MS=0 the grown young generation stays until V8 gives it back itself', async (t) => {
  const { ref, grown } = await startWith(t, 'off', '0');
  await sleep(3000);
  const s = await ref.ask<Stats>({ type: 'sys.stats' });
  assert.equal(s.idleGc, 'off');
  const now = s.heapTotal;
  t.diagnostic(`heap ${(grown / MB).toFixed(1)} -> ${(now / MB).toFixed(1)} MB`);
  assert.ok(grown - now < 2 * MB, `heap ${(grown / MB).toFixed(1)} -> ${(now / MB).toFixed(1)} MB`);
});

test('a worker kept busy by its messages gets no post-start collection', async (t) => {
  // A 300 ms quiet time: a host that ignored the load would have ended its sequence (300 ms, eleven scavenges and
  // six full collections 100 ms apart) about 1 s before the check below.
  const { ref, grown } = await startWith(t, 'busy', '300');
  // 100 ms of work per message, one after another for 3 s: each window is busy most of the time, even when the
  // asking thread stalls for a while on a loaded machine (at 30 ms per message a CI run once let a window pass as
  // quiet).
  const until = performance.now() + 3000;
  while (performance.now() < until) await ref.ask({ type: 'fault.spin', ms: 100 });
  const s = await ref.ask<Stats>({ type: 'sys.stats' });
  t.diagnostic(`heap ${(grown / MB).toFixed(1)} -> ${(s.heapTotal / MB).toFixed(1)} MB, post-start ${s.idleGc}`);
  // The host's own word, not the heap's size: V8 may shrink a heap on its own at any moment.
  assert.equal(s.idleGc, 'waiting');
});

test('a worker quiet again after a burst gives back the young generation the burst grew (burst-gc.ts)', async (t) => {
  const { ref, grown } = await startWith(t, 'burst', undefined);
  // The post-start collection first: the mark the burst is measured from.
  let settled = grown;
  for (let i = 0; i < 16 && grown - settled < 4 * MB; i++) {
    await sleep(400);
    settled = (await ref.ask<Stats>({ type: 'sys.stats' })).heapTotal;
  }
  assert.ok(
    grown - settled >= 4 * MB,
    `post-start: heap ${(grown / MB).toFixed(1)} -> ${(settled / MB).toFixed(1)} MB`,
  );
  await sleep(1500); // the watch starts once the post-start sequence has ended
  await ref.ask({ type: 'fault.churn' });
  const burst = (await ref.ask<Stats>({ type: 'sys.stats' })).heapTotal;
  assert.ok(
    burst - settled >= 4 * MB,
    `the burst grew the heap: ${(settled / MB).toFixed(1)} -> ${(burst / MB).toFixed(1)} MB`,
  );
  // A check within 1 s, 1 s quiet, eleven scavenges and six full collections 100 ms apart: about 3.5 s.
  // Back near the mark; V8's own memory reducer would do it 8-10 s later (idle-gc.ts): polled for 6 s.
  const t0 = performance.now();
  let now = burst;
  while (performance.now() - t0 < 6000 && now - settled >= 3 * MB) {
    await sleep(250);
    now = (await ref.ask<Stats>({ type: 'sys.stats' })).heapTotal;
  }
  const s = ((performance.now() - t0) / 1000).toFixed(1);
  t.diagnostic(
    `heap ${(settled / MB).toFixed(1)} -> ${(burst / MB).toFixed(1)} -> ${(now / MB).toFixed(1)} MB in ${s} s`,
  );
  assert.ok(now - settled < 3 * MB, `after the burst: heap ${(burst / MB).toFixed(1)} -> ${(now / MB).toFixed(1)} MB`);
});
