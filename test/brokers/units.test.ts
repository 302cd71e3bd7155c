// The small pieces of the msg client: topic filters, the backoff, the acknowledgement barrier, and the
// empty forms of `get msg clients`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Socket } from 'node:net';
import { BarrierStream } from '../../actors/msg-client/barrier-stream.js';
import { backoffMs } from '../../actors/msg-client/index.js';
import { showClients } from '../../actors/msg-client/show.js';
import { topicMatches } from '../../actors/_shared/topic-filter.js';

test('topic filters follow MQTT: + is one level, # the rest, $ topics only by name', () => {
  assert.ok(topicMatches('a/b', 'a/b'));
  assert.ok(!topicMatches('a/b', 'a/c'));
  assert.ok(topicMatches('a/+/c', 'a/x/c'));
  assert.ok(!topicMatches('a/+/c', 'a/x/y/c'));
  assert.ok(topicMatches('a/#', 'a'));
  assert.ok(topicMatches('a/#', 'a/b/c'));
  assert.ok(topicMatches('#', 'x/y'));
  assert.ok(!topicMatches('#', '$SYS/broker'));
  assert.ok(!topicMatches('+/broker', '$SYS/broker'));
  assert.ok(topicMatches('$SYS/#', '$SYS/broker'));
});

test('reconnect delays are jittered between 0.25 s and a cap that doubles up to 30 s', () => {
  assert.equal(
    backoffMs(0, () => 0),
    250,
  );
  assert.equal(
    backoffMs(0, () => 1),
    250,
  );
  assert.equal(
    backoffMs(3, () => 1),
    2000,
  );
  assert.equal(
    backoffMs(20, () => 1),
    30_000,
  );
  const spread = new Set(Array.from({ length: 50 }, () => backoffMs(6)));
  assert.ok(spread.size > 10, 'the delays differ');
  for (const d of spread) assert.ok(d >= 250 && d <= 16_000);
});

test('get msg clients without clients and with an unknown id answers as EdgeLake', () => {
  const o = { id: undefined, detailed: false, broker: undefined, topic: undefined, statistics: false };
  assert.equal(showClients([], o), '\r\nNo message client subscriptions');
});

async function socketPair(t: { after(fn: () => void): void }): Promise<[Socket, Socket]> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.after(() => server.close());
  const accepted = new Promise<Socket>((r) => server.once('connection', r));
  const client = connect((server.address() as { port: number }).port, '127.0.0.1');
  const peer = await accepted;
  t.after(() => {
    client.destroy();
    peer.destroy();
  });
  return [client, peer];
}

function deferred(): { promise: Promise<void>; resolve(): void; reject(e: Error): void } {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((a, b) => ((resolve = a), (reject = b)));
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

test('an acknowledgement written before its rows are durable leaves only once they are, in order', async (t) => {
  const [client, peer] = await socketPair(t);
  let barrier: Promise<void> | undefined;
  const stream = new BarrierStream(client, () => barrier);
  let received = '';
  peer.on('data', (d: Buffer) => (received += d.toString()));
  stream.write('A');
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(received, 'A', 'nothing pending: written at once');
  const batch = deferred();
  barrier = batch.promise;
  stream.write('B');
  stream.write('C');
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(received, 'A', 'held while the batch is not durable');
  barrier = undefined;
  stream.write('D'); // nothing pending any more, but it must not overtake B and C
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(received, 'A');
  batch.resolve();
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(received, 'ABCD');
});

test('an acknowledgement whose rows could not be stored is never sent: the connection closes instead', async (t) => {
  const [client, peer] = await socketPair(t);
  const batch = deferred();
  const stream = new BarrierStream(client, () => batch.promise);
  stream.on('error', () => undefined);
  let received = '';
  peer.on('data', (d: Buffer) => (received += d.toString()));
  const closed = new Promise<void>((r) => peer.once('close', () => r()));
  stream.write('PUBACK');
  batch.reject(new Error('journal append failed'));
  await closed;
  assert.equal(received, '');
  assert.ok(stream.destroyed);
});
