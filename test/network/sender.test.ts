// peer/sender.ts persistent connections: messages to one peer share a connection; when the peer drops it (a
// restart), the next message still arrives, and the one after opens a new persistent connection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { PeerSender } from '../../peer/sender.js';
import { until } from '../../harness/test-node.js';
import { close, listen } from './peers.js';

test('persistent sends share a connection, and a message after the peer dropped it still arrives', async (t) => {
  const sockets: Socket[] = [];
  let bytes = 0;
  const { server, port } = await listen((s) => {
    sockets.push(s);
    s.on('data', (c: Buffer) => (bytes += c.length));
    s.on('error', () => undefined);
  });
  const sender = new PeerSender({ idleMs: 60_000 });
  t.after(() => {
    sender.close();
    for (const s of sockets) s.destroy();
    return close(server);
  });
  const msg = [new Uint8Array(2048).fill(1)];
  for (let i = 0; i < 3; i++) await sender.send('127.0.0.1', port, msg, { persistent: true });
  await until(() => bytes === 3 * 2048);
  assert.equal(sockets.length, 1, 'one connection for three messages');
  // The peer drops the connection, as a restarted node would have.
  sockets[0]!.destroy();
  await new Promise((r) => setTimeout(r, 50));
  await sender.send('127.0.0.1', port, msg, { persistent: true });
  await sender.send('127.0.0.1', port, msg, { persistent: true });
  await sender.send('127.0.0.1', port, msg, { persistent: true });
  await until(() => bytes === 6 * 2048);
  // The first after the drop went on a connection of its own; the next two share a new persistent one.
  assert.equal(sockets.length, 3);
});
