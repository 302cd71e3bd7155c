import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import Database from 'libsql';
import { startTestNode, until, type TestNode } from '../../harness/test-node.js';
import { PeerError } from '../../base/errors.js';
import { connect } from 'node:net';
import { readMessage } from '../../protocols/tcp/assembler.js';
import { replyMessage } from '../../protocols/tcp/builders.js';
import { close, listen, tcpNodeYaml } from './peers.js';

async function pair(
  t: { after(fn: () => Promise<void>): void },
  bOpts: { dbms?: boolean } = {},
): Promise<{ a: TestNode; b: TestNode; bAddr: string }> {
  const a = await startTestNode(tcpNodeYaml('node-a'));
  t.after(() => a.stop());
  const b = await startTestNode(tcpNodeYaml('node-b', bOpts));
  t.after(() => b.stop());
  return { a, b, bAddr: b.running.node.connections.get('TCP')!.external };
}

test('run client to a peer returns its get status as EdgeLake prints it', async (t) => {
  const { a, bAddr } = await pair(t);
  assert.equal(await a.cmd(`run client ${bAddr} get status`), `\r\n[From Node ${bAddr}] node-b@${bAddr} running`);
  // The parenthesised form, and the `ip port` form.
  assert.equal(await a.cmd(`run client (${bAddr}) get status`), `\r\n[From Node ${bAddr}] node-b@${bAddr} running`);
  const [ip, port] = bAddr.split(':');
  assert.equal(await a.cmd(`run client ${ip} ${port} get node name`), `\r\n[From Node ${bAddr}] node-b`);
  // The command's own `where` goes to the peer as typed.
  assert.equal(
    await a.cmd(`run client (${bAddr}) get dictionary value where key = node_name`),
    `\r\n[From Node ${bAddr}] node-b`,
  );
});

test('a JSON answer is keyed by the peer and x = run client stores the answer', async (t) => {
  const { a, bAddr } = await pair(t);
  const json = await a.cmd(`run client (${bAddr}) get status where format = json`);
  assert.deepEqual(JSON.parse(json), {
    [bAddr]: { assigned_name: `node-b@${bAddr}`, status: 'running', profiling: false },
  });
  await a.cmd(`set peer = ${bAddr}`);
  await a.cmd('x = run client (!peer) get node name');
  assert.equal(a.running.node.dict.get('x'), `\r\n[From Node ${bAddr}] node-b`);
});

test('an unknown command comes back as EdgeLake not-recognized text', async (t) => {
  const { a, bAddr } = await pair(t);
  assert.equal(
    await a.cmd(`run client (${bAddr}) xyzzy now`),
    `\r\n[From Node ${bAddr}] Command 'xyzzy now' not recoginzed`,
  );
  // A known first word with unknown words after it is error 2, as EdgeLake answers.
  assert.match(await a.cmd(`run client (${bAddr}) get xyzzy`), /\[From Node [\d.:]+\] Error Command Structure/);
});

test('a dead peer fails with connection refused naming it, and subset = true keeps the other answers', async (t) => {
  const { a, bAddr } = await pair(t);
  const { server, port } = await listen(() => undefined);
  await close(server); // nothing listens on `port` now
  const dead = `127.0.0.1:${port}`;
  const t0 = Date.now();
  await assert.rejects(a.cmd(`run client (${dead}) get status`), (err: unknown) => {
    assert.ok(err instanceof PeerError);
    assert.equal(err.message, `run client: ${dead} connection refused (3 tries)`);
    assert.equal(err.code, 208);
    return true;
  });
  assert.ok(Date.now() - t0 < 5000, 'refused is reported after the retries, not after the timeout');
  const both = await a.cmd(`run client (${bAddr}, ${dead}, subset = true) get node name`);
  assert.equal(both, `\r\n[From Node ${bAddr}] node-b\r\n[From Node ${dead}] Error: connection refused (3 tries)`);
  await assert.rejects(
    a.cmd(`run client (${bAddr}, ${dead}) get node name`),
    /1 of 2 peers failed: 127\.0\.0\.1:\d+ connection refused/,
  );
});

test('a silent peer fails with a timeout naming it', async (t) => {
  const { a } = await pair(t);
  // Accepts and reads, never answers.
  const { server, port } = await listen((s) => s.resume());
  t.after(() => close(server));
  const t0 = Date.now();
  await assert.rejects(a.cmd(`run client (127.0.0.1:${port}, timeout = 1) get status`), (err: unknown) => {
    assert.ok(err instanceof PeerError);
    assert.equal(err.message, `run client: 127.0.0.1:${port} no reply within 1 s`);
    assert.equal(err.code, 26);
    return true;
  });
  assert.ok(Date.now() - t0 < 3000);
});

test('a query on a peer comes back as EdgeLake query JSON', async (t) => {
  const { a, b, bAddr } = await pair(t, { dbms: true });
  const db = new Database(join(b.root, 'data', 'dbms', 'test.dbms'));
  db.exec(
    "create table readings (device text, value real); insert into readings values ('d1', 1.5), ('d2', 2.5), ('d3', 3.5), ('d3', 3.5), ('d4', 4.5)",
  );
  db.close();
  const reply = await a.cmd(
    `run client (${bAddr}) sql test format = json "select device, value from readings order by device"`,
  );
  // The golden rest_network_sql_query.txt shape, byte for byte but for the time.
  // The time is the query's own (a loaded machine makes it 00:00:01): its shape is checked, then it is set aside.
  assert.match(reply, /"Time":"\d\d:\d\d:\d\d"/);
  assert.equal(
    reply.replace(/"Time":"\d\d:\d\d:\d\d"/, '"Time":"00:00:00"'),
    '{"Query":[{"device":"d1","value":1.5},{"device":"d2","value":2.5},{"device":"d3","value":3.5},{"device":"d3","value":3.5},{"device":"d4","value":4.5}],\n' +
      '"Statistics":[{"Count": 5,"Time":"00:00:00","Nodes": 1}]}',
  );
  // An unquoted query with a SQL WHERE: the peer's to parse, not a `where` clause of run client or sql.
  assert.match(
    await a.cmd(
      `run client (${bAddr}) sql test format = json select device from readings where value > 3 order by device`,
    ),
    /^\{"Query":\[\{"device":"d3"\},\{"device":"d3"\},\{"device":"d4"\}\],\n/,
  );
  // select * without the table's metadata: the edgelake-rt peer names the columns.
  assert.equal(
    await a.cmd(
      `run client (${bAddr}) sql test format = json and stat = false "select * from readings order by value desc limit 2"`,
    ),
    '{"Query":[{"device":"d4","value":4.5},{"device":"d3","value":3.5}]}',
  );
  // The same peer named twice is asked once: its count is not added twice.
  assert.match(
    await a.cmd(
      `run client (${bAddr}, ${bAddr.replace('127.0.0.1', 'localhost')}) sql test format = json "select count(*) from readings"`,
    ),
    /^\{"Query":\[\{"count\(\*\)":5\}\]/,
  );
  await assert.rejects(
    a.cmd(`run client (${bAddr}) sql test format = json "select nope from readings"`),
    /query failed on \[From Node .*no such column/,
  );
});

test('file copy writes a file into the peer watch dir, and a .gz destination arrives decompressed', async (t) => {
  const { a, b, bAddr } = await pair(t);
  const src = join(a.root, 'src.json');
  const body = Buffer.from(Array.from({ length: 5000 }, (_, i) => `{"i": ${i}}\n`).join(''));
  writeFileSync(src, body);
  await a.cmd(`run client (${bAddr}) file copy ${src} t.readings.0.0.json watch_dir`);
  const dest = join(b.root, 'data', 'watch', 't.readings.0.0.json');
  await until(() => existsSync(dest));
  assert.deepEqual(readFileSync(dest), body);
  // Flag 0 with a path under the receiver's dictionary key; gzip content lands decompressed.
  writeFileSync(`${src}.gz`, gzipSync(body));
  mkdirSync(join(b.root, 'data', 'tmp'), { recursive: true });
  await a.cmd(`run client (${bAddr}) file copy ${src}.gz !tmp_dir/copy.json.gz`);
  const unzipped = join(b.root, 'data', 'tmp', 'copy.json');
  await until(() => existsSync(unzipped));
  assert.deepEqual(readFileSync(unzipped), body);
  assert.deepEqual(
    readdirSync(join(b.root, 'data', 'tmp')).filter((f) => f.includes('.transfer')),
    [],
    'no transfer file is left behind',
  );
});

test('a command too long for one block travels as a large message and is answered', async (t) => {
  const { a, b, bAddr } = await pair(t);
  const long = 'x'.repeat(3000);
  await a.cmd(`long = ${long}`);
  assert.equal(await a.cmd(`run client (${bAddr}) set big = !long`), `\r\n[From Node ${bAddr}] `);
  assert.equal(b.running.node.dict.get('big'), long);
});

test('a peer whose answer is malformed fails with a bad-answer error naming it, without waiting for the timeout', async (t) => {
  const a = await startTestNode(tcpNodeYaml('node-a'));
  t.after(() => a.stop());
  // A fake peer: reads the request, answers with block 1 of a two-block `print` and closes (truncated answer).
  const { server, port } = await listen((s) => {
    void readMessage(s).then((req) => {
      const blocks = replyMessage(req.header, 'z'.repeat(3000), { source: { ip: '127.0.0.1', port } });
      const back = connect(req.header.sourcePort, req.header.sourceIp, () => back.end(blocks[0]));
    });
  });
  t.after(() => close(server));
  const t0 = Date.now();
  await assert.rejects(a.cmd(`run client (127.0.0.1:${port}, timeout = 10) get status`), (err: unknown) => {
    assert.ok(err instanceof PeerError);
    assert.match(
      err.message,
      new RegExp(
        `^run client: 127\\.0\\.0\\.1:${port} bad answer from 127\\.0\\.0\\.1: tcp message: connection closed after 1 block`,
      ),
    );
    assert.equal(err.code, 15);
    return true;
  });
  assert.ok(Date.now() - t0 < 5000);
});
