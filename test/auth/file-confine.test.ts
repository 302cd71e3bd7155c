// File commands and TCP file writes stay inside the node's data directories (node/files/confine.ts): a peer or a
// REST client can neither overwrite the node's databases, journal or ledger nor take a file from elsewhere;
// symlinks are resolved first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { http, startTestNode, until, type TestNode } from '../../harness/test-node.js';
import { tcpNodeYaml } from '../network/peers.js';

async function pair(t: { after(fn: () => Promise<void>): void }): Promise<{ a: TestNode; b: TestNode; bAddr: string }> {
  const a = await startTestNode(tcpNodeYaml('node-a', { rest: true, dbms: true }));
  t.after(() => a.stop());
  const b = await startTestNode(tcpNodeYaml('node-b', { dbms: true }));
  t.after(() => b.stop());
  return { a, b, bAddr: b.running.node.connections.get('TCP')!.external };
}

test("a peer's file copy cannot overwrite the receiver's database, ledger or journal, even through a symlink", async (t) => {
  const { a, b, bAddr } = await pair(t);
  const dbFile = join(b.root, 'data', 'dbms', 'test.dbms');
  assert.ok(existsSync(dbFile), 'connect dbms created the database file');
  const before = readFileSync(dbFile);
  const ledger = join(b.root, 'blockchain', 'blockchain.json');
  writeFileSync(ledger, '');
  // b's watch dir holds a link to its dbms dir: a write through it must be refused, not followed.
  symlinkSync(join(b.root, 'data', 'dbms'), join(b.root, 'data', 'watch', 'link'));
  const evil = join(a.root, 'data', 'tmp', 'evil.bin');
  writeFileSync(evil, 'not a database');
  for (const dest of [
    '!dbms_dir/test.dbms',
    `${dbFile}`,
    '!blockchain_file',
    '!blockchain_dir/blockchain.json',
    '!journal_dir/data.mdb',
    '!state_dir/auth.json',
    '!watch_dir/link/test.dbms',
    '/tmp/../etc/edgelake-rt-test',
  ])
    await a.cmd(`run client (${bAddr}) file copy ${evil} ${dest}`);
  // A legitimate copy after them arrives: the refusals above were handled, one by one, by then.
  await a.cmd(`run client (${bAddr}) file copy ${evil} !tmp_dir/ok.bin`);
  await until(() => existsSync(join(b.root, 'data', 'tmp', 'ok.bin')));
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(readFileSync(dbFile), before);
  assert.equal(readFileSync(ledger, 'utf8'), '');
  assert.ok(
    !existsSync(join(b.root, 'state', 'auth.json')) ||
      !readFileSync(join(b.root, 'state', 'auth.json'), 'utf8').includes('not a database'),
  );
  assert.ok(!existsSync('/etc/edgelake-rt-test'));
  assert.match(await b.cmd('sql test format = json "select 1 as one"'), /"one":\s*1/);
});

test('a peer cannot make the node send it a file from outside its data directories', async (t) => {
  const { a, b, bAddr } = await pair(t);
  const aAddr = a.running.node.connections.get('TCP')!.external;
  // b is asked (by a, as a peer) to copy /etc/passwd and then its own database to a.
  const reply = await a.cmd(`run client (${bAddr}) run client (${aAddr}) file copy /etc/passwd !tmp_dir/passwd`);
  assert.match(reply, /outside the node's data directories/);
  const reply2 = await a.cmd(
    `run client (${bAddr}) run client (${aAddr}) file copy ${join(b.root, 'data', 'dbms', 'test.dbms')} !tmp_dir/db`,
  );
  assert.match(reply2, /databases, journal, ledger, state or keys|outside the node's data directories/);
  // A link in b's data dir to /etc is resolved first.
  mkdirSync(join(b.root, 'data', 'tmp'), { recursive: true });
  symlinkSync('/etc', join(b.root, 'data', 'tmp', 'etc'));
  const reply3 = await a.cmd(
    `run client (${bAddr}) run client (${aAddr}) file copy ${join(b.root, 'data', 'tmp', 'etc', 'passwd')} !tmp_dir/p2`,
  );
  assert.match(reply3, /outside the node's data directories/);
  await new Promise((r) => setTimeout(r, 200));
  assert.ok(!existsSync(join(a.root, 'data', 'tmp', 'passwd')));
  assert.ok(!existsSync(join(a.root, 'data', 'tmp', 'p2')));
});

test('file store and file retrieve from REST are confined; the owner may not retrieve over the databases', async (t) => {
  const n = await startTestNode(
    'node:\n  name: blobs-node\ndbms:\n  test:\n    type: sqlite\nservices:\n  rest_server:\n    internal_ip: 127.0.0.1\n    internal_port: 0\n  streamer: {}\n  operator: {}\n  blobs_archiver: {}\n',
  );
  t.after(() => n.stop());
  const post = (command: string) => http(n.port, 'POST', { command, 'User-Agent': 'AnyLog/1.23' });
  const r = await post('file store where dbms = test and table = docs and source = /etc/passwd');
  assert.equal(r.status, 400);
  assert.match(r.body, /outside the node's data directories/);
  // A file in the data directories may be stored from REST, and retrieved into them only.
  const src = join(n.root, 'data', 'tmp', 'test.docs.a.txt');
  writeFileSync(src, 'hello');
  const ok = await post(`file store where source = ${src}`);
  assert.equal(ok.status, 200, ok.body);
  const out = await post('file retrieve where dbms = test and id = a.txt and dest = /tmp/elrt-retrieved.txt');
  assert.equal(out.status, 400);
  assert.match(out.body, /outside the node's data directories/);
  assert.ok(!existsSync('/tmp/elrt-retrieved.txt'));
  const inside = await post(
    `file retrieve where dbms = test and id = a.txt and dest = ${join(n.root, 'data', 'tmp', 'back.txt')}`,
  );
  assert.equal(inside.status, 200, inside.body);
  assert.equal(readFileSync(join(n.root, 'data', 'tmp', 'back.txt'), 'utf8'), 'hello');
  // Not even the owner writes over a database file.
  await assert.rejects(
    n.cmd(`file retrieve where dbms = test and id = a.txt and dest = ${join(n.root, 'data', 'dbms', 'test.dbms')}`),
    /databases, journal, ledger, state or keys/,
  );
});
