// `run client` answers count only for the job and receiver they name, from the peer the request went to
// (peer/network.ts): forged answers from a third address, or for another job id, are dropped and counted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { readMessage } from '../../protocols/tcp/assembler.js';
import { replyMessage } from '../../protocols/tcp/builders.js';
import type { BlockHeader } from '../../protocols/tcp/header.js';
import { startTestNode, until } from '../../harness/test-node.js';
import { close, listen, tcpNodeYaml } from '../network/peers.js';

/** Sends one EdgeLake message to `port` from the local address `from`. */
function sendFrom(from: string, port: number, blocks: Uint8Array[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, localAddress: from }, () => s.end(Buffer.concat(blocks)));
    s.on('close', () => resolve());
    s.on('error', reject);
    s.resume();
  });
}

test('a forged answer from another address or for another job is dropped and counted; the peer’s answer wins', async (t) => {
  const a = await startTestNode(tcpNodeYaml('node-a'));
  t.after(() => a.stop());
  const aPort = Number(a.running.node.connections.get('TCP')!.internal.split(':').pop());
  const headers: BlockHeader[] = [];
  // The peer: takes the request, lets the forgers go first, then answers from its own address.
  const { server, port } = await listen((s) => {
    void readMessage(s).then(async (req) => {
      headers.push(req.header);
      const h = req.header;
      const src = { source: { ip: '127.0.0.1', port } };
      // A third party on another address that learnt (or guessed) the job id.
      await sendFrom('127.0.0.2', aPort, replyMessage(h, 'forged by a third party', src));
      // A guess at another job id, from the peer's own address.
      await sendFrom('127.0.0.1', aPort, replyMessage({ ...h, jobId: (h.jobId + 1) >>> 0 || 1 }, 'wrong job', src));
      await until(() => a.running.node.peers!.dropped >= 2, 5000);
      await sendFrom('127.0.0.1', aPort, replyMessage(h, 'the real answer', src));
    });
  });
  t.after(() => close(server));
  const reply = await a.cmd(`run client (127.0.0.1:${port}, timeout = 10) get status`);
  assert.match(reply, /the real answer/);
  assert.doesNotMatch(reply, /forged|wrong job/);
  assert.equal(a.running.node.peers!.dropped, 2);
  assert.ok(a.logs.records.some((r) => r.msg === 'peer answer dropped'));

  // Job ids are random, not counted up: ten requests give ten ids that are not a sequence.
  for (let i = 0; i < 9; i++) await a.cmd(`run client (127.0.0.1:${port}, timeout = 10) get status`);
  const ids = headers.map((h) => h.jobId);
  assert.equal(new Set(ids).size, 10);
  const steps = ids.slice(1).filter((id, i) => id - ids[i]! === 1).length;
  assert.ok(steps < 3, `job ids look sequential: ${ids.join(', ')}`);
});
