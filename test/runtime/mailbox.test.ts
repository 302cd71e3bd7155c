// The WorkerActor's bounded mailbox and asks: timeouts, backpressure (send refuses, ask rejects,
// whenWritable waits for credits), and that nothing accepted is lost.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AskTimeoutError, MailboxFullError } from '../../base/errors.js';
import { Ring } from '../../runtime/ring.js';
import { faultSpec, harness } from '../fixtures/supervision.js';

test('an ask without a reply in time rejects with a retriable AskTimeoutError and the actor goes on', async (t) => {
  const h = harness(t);
  await h.sup.startChild(faultSpec('a'));
  const ref = h.sup.actor('a')!;
  const t0 = performance.now();
  await assert.rejects(ref.ask({ type: 'fault.slow', ms: 400 }, 50), (err: unknown) => {
    assert.ok(err instanceof AskTimeoutError);
    assert.equal(err.retriable, true);
    assert.match(err.message, /no reply to fault\.slow within 50 ms/);
    return true;
  });
  assert.ok(performance.now() - t0 < 350, 'rejected at the timeout, not at the reply');
  // The late reply is dropped; the next ask is answered in order after the slow one.
  assert.equal(await ref.ask({ type: 'fault.ping' }), 'pong');
  assert.equal(h.exits().length, 0);
});

test('a full mailbox refuses send, rejects ask with MailboxFullError, and whenWritable waits for credits', async (t) => {
  const h = harness(t);
  await h.sup.startChild(faultSpec('busy', {}, { mailboxCapacity: 8 }));
  const ref = h.sup.actor('busy')!;
  assert.equal(ref.capacity, 8);
  for (let i = 0; i < 8; i++) assert.equal(ref.send({ type: 'fault.slow', ms: 150 }), true, `send ${i + 1} accepted`);
  assert.equal(ref.mailboxDepth, 8);
  assert.equal(ref.send({ type: 'fault.ping' }), false, 'the ninth send is refused');
  await assert.rejects(ref.ask({ type: 'fault.ping' }), (err: unknown) => {
    assert.ok(err instanceof MailboxFullError);
    assert.equal(err.retriable, true);
    return true;
  });
  const t0 = performance.now();
  await ref.whenWritable();
  const waited = performance.now() - t0;
  // Credits come back as messages are handled, not only when the whole mailbox has drained (8 x 150 ms).
  assert.ok(waited >= 100 && waited < 8 * 150 - 300, `writable after ${Math.round(waited)} ms`);
  assert.ok(ref.mailboxDepth < 8);
  assert.equal(ref.send({ type: 'fault.ping' }), true);
});

test('a sender waiting on a full mailbox is woken while the actor is still busy with the rest of it', async (t) => {
  const h = harness(t);
  await h.sup.startChild(faultSpec('busy', {}, { mailboxCapacity: 8 }));
  const ref = h.sup.actor('busy')!;
  // Eight messages that block the worker 100 ms each, one after the other, with no turn of its event loop between
  // them: a credit returned only at the end of the host's turn would wake the sender after all eight (800 ms).
  for (let i = 0; i < 8; i++) assert.equal(ref.send({ type: 'fault.busy', ms: 100 }), true);
  assert.equal(ref.send({ type: 'fault.ping' }), false);
  await ref.whenWritable();
  const depth = ref.mailboxDepth;
  assert.ok(depth > 0 && depth <= 6, `woken with ${depth} of 8 still in the mailbox (a quarter handled)`);
  assert.equal(ref.send({ type: 'fault.ping' }), true);
  assert.equal(await ref.ask({ type: 'fault.ping' }), 'pong');
  assert.equal(ref.mailboxDepth, 0);
});

test('nothing accepted is lost under backpressure', async (t) => {
  const h = harness(t);
  await h.sup.startChild(faultSpec('count', {}, { mailboxCapacity: 8 }));
  const ref = h.sup.actor('count')!;
  let accepted = 0;
  let refused = 0;
  for (let i = 0; i < 3000; i++) {
    if (ref.send({ type: 'fault.count' })) accepted++;
    else {
      refused++;
      await ref.whenWritable();
    }
  }
  assert.ok(refused > 0, 'the small mailbox pushed back');
  assert.ok(accepted > 2000);
  // The last sends may have filled the mailbox again, and an ask to a full mailbox is refused (the test above).
  await ref.whenWritable();
  assert.equal(await ref.ask({ type: 'fault.get-count' }), accepted);
  assert.equal(ref.mailboxDepth, 0);
});

test(
  'a sender that fills a small mailbox over and over is always woken (no lost wake-up)',
  { timeout: 60_000 },
  async (t) => {
    const h = harness(t);
    for (const capacity of [1, 2, 3]) {
      const id = `small-${capacity}`;
      await h.sup.startChild(faultSpec(id, {}, { mailboxCapacity: capacity }));
      const ref = h.sup.actor(id)!;
      // Nearly every send meets a full mailbox and waits on the credit cell while the host is handling: thousands
      // of waits race the host's checks. A wake-up lost in that race leaves the loop waiting until the timeout.
      let accepted = 0;
      let waits = 0;
      while (accepted < 5000) {
        if (ref.send({ type: 'fault.count' })) accepted++;
        else {
          waits++;
          await ref.whenWritable();
        }
      }
      assert.ok(waits > 1000, `${waits} waits at capacity ${capacity}`);
      await ref.whenWritable();
      assert.equal(await ref.ask({ type: 'fault.get-count' }), accepted);
    }
  },
);

test('asks are answered in order with the replies matched to their requests', async (t) => {
  const h = harness(t);
  await h.sup.startChild(faultSpec('a', {}, { mailboxCapacity: 64 }));
  const ref = h.sup.actor('a')!;
  const replies = await Promise.all([
    ref.ask({ type: 'fault.slow', ms: 30 }),
    ref.ask({ type: 'fault.ping' }),
    ref.ask({ type: 'fault.ask-node', to: 'node', msg: { type: 'node.identity' } }),
    ref.ask({ type: 'fault.get-count' }),
  ]);
  assert.deepEqual(replies, ['slow done', 'pong', 'reply from node', 0]);
});

test('rings given at start and attached later are there before the next message is handled', async (t) => {
  const h = harness(t);
  const given = Ring.create<unknown>(4096);
  await h.sup.startChild(faultSpec('r', {}, { rings: () => ({ given: given.sab }) }));
  const ref = h.sup.actor('r')!;
  assert.deepEqual(await ref.ask({ type: 'fault.ring-names' }), ['given']);
  assert.equal(await ref.ask({ type: 'fault.ring-push', name: 'given', value: { n: 1 } }), true);
  assert.deepEqual(given.pop(), { n: 1 });

  await h.sup.startChild(faultSpec('late'));
  const late = h.sup.actor('late')!;
  const attached = Ring.create<unknown>(4096);
  late.attachRing('later', attached.sab);
  // Sent right after the attach, handled after it, although ring.js loads only now in that worker.
  assert.deepEqual(await late.ask({ type: 'fault.ring-names' }), ['later']);
  assert.equal(await late.ask({ type: 'fault.ring-push', name: 'later', value: 'x' }), true);
  assert.equal(attached.pop(), 'x');
  assert.equal(h.records('fault.ring', 'late').length, 1, 'onRing ran');
});
