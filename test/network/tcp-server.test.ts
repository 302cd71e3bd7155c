import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestNode, until } from '../../harness/test-node.js';
import { commandMessage } from '../../protocols/tcp/builders.js';
import { GenericFlag, InfoType, OFFSET_DATA_LENGTH } from '../../protocols/tcp/header.js';
import { TCP_SERVER, tcpWorkerAt, type TcpInfo } from '../../actors/tcp-server/messages.js';
import { askRaw, tcpNodeYaml, tcpPort, writeRaw } from './peers.js';
import { checkReadmeSamples } from '../services/readme-samples.js';

async function node(t: { after(fn: () => Promise<void>): void }) {
  const n = await startTestNode(tcpNodeYaml('node-b'));
  t.after(() => n.stop());
  const addr = n.running.node.connections.get('TCP')!.external;
  const info = (): Promise<TcpInfo> => n.running.node.ask(TCP_SERVER, { type: 'tcp.info' });
  return { n, addr, port: tcpPort(addr), info };
}

const block = (command: string): Buffer =>
  Buffer.concat(commandMessage(command, { source: { ip: '127.0.0.1', port: 9 } }));

test('a command sent as EdgeLake bytes is answered on a new connection with the request job copied', async (t) => {
  const { port, addr } = await node(t);
  const m = await askRaw(port, 'get status', 17);
  assert.equal(m.command, 'print');
  assert.equal(Buffer.from(m.payload).toString(), `node-b@${addr} running`);
  assert.equal(m.header.infoType, InfoType.command);
  assert.equal(m.header.genericFlag, GenericFlag.text);
  assert.equal(m.header.jobId, 17);
  assert.equal(m.header.error, 0);
  assert.equal(`${m.header.sourceIp}:${m.header.sourcePort}`, addr);
  const j = await askRaw(port, 'get status where format = json');
  assert.equal(j.header.genericFlag, GenericFlag.json);
  assert.equal(JSON.parse(Buffer.from(j.payload).toString()).status, 'running');
});

test('a long answer spans blocks and arrives whole; a failing command answers echo with its code', async (t) => {
  const { n, port } = await node(t);
  const big = 'y'.repeat(5000);
  await n.cmd(`big = ${big}`);
  const m = await askRaw(port, 'get dictionary value where key = big');
  assert.equal(m.blocks, 3);
  assert.equal(Buffer.from(m.payload).toString(), big);
  const e = await askRaw(port, 'get tables where dbms = nosuch');
  assert.equal(e.command, 'echo');
  assert.equal(e.header.error, 10);
  const u = await askRaw(port, 'xyzzy');
  assert.equal(u.command, "echo Command 'xyzzy' not recoginzed");
  assert.equal(u.header.error, 1);
});

test('malformed connections are closed and counted while the server keeps answering', async (t) => {
  const { port, info, addr } = await node(t);
  const good = block('get status');
  // Truncated: the sender closes mid-block.
  assert.equal(await writeRaw(port, good.subarray(0, 1000)), 'closed');
  // Oversize length: data_length past the block; refused once the 207 header bytes are in.
  const oversize = Buffer.from(good);
  oversize.writeUInt32BE(5000, OFFSET_DATA_LENGTH);
  assert.equal(await writeRaw(port, oversize.subarray(0, 207), { end: false }), 'closed');
  // Garbage.
  assert.equal(await writeRaw(port, Buffer.alloc(2048, 0xab), { end: false }), 'closed');
  // HTTP to the TCP port: refused at the first bytes, without waiting for a block.
  assert.equal(
    await writeRaw(port, Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), { end: false, ms: 2000 }),
    'closed',
  );
  // A second message on an EdgeLake (unmarked) connection.
  assert.equal(await writeRaw(port, Buffer.concat([good, good]), { end: false }), 'closed');
  const stats = (await info()).stats;
  assert.equal(stats.malformed, 5);
  assert.match(stats.lastMalformed, /127\.0\.0\.1: tcp: \d+ bytes after the last block/);
  const m = await askRaw(port, 'get status');
  assert.equal(Buffer.from(m.payload).toString(), `node-b@${addr} running`);
});

test('get processes, get connections and get status show the TCP server; exit tcp removes it', async (t) => {
  const { n, addr } = await node(t);
  assert.match(
    await n.cmd('get processes'),
    new RegExp(`TCP {12}\\|Running {5}\\|Listening on: ${addr.replaceAll('.', '\\.')}, Threads Pool: 1 *\\|`),
  );
  assert.match(
    await n.cmd('get connections'),
    new RegExp(`TCP {6}\\|${addr.replaceAll('.', '\\.')} *\\|${addr.replaceAll('.', '\\.')} *\\|`),
  );
  assert.deepEqual(JSON.parse(await n.cmd('get connections where format = json')).TCP, {
    external: addr,
    local: addr,
    bind: addr,
  });
  assert.equal(await n.cmd('get status'), `node-b@${addr} running`);
  assert.match(await n.cmd('get tcp pool'), /^TCP Pool with 1 threads: {36}\[0\] \(0\)$/);
  await askRaw(tcpPort(addr), 'get status');
  assert.match(await n.cmd('get tcp pool'), /^TCP Pool with 1 threads: {36}\[0\] \(1\)$/);
  await n.cmd('exit tcp');
  assert.equal(n.running.node.instances('tcp-worker').length, 0);
  assert.match(await n.cmd('get processes'), /TCP {12}\|Not declared/);
  assert.equal(n.running.node.connections.get('TCP'), undefined);
  await assert.rejects(n.cmd('run client (127.0.0.1:9) get status'), /no TCP server is running here/);
});

test('run tcp server takes the positional form and threads, and bind = false listens on all interfaces', async (t) => {
  const n = await startTestNode('node:\n  name: pos\n');
  t.after(() => n.stop());
  await n.cmd('run tcp server 127.0.0.1 0 127.0.0.1 0 2');
  // Both workers start on demand: configured, not running yet.
  assert.equal(n.running.node.instances('tcp-worker').length, 0);
  assert.match(await n.cmd('get processes'), /Threads Pool: 2/);
  assert.match(await n.cmd('get tcp pool'), /^TCP Pool with 2 threads: {36}\[0, 0\] \(0\)$/);
  await n.cmd('exit tcp');
  await n.cmd('run tcp server where external_ip = 127.0.0.1 and external_port = 0 and bind = false');
  const i = await n.running.node.ask(TCP_SERVER, { type: 'tcp.info' });
  assert.equal(i.host, '0.0.0.0');
  assert.match(i.external, /^127\.0\.0\.1:\d+$/);
  assert.equal(i.bind, `0.0.0.0:${i.port}`);
});

test('the command worker starts at the first peer command; until then get tcp pool lists it not started', async (t) => {
  const { n, port, addr } = await node(t);
  assert.equal(n.running.node.instances('tcp-worker').length, 0);
  assert.match(await n.cmd('get processes'), /TCP {12}\|Running {5}\|Listening on: [\d.:]+, Threads Pool: 1 *\|/);
  assert.match(await n.cmd('get tcp pool where details = true'), /\n +1\|Not started\| +0\|0\.00% +\|/);
  // The first command waits in the worker's ring while the node starts the worker, then is answered.
  const m = await askRaw(port, 'get status', 5);
  assert.equal(Buffer.from(m.payload).toString(), `node-b@${addr} running`);
  assert.equal(m.header.jobId, 5);
  const [w] = n.running.node.instances('tcp-worker');
  assert.equal(w?.id, 'tcp-worker-1');
  assert.equal(w.status, 'running');
  assert.match(await n.cmd('get tcp pool where details = true'), /\n +1\|Idle +\| +1\|100\.00% *\|/);
  // Several at once, while it runs: each answered once, no second worker.
  const many = await Promise.all(Array.from({ length: 5 }, (_, i) => askRaw(port, 'get status', 100 + i)));
  assert.deepEqual(
    many.map((x) => x.header.jobId),
    [100, 101, 102, 103, 104],
  );
  assert.equal(n.running.node.instances('tcp-worker').length, 1);
});

test('commands sent together before the worker runs are all answered by the one worker started', async (t) => {
  const { n, port } = await node(t);
  const many = await Promise.all(Array.from({ length: 8 }, (_, i) => askRaw(port, `get status`, 200 + i)));
  assert.deepEqual(
    many.map((x) => x.header.jobId),
    Array.from({ length: 8 }, (_, i) => 200 + i),
  );
  assert.equal(n.running.node.instances('tcp-worker').length, 1);
  const i = await n.running.node.ask(tcpWorkerAt('tcp-worker-1'), { type: 'tcp.worker.info' });
  assert.equal(i.handled, 8);
});

test('a killed tcp worker comes back and the server answers again', async (t) => {
  const { n, port, addr } = await node(t);
  await askRaw(port, 'get status');
  const before = n.running.node.instances('tcp-worker')[0]!;
  assert.ok(n.running.node.kill('tcp-worker-1'));
  const deadline = Date.now() + 10_000;
  for (;;) {
    const w = n.running.node.instances('tcp-worker')[0];
    if (w && w.status === 'running' && w.restarts > before.restarts) break;
    assert.ok(Date.now() < deadline, 'tcp-worker-1 was not restarted');
    await new Promise((r) => setTimeout(r, 20));
  }
  const m = await askRaw(port, 'get status');
  assert.equal(Buffer.from(m.payload).toString(), `node-b@${addr} running`);
});

test('the tcp-server README sample parses as node.yaml and its commands check', () => checkReadmeSamples('tcp-server'));

test('a killed dispatch actor comes back on the same port and the server answers again', async (t) => {
  const { n, port, addr } = await node(t);
  // The worker runs already: the new incarnation asks for it again at its first command, and gets the same one.
  await askRaw(port, 'get status');
  const worker = n.running.node.instances('tcp-worker')[0]!;
  const before = n.running.node.instances('tcp-server')[0]!;
  assert.ok(n.running.node.kill('tcp-server'));
  await until(() => {
    const d = n.running.node.instances('tcp-server')[0];
    return d !== undefined && d.status === 'running' && d.restarts > before.restarts;
  });
  const m = await askRaw(port, 'get status');
  assert.equal(Buffer.from(m.payload).toString(), `node-b@${addr} running`);
  const after = n.running.node.instances('tcp-worker');
  assert.equal(after.length, 1);
  assert.equal(after[0]!.restarts, worker.restarts, 'the worker was not restarted');
  assert.equal(after[0]!.threadId, worker.threadId);
});
