// `get status` answered by the TCP server's dispatch thread from the node's identity cell (actors/tcp-server/
// local.ts, issue 14): the same bytes as the answer the node gives through its main thread, after a change of the
// node's name too, and in order behind a command of the same connection that the node is still running.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { startTestNode, until, type TestNode } from '../../harness/test-node.js';
import { TCP_SERVER } from '../../actors/tcp-server/messages.js';
import { commandMessage } from '../../protocols/tcp/builders.js';
import { decodeBlock } from '../../protocols/tcp/decoder.js';
import { BLOCK_SIZE } from '../../protocols/tcp/header.js';
import { RT_DUPLEX_SOCKET_ID, RT_SOCKET_ID, markBlocks } from '../../peer/wire.js';
import { close, listen, tcpNodeYaml } from './peers.js';

/** A persistent connection to a node's TCP server that hands back each answer block as it comes. */
async function peerConn(t: { after(fn: () => void): void }, port: number) {
  const s: Socket = await new Promise((resolve, reject) => {
    const c = connect(port, '127.0.0.1', () => resolve(c));
    c.once('error', reject);
  });
  t.after(() => s.destroy());
  const blocks: Buffer[] = [];
  const waiters: (() => void)[] = [];
  let pending = Buffer.alloc(0);
  s.on('data', (c: Buffer) => {
    pending = Buffer.concat([pending, c]);
    while (pending.length >= BLOCK_SIZE) {
      blocks.push(Buffer.from(pending.subarray(0, BLOCK_SIZE)));
      pending = pending.subarray(BLOCK_SIZE);
      waiters.shift()?.();
    }
  });
  const next = async (): Promise<Buffer> => {
    if (blocks.length === 0) await new Promise<void>((r) => waiters.push(r));
    return blocks.shift()!;
  };
  return { write: (b: Uint8Array) => s.write(b), next };
}

/** A request block as an edgelake-rt requester writes it on its persistent connection (duplex mark). */
function request(
  command: string,
  jobId: number,
  replyPort: number,
  mark = RT_DUPLEX_SOCKET_ID,
  job: { receivers?: number; receiverId?: number; jobLocation?: number } = {},
): Buffer {
  const blocks = commandMessage(command, { source: { ip: '127.0.0.1', port: replyPort }, jobId, ...job });
  markBlocks(blocks, mark);
  return Buffer.concat(blocks);
}

const stats = async (b: TestNode) => (await b.running.node.ask(TCP_SERVER, { type: 'tcp.info' })).stats;

test('get status from the dispatch thread is byte for byte the node’s answer, before and after set node name', async (t) => {
  const b = await startTestNode(tcpNodeYaml('node-b'));
  t.after(() => b.stop());
  const addr = b.running.node.connections.get('TCP')!.external;
  const port = Number(addr.split(':').pop());
  // Where B's command worker answers the RT_SOCKET_ID request below (a new connection, as to any requester).
  const { server, port: replyPort } = await listen((s) => s.resume());
  t.after(() => close(server));

  const local = await peerConn(t, port);
  // A connection that handed a command other than a query to a command worker gets every answer from the node.
  const viaNode = await peerConn(t, port);
  viaNode.write(request('get version', 1, replyPort, RT_SOCKET_ID));
  // Counted before the loop's first sample: under load it was counted between a `before` and an `after` (CI).
  await until(async () => (await stats(b)).commands >= 1);

  // Each name twice with other job fields: the second answer on a connection is its first one's copy (local.ts).
  const jobs = [
    { jobId: 77, job: {} },
    { jobId: 0x7fff_0001, job: { receivers: 3, receiverId: 2, jobLocation: 5 } },
  ];
  for (const name of ['node-b', 'node-c']) {
    if (name !== 'node-b') assert.equal(await b.cmd(`set node name ${name}`), '');
    for (const { jobId, job } of jobs) {
      const before = await stats(b);
      local.write(request('get status', jobId, replyPort, RT_DUPLEX_SOCKET_ID, job));
      const here = await local.next();
      viaNode.write(request('get status', jobId, replyPort, RT_DUPLEX_SOCKET_ID, job));
      const there = await viaNode.next();
      const after = await stats(b);
      assert.equal(after.local - before.local, 1, 'one of the two was answered by the dispatch thread');
      assert.equal(after.commands - before.commands, 2);
      assert.equal(decodeBlock(here).command, 'print');
      assert.equal(decodeBlock(here).header.jobId, jobId);
      assert.equal(Buffer.from(decodeBlock(here).payload).toString(), `${name}@${addr} running`);
      assert.deepEqual(here, there, `the answer for ${name}, job ${jobId}`);
      assert.equal(Buffer.from(decodeBlock(there).payload).toString(), await b.cmd('get status'));
    }
  }
});

test('behind a command of its own connection that the node is running, get status waits its turn', async (t) => {
  const b = await startTestNode(tcpNodeYaml('node-b'));
  t.after(() => b.stop());
  const addr = b.running.node.connections.get('TCP')!.external;
  const conn = await peerConn(t, Number(addr.split(':').pop()));
  const before = await stats(b);
  // Both in one write: the rename is at the node when get status arrives, so get status goes there too.
  conn.write(Buffer.concat([request('set node name node-d', 5, 9), request('get status', 6, 9)]));
  const answers = [decodeBlock(await conn.next()), decodeBlock(await conn.next())];
  const status = answers.find((a) => a.header.jobId === 6)!;
  assert.equal(Buffer.from(status.payload).toString(), `node-d@${addr} running`);
  assert.equal((await stats(b)).local, before.local, 'neither was answered by the dispatch thread');
  // Once nothing of the connection is at the node, get status is answered here, with the new name.
  conn.write(request('get status', 7, 9));
  assert.equal(Buffer.from(decodeBlock(await conn.next()).payload).toString(), `node-d@${addr} running`);
  assert.equal((await stats(b)).local, before.local + 1);
});

test('other spellings and forms of get status go to the node', async (t) => {
  const b = await startTestNode(tcpNodeYaml('node-b'));
  t.after(() => b.stop());
  const addr = b.running.node.connections.get('TCP')!.external;
  const conn = await peerConn(t, Number(addr.split(':').pop()));
  const before = await stats(b);
  const forms = ['GET STATUS', 'get  status', 'get status where format = json'];
  for (const [i, text] of forms.entries()) {
    conn.write(request(text, 10 + i, 9));
    const reply = Buffer.from(decodeBlock(await conn.next()).payload).toString();
    assert.match(reply, new RegExp(`node-b@${addr}`), text);
  }
  assert.equal((await stats(b)).local, before.local);
});
