// The SharedArrayBuffer ring: single-thread edge cases (full, order, padding and wrap-around at every
// alignment, the 2^32 counter wrap, close, oversized records) and two threads pushing a few hundred
// thousand variable-size msgpack records through a 4 KiB ring in each direction.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Packr, Unpackr } from 'msgpackr';
import { RING_CONTROL, Ring } from '../../runtime/ring.js';
import { ringRecord, sameRecord } from '../fixtures/ring-records.js';
import { firstMessage, spawnTsWorker } from '../fixtures/ts-worker.js';

const bytes = (n: number, seed: number): Uint8Array =>
  Uint8Array.from({ length: n }, (_, k) => (seed * 131 + k) & 0xff);

/**
 * A fresh ring whose HEAD and TAIL both sit at byte `offset` of the data area (one that does not rewind when
 * empty, so the next record is written there, across the data area's end if it is long enough).
 */
function ringAt(offset: number, capacity = 1024): Ring {
  const ring = Ring.create(capacity, { rewind: false });
  if (offset > 0) {
    assert.equal(ring.pushBytes(new Uint8Array(offset - 4)), true);
    assert.equal(ring.popBytes()?.length, offset - 4);
  }
  assert.equal(ring.used(), 0);
  return ring;
}

test('push fills the ring and then returns false without writing; a pop makes room again', () => {
  const ring = Ring.create(1024);
  assert.equal(ring.capacity, 1024);
  let n = 0;
  while (ring.pushBytes(bytes(36, n))) n++;
  assert.equal(n, 25, '25 records of 4 + 36 bytes fit in 1024');
  assert.equal(ring.used(), 1000);
  assert.equal(ring.pushBytes(bytes(36, 99)), false);
  assert.equal(ring.used(), 1000, 'a refused push writes nothing');
  assert.deepEqual(ring.popBytes(), bytes(36, 0));
  assert.equal(ring.pushBytes(bytes(36, 25)), true);
  for (let i = 1; i <= 25; i++) assert.deepEqual(ring.popBytes(), bytes(36, i));
  assert.equal(ring.popBytes(), undefined);
  assert.deepEqual(ring.stats(), { pushed: 26, popped: 26, usedBytes: 0, capacity: 1024 });
});

test('values come out in the order they went in', () => {
  const ring = Ring.create<unknown>(4096);
  const values = [1, 'two', { three: [3] }, null, true, -5.5, '', [], { nested: { deep: 'x'.repeat(300) } }];
  assert.equal(ring.pushMany(values), values.length);
  assert.deepEqual(ring.drain(3), values.slice(0, 3));
  for (const v of values.slice(3)) assert.deepEqual(ring.pop(), v);
  assert.equal(ring.pop(), undefined);
});

test('records of 0, 1, 3, 4 and 5 bytes round-trip at every alignment around the end of the data area', () => {
  const cap = 1024;
  const sizes = [0, 1, 3, 4, 5, 0, 5, 4, 3, 1, 7, 8, 9];
  for (let offset = cap - 48; offset <= cap; offset += 4) {
    const ring = ringAt(offset, cap);
    const sent = sizes.map((n, k) => bytes(n, offset + k));
    for (const b of sent) assert.equal(ring.pushBytes(b), true);
    const padded = sizes.reduce((sum, n) => sum + ((4 + n + 3) & ~3), 0);
    assert.equal(ring.used(), padded, `framing at offset ${offset}`);
    for (const b of sent) assert.deepEqual(ring.popBytes(), b, `record at offset ${offset}`);
    assert.equal(ring.used(), 0);
  }
});

test('a record whose payload is split across the end of the data area is reassembled', () => {
  const cap = 1024;
  for (const at of [cap - 4, cap - 8, cap - 12]) {
    for (const n of [1, 3, 4, 5, 100, 600]) {
      const ring = ringAt(at, cap);
      const b = bytes(n, at + n);
      assert.equal(ring.pushBytes(b), true);
      assert.deepEqual(ring.popBytes(), b, `${n} bytes at ${at}`);
    }
  }
});

test('a record that fills the whole data area fits exactly; one byte more is a RangeError', () => {
  const ring = Ring.create(1024);
  assert.equal(ring.maxRecordBytes(), 1020);
  assert.equal(ring.pushBytes(bytes(1020, 1)), true);
  assert.equal(ring.used(), 1024);
  assert.equal(ring.pushBytes(new Uint8Array(0)), false, 'not even an empty record fits now');
  assert.deepEqual(ring.popBytes(), bytes(1020, 1));
  assert.throws(() => ring.pushBytes(new Uint8Array(1021)), RangeError);
  assert.throws(() => ring.push('x'.repeat(5000)), RangeError);
  assert.equal(ring.used(), 0, 'a refused oversized record leaves nothing behind');
});

test('pushBytesMany writes what fits with one publish and drainBytes takes up to max', () => {
  const ring = Ring.create(1024);
  const recs = Array.from({ length: 30 }, (_, i) => bytes(36, i)); // 40 bytes each framed
  assert.equal(ring.pushBytesMany(recs), 25, 'stops at the first record that does not fit');
  assert.equal(ring.stats().pushed, 25);
  assert.equal(ring.pushBytesMany(recs.slice(25)), 0);
  const first = ring.drainBytes(10);
  assert.equal(first.length, 10);
  first.forEach((b, i) => assert.deepEqual(b, recs[i]));
  assert.equal(ring.pushBytesMany(recs.slice(25)), 5);
  const rest = ring.drainBytes();
  assert.deepEqual(rest, [...recs.slice(10, 25), ...recs.slice(25)]);
  assert.deepEqual(ring.drainBytes(), []);
  assert.equal(ring.stats().popped, 30);
  // An oversized record stops a batch after others, and throws when it comes first.
  assert.equal(ring.pushBytesMany([bytes(4, 1), new Uint8Array(2000), bytes(4, 2)]), 1);
  assert.throws(() => ring.pushBytesMany([new Uint8Array(2000)]), RangeError);
  assert.deepEqual(ring.drainBytes(), [bytes(4, 1)]);
  assert.equal(ring.pushMany(['a', 'b', 'x'.repeat(3000)]), 2);
  assert.deepEqual(ring.drain(), ['a', 'b']);
});

test('the free-running HEAD and TAIL counters wrap at 2^32 without losing a record', () => {
  const created = Ring.create<number[]>(1024);
  const ctl = new Int32Array(created.sab, 0, RING_CONTROL.bytes / 4);
  ctl[RING_CONTROL.HEAD] = -64; // 2^32 - 64
  ctl[RING_CONTROL.TAIL] = -64;
  const ring = Ring.attach<number[]>(created.sab);
  assert.equal(ring.used(), 0);
  for (let i = 0; i < 200; i++) {
    const v = [i, i * 2, i * 3];
    assert.equal(ring.push(v), true);
    if (i % 3 === 0) assert.equal(ring.push([i]), true);
    assert.deepEqual(ring.pop(), v);
    if (i % 3 === 0) assert.deepEqual(ring.pop(), [i]);
  }
  assert.ok(ctl[RING_CONTROL.HEAD]! > 0, 'HEAD went past 2^32 and wrapped');
  assert.equal(ring.used(), 0);
});

test('close() wakes a consumer waiting for data and a producer waiting for space', async () => {
  const ring = Ring.create(1024);
  const t0 = performance.now();
  const waiting = ring.waitForData(10_000);
  setTimeout(() => ring.close(), 20);
  assert.equal(await waiting, false);
  assert.ok(performance.now() - t0 < 2000);
  assert.equal(ring.isClosed(), true);

  const full = Ring.create(1024);
  assert.equal(full.pushBytes(bytes(1020, 0)), true);
  const t1 = performance.now();
  const space = full.waitForSpace(16, 10_000);
  setTimeout(() => full.close(), 20);
  assert.equal(await space, false);
  assert.ok(performance.now() - t1 < 2000);
});

test('waitForData resolves when a record arrives and false when the timeout passes', async () => {
  const ring = Ring.create(1024);
  const t0 = performance.now();
  assert.equal(await ring.waitForData(60), false);
  assert.ok(performance.now() - t0 >= 50);
  setTimeout(() => ring.push('hello'), 20);
  assert.equal(await ring.waitForData(10_000), true);
  assert.equal(ring.pop(), 'hello');
  // Data pushed before a close is still delivered.
  ring.push('last');
  ring.close();
  assert.equal(await ring.waitForData(10), true);
  assert.equal(ring.pop(), 'last');
  assert.equal(await ring.waitForData(10), false);
});

/** The producer's position in the data area (HEAD modulo the capacity). */
const headAt = (ring: Ring): number =>
  (new Int32Array(ring.sab, 0, RING_CONTROL.bytes / 4)[RING_CONTROL.HEAD]! >>> 0) & (ring.capacity - 1);

test('an empty ring is rewound: a trickle of small records keeps to the first 320 KiB of a 1 MiB ring', () => {
  // A SharedArrayBuffer's pages become resident as they are first written: without the rewind, records that the
  // consumer takes at once still walk the whole data area (the control ring below does).
  // 100-byte records reach across pages; 60-byte ones (64 framed) divide the page and never do.
  for (const [size, rewind] of [
    [100, true],
    [100, false],
    [60, true],
  ] as const) {
    const ring = Ring.create(1 << 20, { rewind });
    let furthest = 0;
    for (let i = 0; i < 40_000; i++) {
      assert.equal(ring.pushBytes(bytes(size, i)), true);
      furthest = Math.max(furthest, headAt(ring));
      if (i % 2 === 1) {
        // Both consumer paths follow the skip word.
        assert.deepEqual(ring.popBytes(), bytes(size, i - 1));
        assert.deepEqual(ring.drainBytes(), [bytes(size, i)]);
      }
    }
    assert.equal(ring.used(), 0);
    // The producer looks for an empty ring when a record is about to reach into another page, and every second
    // record is written while the one before waits (not empty then): a crossing may pass, the next one rewinds.
    if (rewind) assert.ok(furthest <= (256 + 64) << 10, `${size} B: stayed in the first 320 KiB: reached ${furthest}`);
    else assert.ok(furthest > (1 << 20) - 208, `the control ring walked its whole data area: reached ${furthest}`);
  }
});

test('records keep their order and bytes through rewinds, backlogs and wraps (random pushes and pops)', () => {
  // A 4 KiB ring rewinds past 1 KiB when empty; random batches leave it empty at every kind of position, full,
  // or holding a backlog across the end of the data area.
  let rewinds = 0;
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          // Small records (a quarter of the rewind point or less) are the ones a ring rewinds for.
          sizes: fc.array(fc.oneof(fc.integer({ min: 0, max: 250 }), fc.integer({ min: 0, max: 1500 })), {
            maxLength: 6,
          }),
          pops: fc.nat(8),
          many: fc.boolean(),
        }),
        { minLength: 1, maxLength: 60 },
      ),
      (steps) => {
        const ring = Ring.create(4096, { rewind: true });
        let pushed = 0;
        let popped = 0;
        // Record k is bytes(size, k): its content says which it is.
        const check = (b: Uint8Array): void => assert.deepEqual(b, bytes(b.length, popped++));
        for (const step of steps) {
          const recs = step.sizes.map((n, k) => bytes(n, pushed + k));
          const before = { used: ring.used(), pushed };
          if (step.many) pushed += ring.pushBytesMany(recs);
          else
            for (const r of recs)
              if (ring.pushBytes(r)) pushed++;
              else break;
          // More bytes in use than the records written: a skip word went with them.
          const framed = recs.slice(0, pushed - before.pushed).reduce((n, r) => n + ((r.length + 7) & ~3), 0);
          if (ring.used() - before.used > framed) rewinds++;
          if (step.many) ring.drainBytes(step.pops).forEach(check);
          else
            for (let k = 0; k < step.pops; k++) {
              const b = ring.popBytes();
              if (b !== undefined) check(b);
            }
        }
        ring.drainBytes().forEach(check);
        assert.equal(popped, pushed);
        assert.equal(ring.used(), 0);
      },
    ),
    { numRuns: 300 },
  );
  assert.ok(rewinds > 100, `the runs rewound the ring ${rewinds} times`);
});

test('200k variable-size records from a producer thread arrive in order and intact through a 4 KiB ring', async (t) => {
  const count = 200_000;
  // Rewound when empty, as the ingest rings are: the consumer meets skip words written by another thread.
  const ring = Ring.create(4096, { rewind: true });
  assert.equal(ring.capacity, 4096);
  const w = spawnTsWorker(new URL('../fixtures/ring-producer.ts', import.meta.url), { sab: ring.sab, count });
  t.after(() => w.terminate());
  const done = firstMessage<{ pushed: number; waits: number }>(w);
  let next = 0;
  let wraps = 0;
  let lastTail = 0;
  const deadline = Date.now() + 60_000;
  const unpackr = new Unpackr({ useRecords: false });
  let turn = 0;
  while (await ring.waitForData(10_000)) {
    assert.ok(Date.now() < deadline, 'the transfer is bounded in time');
    for (;;) {
      // Alternate single pops and batches, so both consumer paths see every kind of wrap.
      const recs =
        turn++ % 2 === 0
          ? [ring.pop()].filter((r) => r !== undefined)
          : ring.drainBytes(7).map((b) => unpackr.unpack(b));
      if (recs.length === 0) break;
      for (const rec of recs) {
        if (!sameRecord(rec, ringRecord(next))) assert.deepEqual(rec, ringRecord(next), `record ${next}`);
        next++;
      }
    }
    const tail = new Int32Array(ring.sab, 0, RING_CONTROL.bytes / 4)[RING_CONTROL.TAIL]! >>> 0;
    wraps += Math.floor(tail / ring.capacity) - Math.floor(lastTail / ring.capacity);
    lastTail = tail;
  }
  const report = await done;
  assert.equal(next, count, 'every record arrived');
  assert.equal(report.pushed, count);
  assert.ok(report.waits > 100, `the producer had to wait for space (${report.waits} times)`);
  assert.ok(wraps > 1000, `the ring wrapped ${wraps} times`);
  assert.equal(ring.isClosed(), true);
  assert.deepEqual(ring.stats().pushed, count);
  assert.deepEqual(ring.stats().popped, count);
});

test('records pushed on the main thread with waitForSpace arrive intact in a consumer thread', async (t) => {
  const count = 50_000;
  const ring = Ring.create(4096);
  const w = spawnTsWorker(new URL('../fixtures/ring-consumer.ts', import.meta.url), { sab: ring.sab });
  t.after(() => w.terminate());
  const done = firstMessage<{ popped: number; firstBad: number | null; closed: boolean }>(w);
  const packr = new Packr({ useRecords: false, moreTypes: false });
  let waits = 0;
  for (let i = 0; i < count; i++) {
    const rec = ringRecord(i);
    while (!ring.push(rec)) {
      waits++;
      assert.equal(await ring.waitForSpace(packr.pack(rec).length, 10_000), true, `space for record ${i}`);
    }
  }
  ring.close();
  const report = await done;
  assert.deepEqual(report, { popped: count, firstBad: null, closed: true });
  assert.ok(waits > 10, `the producer waited for space ${waits} times`);
});
