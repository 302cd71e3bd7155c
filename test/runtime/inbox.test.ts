// The host's mailbox queue (runtime/inbox.ts): one arrival order across batches handled in place and the queue.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Inbox, SELF, SEND } from '../../runtime/inbox.js';
import type { ActorMessage } from '../../runtime/wire.js';

const msg = (n: number): ActorMessage => ({ type: 'm', n });
const sends = (from: number, to: number): ActorMessage[] => {
  const out: ActorMessage[] = [];
  for (let n = from; n < to; n++) out.push(msg(n));
  return out;
};

/** Takes everything, as [n, tag] pairs. */
function takeAll(box: Inbox): [unknown, number][] {
  const got: [unknown, number][] = [];
  for (let m = box.next(); m !== undefined; m = box.next()) got.push([m['n'], box.tag]);
  return got;
}

test('messages come out in arrival order with their tags, whether batched, asked or sent to self', () => {
  const box = new Inbox();
  assert.equal(box.empty, true);
  box.addSends(sends(0, 3));
  box.add(msg(3), 7);
  box.addSends(sends(4, 6));
  box.add(msg(6), SELF);
  assert.equal(box.empty, false);
  assert.deepEqual(takeAll(box), [
    [0, SEND],
    [1, SEND],
    [2, SEND],
    [3, 7],
    [4, SEND],
    [5, SEND],
    [6, SELF],
  ]);
  assert.equal(box.empty, true);
  assert.equal(box.next(), undefined);
});

test('what arrives while a batch is being handled in place comes after the rest of that batch', () => {
  const box = new Inbox();
  box.addSends(sends(0, 4));
  assert.equal(box.next()?.['n'], 0);
  // A self-send made while handling message 0, then a batch and an ask that arrived meanwhile.
  box.add(msg(100), SELF);
  box.addSends(sends(4, 6));
  box.add(msg(200), 9);
  assert.deepEqual(
    takeAll(box).map(([n]) => n),
    [1, 2, 3, 100, 4, 5, 200],
  );
});

test('a batch that arrives while queued messages wait is queued behind them, and an empty batch adds nothing', () => {
  const box = new Inbox();
  box.add(msg(0), SELF);
  box.addSends([]);
  box.addSends(sends(1, 3));
  assert.deepEqual(
    takeAll(box).map(([n]) => n),
    [0, 1, 2],
  );
  box.addSends([]);
  assert.equal(box.empty, true);
});

test('a long-lived queue keeps its order across compactions', () => {
  const box = new Inbox();
  let next = 0;
  let expect = 0;
  // Always a few messages waiting, so the queue never empties and is compacted as its handled head grows.
  for (let round = 0; round < 50; round++) {
    for (let i = 0; i < 100; i++) box.add(msg(next++), SELF);
    for (let i = 0; i < 97; i++) assert.equal(box.next()?.['n'], expect++);
  }
  for (let m = box.next(); m !== undefined; m = box.next()) assert.equal(m['n'], expect++);
  assert.equal(expect, next);
});
