// `set node authentication on where allow = ..`: the TCP server takes connections only from the listed peers
// (open ones from others are closed); off, every peer is served as EdgeLake does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestNode } from '../../harness/test-node.js';
import { TCP_SERVER } from '../../actors/tcp-server/messages.js';
import { askRaw, tcpNodeYaml, tcpPort } from '../network/peers.js';

test('with node authentication on, only the allowed peers reach the TCP server; off, all do', async (t) => {
  const a = await startTestNode(tcpNodeYaml('node-a'));
  t.after(() => a.stop());
  const b = await startTestNode(tcpNodeYaml('node-b'));
  t.after(() => b.stop());
  const bAddr = b.running.node.connections.get('TCP')!.external;
  const ask = () => a.cmd(`run client (${bAddr}, timeout = 5) get node name`);
  assert.match(await ask(), /node-b/);
  await assert.rejects(b.cmd('set node authentication on'), /name the peers/);
  await assert.rejects(b.cmd('set node authentication on where allow = not-an-ip'), /not an IP address/);
  // Only 127.0.0.2 allowed: a (127.0.0.1), and its open persistent connection, are cut off.
  await b.cmd('set node authentication on where allow = 127.0.0.2');
  assert.match(await b.cmd('get authentication'), /Node authentication\s*\|\s*ON/);
  await assert.rejects(
    a.cmd(`run client (${bAddr}, timeout = 3) get node name`),
    /run client: 127\.0\.0\.1:\d+ (no reply|.*(ECONNRESET|closed|refused))/,
  );
  await assert.rejects(askRaw(tcpPort(bAddr), 'get node name', 9, 1500), /no answer/);
  const info = await b.running.node.ask(TCP_SERVER, { type: 'tcp.info' });
  assert.ok(info.stats.unlisted >= 2, `unlisted ${info.stats.unlisted}`);
  // Listed: served again.
  await b.cmd('set node authentication on where allow = 127.0.0.1, 127.0.0.2');
  assert.match(await ask(), /node-b/);
  await b.cmd('set node authentication off');
  assert.match(await ask(), /node-b/);
  // Not from a peer.
  assert.match(
    await a.cmd(`run client (${bAddr}) set node authentication on where allow = 10.0.0.1`),
    /not accepted from a TCP peer/,
  );
});
