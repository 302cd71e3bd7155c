// Duplex answers between edgelake-rt nodes (peer/wire.ts RT_DUPLEX_SOCKET_ID): once a peer is known to be
// edgelake-rt, requests go on a persistent connection and their answers come back on it, written by the peer's
// dispatch actor (actors/tcp-server/duplex.ts) and read by the requester's sender (peer/answer-reader.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import Database from 'libsql';
import { startTestNode, type TestNode } from '../../harness/test-node.js';
import { TCP_SERVER, tcpWorkerAt } from '../../actors/tcp-server/messages.js';
import { commandMessage, replyMessage } from '../../protocols/tcp/builders.js';
import { decodeBlock, type DecodedBlock } from '../../protocols/tcp/decoder.js';
import { BLOCK_SIZE } from '../../protocols/tcp/header.js';
import { RT_DUPLEX_SOCKET_ID, RT_SOCKET_ID, markBlocks } from '../../peer/wire.js';
import { close, listen, tcpNodeYaml } from './peers.js';

async function node(t: { after(fn: () => Promise<void>): void }, name: string, dbms = false): Promise<TestNode> {
  const n = await startTestNode(tcpNodeYaml(name, { dbms }));
  t.after(() => n.stop());
  return n;
}

test('between edgelake-rt nodes, answers after the first come back on the request connection', async (t) => {
  const a = await node(t, 'node-a');
  const b = await node(t, 'node-b', true);
  const bAddr = b.running.node.connections.get('TCP')!.external;
  const status = `\r\n[From Node ${bAddr}] node-b@${bAddr} running`;
  // The first request goes one-shot (B is not known to be edgelake-rt yet); its marked answer tells A.
  for (let i = 0; i < 5; i++) assert.equal(await a.cmd(`run client (${bAddr}) get status`), status);
  // Several at once on the one connection, each matched to its own job.
  for (let i = 0; i < 20; i++) await b.cmd(`set k${i} = v${i}`);
  const many = await Promise.all(
    Array.from({ length: 20 }, (_, i) => a.cmd(`run client (${bAddr}) get dictionary value where key = k${i}`)),
  );
  many.forEach((m, i) => assert.equal(m, `\r\n[From Node ${bAddr}] v${i}`));
  await b.cmd(`set long = ${'x'.repeat(5000)}`);
  // An answer of several blocks arrives whole (EdgeLake prints a long one on the next line).
  const long = await a.cmd(`run client (${bAddr}) get dictionary value where key = long`);
  assert.ok(long === `\r\n[From Node ${bAddr}]\r\n${'x'.repeat(5000)}`, `a ${long.length}-character answer`);
  // A failing command is an echo with its code, on the same path.
  assert.match(await a.cmd(`run client (${bAddr}) get xyzzy`), /\[From Node [\d.:]+\] Error Command Structure/);
  const aInfo = await a.running.node.ask(TCP_SERVER, { type: 'tcp.info' });
  assert.equal(aInfo.stats.answers, 1, 'only the first answer came through A’s TCP server');
  const worker = await b.running.node.ask(tcpWorkerAt('tcp-worker-1'), { type: 'tcp.worker.info' });
  assert.equal(worker.handled, 1, 'only the first command went to B’s command worker');
  // A query is still answered by B's command worker, through A's TCP server.
  const db = new Database(join(b.root, 'data', 'dbms', 'test.dbms'));
  db.exec('create table t (v int); insert into t values (1)');
  db.close();
  assert.match(
    await a.cmd(`run client (${bAddr}) sql test format = json "select v from t"`),
    /^\{"Query":\[\{"v":1\}\]/,
  );
  assert.equal((await a.running.node.ask(TCP_SERVER, { type: 'tcp.info' })).stats.answers, 2);
  assert.equal(a.running.node.peers.dropped, 0);
});

/** Splits a connection's bytes into decoded blocks (every message in these tests is one block). */
function onBlocks(s: Socket, each: (b: DecodedBlock) => void): void {
  let pending = Buffer.alloc(0);
  s.on('data', (c: Buffer) => {
    pending = Buffer.concat([pending, c]);
    while (pending.length >= BLOCK_SIZE) {
      each(decodeBlock(pending.subarray(0, BLOCK_SIZE)));
      pending = pending.subarray(BLOCK_SIZE);
    }
  });
  s.on('error', () => undefined);
}

test('on a request connection, an answer for another job is dropped and a command closes it unrun', async (t) => {
  const a = await node(t, 'node-a');
  let mode: 'forged' | 'command' = 'forged';
  let duplexClosed = false;
  // A hand-made edgelake-rt peer: answers one-shot requests on a new connection (marked, so A goes duplex), and
  // duplex ones on the request connection as `mode` says.
  const { server, port } = await listen((s) => {
    onBlocks(s, (req) => {
      const h = req.header;
      const source = { ip: '127.0.0.1', port };
      if (h.socketId !== RT_DUPLEX_SOCKET_ID) {
        const blocks = replyMessage(h, 'first', { source });
        markBlocks(blocks, RT_SOCKET_ID);
        const back = connect(h.sourcePort, h.sourceIp, () => back.end(Buffer.concat(blocks)));
        return;
      }
      s.on('close', () => (duplexClosed = true));
      if (mode === 'forged') {
        // Another job's answer first (an id A never gave out), then the real one.
        const forged = replyMessage({ ...h, jobId: (h.jobId % 0xffff_fff0) + 1 }, 'forged', { source });
        const real = replyMessage(h, 'real', { source });
        markBlocks(forged, RT_SOCKET_ID);
        markBlocks(real, RT_SOCKET_ID);
        s.write(Buffer.concat([...forged, ...real]));
      } else {
        s.write(Buffer.concat(commandMessage('set pwned = yes', { source, jobId: h.jobId })));
      }
    });
  });
  t.after(() => close(server));
  const peer = `127.0.0.1:${port}`;
  assert.equal(await a.cmd(`run client (${peer}) get status`), `\r\n[From Node ${peer}] first`);
  assert.equal(await a.cmd(`run client (${peer}) get status`), `\r\n[From Node ${peer}] real`);
  assert.equal(a.running.node.peers.dropped, 1);
  mode = 'command';
  await assert.rejects(a.cmd(`run client (${peer}, timeout = 2) get status`), /no reply within 2 s/);
  assert.equal(duplexClosed, true, 'A dropped the connection that carried a command');
  assert.equal(a.running.node.dict.get('pwned'), undefined);
});
