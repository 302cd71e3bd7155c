import { test } from 'node:test';
import assert from 'node:assert/strict';
import { watchBursts } from '../../runtime/burst-gc.js';
import { FULL_COLLECTIONS, QUIET_SCAVENGES, type GcFunction } from '../../runtime/idle-gc.js';

const MB = 1 << 20;
const SEQUENCE = QUIET_SCAVENGES + FULL_COLLECTIONS;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A watch on a size the test sets, with a gc that counts and (optionally) shrinks the size as a collection would. */
function fakeIsolate(start: number) {
  const s = { size: start, calls: 0, collected: [] as [number, number][], shrinkTo: undefined as number | undefined };
  const gc: GcFunction = (o) => {
    s.calls++;
    if (o?.type !== 'minor' && s.shrinkTo !== undefined) s.size = s.shrinkTo;
  };
  const w = watchBursts({
    gc,
    busy: () => () => false,
    size: () => s.size,
    quietMs: 2,
    stepMs: 1,
    checkMs: 5,
    growthBytes: 4 * MB,
    onCollected: (before, after) => s.collected.push([before, after]),
  });
  return { s, w };
}

/** The watch's timers are unref'd: the test keeps its loop up meanwhile. */
async function alive(ms: number): Promise<void> {
  const keep = setInterval(() => undefined, 1000);
  await sleep(ms);
  clearInterval(keep);
}

test('a heap that stays level gets no collection', async (t) => {
  const { s, w } = fakeIsolate(20 * MB);
  t.after(() => w.stop());
  s.size = 23 * MB; // under the growth that calls for one
  await alive(100);
  assert.equal(s.calls, 0);
});

test('a heap grown by a burst gets the post-start sequence once, and the next burst counts from what it left', async (t) => {
  const { s, w } = fakeIsolate(20 * MB);
  t.after(() => w.stop());
  s.size = 30 * MB;
  s.shrinkTo = 21 * MB;
  await alive(150);
  assert.equal(s.calls, SEQUENCE, 'eleven scavenges and six full collections');
  assert.deepEqual(s.collected, [[30 * MB, 21 * MB]]);
  // 21 MB is the new mark: 24 MB is not a burst, 26 MB is.
  s.size = 24 * MB;
  await alive(60);
  assert.equal(s.calls, SEQUENCE);
  s.size = 26 * MB;
  s.shrinkTo = 22 * MB;
  await alive(150);
  assert.equal(s.calls, 2 * SEQUENCE);
  assert.deepEqual(s.collected.at(-1), [26 * MB, 22 * MB]);
});

test('memory that is live after the sequence does not start another', async (t) => {
  const { s, w } = fakeIsolate(20 * MB);
  t.after(() => w.stop());
  s.size = 30 * MB; // the collection frees nothing (shrinkTo unset)
  await alive(200);
  assert.equal(s.calls, SEQUENCE);
});

test('a heap that shrank on its own lowers the mark the next burst is measured from', async (t) => {
  const { s, w } = fakeIsolate(20 * MB);
  t.after(() => w.stop());
  s.size = 14 * MB;
  await alive(30);
  s.size = 19 * MB; // 5 MB over the new mark, under the old one
  await alive(150);
  assert.equal(s.calls, SEQUENCE);
});

test('a stopped watch collects nothing', async () => {
  const { s, w } = fakeIsolate(20 * MB);
  w.stop();
  s.size = 40 * MB;
  await alive(60);
  assert.equal(s.calls, 0);
});
