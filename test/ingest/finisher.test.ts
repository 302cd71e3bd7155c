// The operator's background archiving (actors/_shared/file-moves.ts Finisher): a caller hands a processed file over
// and goes on; at most `max` moves run at once, the caller waits only when `maxQueued` wait their turn, a failed move
// is reported and the path is free again, and drain waits for every queued and running move.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Finisher } from '../../actors/_shared/file-moves.js';

/** A move that ends when told to. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

test('the finisher queues moves without holding up the caller, runs at most max at once and drains them all', async () => {
  const errors: string[] = [];
  const f = new Finisher((path, err) => errors.push(`${path}: ${(err as Error).message}`), 2, 3);
  const gates = Array.from({ length: 6 }, () => gate());
  let running = 0;
  let most = 0;
  const done: string[] = [];
  const move = (i: number) => async (): Promise<void> => {
    running++;
    most = Math.max(most, running);
    await gates[i]!.promise;
    running--;
    if (i === 4) throw new Error('disk full');
    done.push(`p${i}`);
  };
  // Five hand-overs return at once: two run, three wait their turn (maxQueued = 3).
  for (let i = 0; i < 5; i++) await f.run(`p${i}`, move(i));
  assert.equal(running, 2);
  for (let i = 0; i < 5; i++) assert.ok(f.has(`p${i}`), `p${i} is queued or moving: scans skip it`);
  // A sixth waits for room in the queue.
  let sixth = false;
  const p6 = f.run('p5', move(5)).then(() => (sixth = true));
  await new Promise((r) => setImmediate(r));
  assert.equal(sixth, false);
  gates[0]!.open();
  await p6;
  assert.equal(sixth, true);
  for (const g of gates) g.open();
  await f.drain();
  assert.equal(most, 2);
  assert.deepEqual(done.sort(), ['p0', 'p1', 'p2', 'p3', 'p5']);
  assert.deepEqual(errors, ['p4: disk full']);
  for (let i = 0; i < 6; i++) assert.equal(f.has(`p${i}`), false);
});
