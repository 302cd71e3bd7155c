// Signed messages between two edgelake-rt nodes on loopback (peer/sign.ts, actors/tcp-server/peer-auth.ts,
// node/auth/peer-auth.ts): with node authentication on, the receiver takes a message signed by a member's key
// and allowed by its permissions; it refuses and counts unsigned messages (except from the allow list), wrong
// signatures, stale and replayed messages, and answers a signed command its key may not run with the reason.
// Off, every peer is served as EdgeLake does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestNode, until } from '../../harness/test-node.js';
import { HEADER_SIZE } from '../../protocols/tcp/header.js';
import { tcpNodeYaml, tcpPort } from '../network/peers.js';
import { answerText, sendRaw, signInto, signerOf } from './peer-signing.js';

test('node authentication: signed peers by their permissions; unsigned only from the allow list; no replay', async (t) => {
  const a = await startTestNode(tcpNodeYaml('node-a'));
  t.after(() => a.stop());
  const b = await startTestNode(tcpNodeYaml('node-b'));
  t.after(() => b.stop());
  const bAddr = b.running.node.connections.get('TCP')!.external;
  const bPort = tcpPort(bAddr);
  const ask = (cmd: string) => a.cmd(`run client (${bAddr}, timeout = 5) ${cmd}`);
  assert.match(await ask('get node name'), /node-b/);

  // Keys: each node signs from the moment it has them.
  await a.cmd('id create keys for node where password = pass-a');
  await b.cmd('id create keys for node where password = pass-b');
  assert.match(await a.cmd('get authentication'), /Node signs messages\s*\|\s*Yes/);
  const aKey = await a.cmd('get node id');
  // B's ledger: B is the root; A is a node member; A may run `get`, `echo`, `print`, but not `get users`.
  await signInto(b, 'pass-b', '{"member": {"type": "root", "name": "node-b"}}', b);
  await signInto(a, 'pass-a', '{"member": {"type": "node", "name": "node-a"}}', b);
  await signInto(
    b,
    'pass-b',
    '{"permissions": {"name": "basic", "enable": ["get", "echo", "print"], "disable": ["get users"]}}',
    b,
  );
  const permId = await b.cmd('blockchain get permissions where name = basic bring [permissions][id]');
  await signInto(
    b,
    'pass-b',
    `{"assignment": {"name": "a basic", "permissions": "${permId}", "members": ["${aKey}"]}}`,
    b,
  );

  await b.cmd('set node authentication on where allow = 127.0.0.2');
  assert.match(await b.cmd('get authentication'), /Node authentication\s*\|\s*ON/);

  // Signed and permitted: served (the answer is signed by B; A's authentication is off and takes it).
  assert.match(await ask('get node name'), /node-b/);
  // Signed, not permitted: refused with the reason.
  assert.match(await ask('blockchain get *'), /permission denied.*'basic'.*do not allow 'blockchain get \*'/);
  assert.match(await ask('get users'), /permission denied/);
  // A query is checked for the table it reads (before it runs).
  await assert.rejects(ask('sql test format = json "select * from t1"'), /permission denied.*'sql' on test\.t1/);

  const signer = signerOf(a, 'pass-a', aKey);
  // Unsigned from 127.0.0.1 (not listed): no answer, counted.
  assert.equal((await sendRaw(bPort, 'get node name')).answer, 'none');
  // Unsigned from the allow list (EdgeLake peers cannot sign): served.
  assert.match(answerText((await sendRaw(bPort, 'get node name', { from: '127.0.0.2' })).answer), /node-b/);
  // Signed by A, then changed: the signature does not hold.
  const tampered = await sendRaw(bPort, 'get node name', {
    signer,
    tamper: (block) => (block[HEADER_SIZE] = 'G'.charCodeAt(0)),
  });
  assert.equal(tampered.answer, 'none');
  // Signed by a key of no member: its signature holds, its key is not on B's ledger.
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const stranger = { publicKey: publicKey.export({ type: 'spki', format: 'der' }).toString('base64'), key: privateKey };
  assert.match(answerText((await sendRaw(bPort, 'get node name', { signer: stranger })).answer), /not a member/);
  // Signed by A: served once; the same bytes again are a replay.
  const first = await sendRaw(bPort, 'get node name', { signer });
  assert.match(answerText(first.answer), /node-b/);
  assert.equal((await sendRaw(bPort, '', { bytes: first.bytes })).answer, 'none');
  // Signed a minute ago: stale.
  assert.equal((await sendRaw(bPort, 'get node name', { signer, timeMs: Date.now() - 60_000 })).answer, 'none');

  // Counted by reason (the TCP server reports its counts about once a second).
  const refusedLine = async () => /Peer messages refused\s*\|\s*([^\n|]*)/.exec(await b.cmd('get authentication'))![1]!;
  await until(async () => /replay 1/.test(await refusedLine()) && /stale 1/.test(await refusedLine()), 5000, 100);
  const line = await refusedLine();
  for (const r of ['unsigned 1', 'bad_signature 1', 'replay 1', 'stale 1', 'unknown_key 1', 'not_permitted 3'])
    assert.match(line, new RegExp(r), line);
  assert.match(await b.cmd('get tcp server info'), /auth_refused\s*\|\s*\S/);

  // Off: every peer is served again, signed or not; the command cannot come from a peer.
  await b.cmd('set node authentication off');
  assert.match(answerText((await sendRaw(bPort, 'get node name')).answer), /node-b/);
  assert.match(await ask('blockchain get member bring.count'), /\b2$/);
  assert.match(await ask('set node authentication on'), /not accepted from a TCP peer/);
});

test('node authentication on: a node without keys is refused unless listed; file copies are signed', async (t) => {
  const a = await startTestNode(tcpNodeYaml('plain-a'));
  t.after(() => a.stop());
  const b = await startTestNode(tcpNodeYaml('plain-b'));
  t.after(() => b.stop());
  const bAddr = b.running.node.connections.get('TCP')!.external;
  await b.cmd('set node authentication on where allow = 127.0.0.2');
  // A signs nothing (no keys): from 127.0.0.1 it is not listed.
  await assert.rejects(a.cmd(`run client (${bAddr}, timeout = 2) get node name`), /no reply/);
  await b.cmd('set node authentication on where allow = 127.0.0.1');
  assert.match(await a.cmd(`run client (${bAddr}, timeout = 5) get node name`), /plain-b/);
  // Keys on A, a member with `file` permission on B: a signed file copy lands; not listed any more.
  await a.cmd('id create keys for node where password = pass-a');
  await b.cmd('id create keys for node where password = pass-b');
  const aKey = await a.cmd('get node id');
  await signInto(b, 'pass-b', '{"member": {"type": "root", "name": "plain-b"}}', b);
  await signInto(a, 'pass-a', '{"member": {"type": "node", "name": "plain-a"}}', b);
  await signInto(b, 'pass-b', '{"permissions": {"name": "files", "enable": ["file", "get"]}}', b);
  const permId = await b.cmd('blockchain get permissions where name = files bring [permissions][id]');
  await signInto(b, 'pass-b', `{"assignment": {"permissions": "${permId}", "members": ["${aKey}"]}}`, b);
  await b.cmd('set node authentication on where allow = 127.0.0.2');
  assert.match(await a.cmd(`run client (${bAddr}, timeout = 5) get node name`), /plain-b/);
  writeFileSync(join(a.running.node.dict.get('tmp_dir')!, 'to-b.json'), '{"x": 1}\n'.repeat(3000));
  await a.cmd(`run client (${bAddr}) file copy !tmp_dir/to-b.json !tmp_dir/from-a.json`);
  const tmp = b.running.node.dict.get('tmp_dir')!;
  await until(() => existsSync(join(tmp, 'from-a.json')), 5000);
  assert.equal(readFileSync(join(tmp, 'from-a.json'), 'utf8'), '{"x": 1}\n'.repeat(3000));
  const refused = /Peer messages refused\s*\|\s*([^\n|]*)/.exec(await b.cmd('get authentication'))![1]!;
  assert.doesNotMatch(refused, /bad_signature|not_permitted/);
});
