// A hostile peer against node authentication (issue 13, second look): signed messages whose command is not the
// one the permissions saw, queries that reach past the tables a key may read, a segment that crashed the TCP
// server (and so forgot the nonces it had seen), and replays after a restart. Two real nodes on loopback; the
// hostile messages are built by hand (peer-signing.ts) and sent from raw sockets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'libsql';
import { startTestNode, until, type TestNode } from '../../harness/test-node.js';
import { tcpNodeYaml, tcpPort } from '../network/peers.js';
import { answerText, sendRaw, signInto, signerOf } from './peer-signing.js';
import { authSegment, blocksDigest, placeholderAuth, writeAuth, type MessageSigner } from '../../peer/sign.js';
import { fileWriteMessage } from '../../protocols/tcp/builders.js';

const refusals = async (n: TestNode): Promise<string> =>
  /Peer messages refused\s*\|\s*([^\n|]*)/.exec(await n.cmd('get authentication'))![1]!;

interface Setup {
  a: TestNode;
  b: TestNode;
  bPort: number;
  signer: MessageSigner;
}

/** B's root; A a node member allowed `get` and `sql` on test.ok_t only; B's authentication on. */
async function setup(t: { after(fn: () => Promise<void>): void }, keepRoot?: string): Promise<Setup> {
  const a = await startTestNode(tcpNodeYaml('hostile-a'));
  t.after(() => a.stop());
  const b = await startTestNode(tcpNodeYaml('target-b', { dbms: true }), keepRoot ? { keepRoot } : {});
  t.after(() => b.stop());
  const db = new Database(join(b.root, 'data', 'dbms', 'test.dbms'));
  db.exec(
    "create table if not exists ok_t (v text); create table if not exists secret (v text); delete from ok_t; delete from secret; insert into ok_t values ('open'); insert into secret values ('hidden-value')",
  );
  db.close();
  await a.cmd('id create keys for node where password = pass-a');
  await b.cmd('id create keys for node where password = pass-b');
  const aKey = await a.cmd('get node id');
  await signInto(b, 'pass-b', '{"member": {"type": "root", "name": "target-b"}}', b);
  await signInto(a, 'pass-a', '{"member": {"type": "node", "name": "hostile-a"}}', b);
  await signInto(
    b,
    'pass-b',
    '{"permissions": {"name": "reader", "enable": ["get", "sql"], "disable": ["get users"], "tables": ["test.ok_t"]}}',
    b,
  );
  const permId = await b.cmd('blockchain get permissions where name = reader bring [permissions][id]');
  await signInto(b, 'pass-b', `{"assignment": {"permissions": "${permId}", "members": ["${aKey}"]}}`, b);
  await b.cmd('set node authentication on where allow = 127.0.0.2');
  const bPort = tcpPort(b.running.node.connections.get('TCP')!.external);
  return { a, b, bPort, signer: signerOf(a, 'pass-a', aKey) };
}

test('a signed peer runs only what its permissions name, whatever form the command takes', async (t) => {
  const { b, bPort, signer } = await setup(t);
  // Allowed: a `get`, and a query of the table the permissions name.
  assert.match(answerText((await sendRaw(bPort, 'get node name', { signer })).answer), /target-b/);
  assert.match(
    answerText((await sendRaw(bPort, 'sql test format = json "select v from ok_t"', { signer, jobId: 0 })).answer),
    /open/,
  );
  // `get = <command>` starts with `get` but runs `blockchain get *`, which `get` does not allow.
  const assigned = answerText((await sendRaw(bPort, 'get = blockchain get *', { signer })).answer);
  assert.match(assigned, /permission denied/);
  assert.equal(b.running.node.dict.get('get'), undefined);
  // `x = <command>` with a permitted command still needs the assignment itself allowed.
  assert.match(answerText((await sendRaw(bPort, 'x = get node name', { signer })).answer), /permission denied/);
  // A `sql` command nobody waits for (job id 0) names no table in the permission check: its statement does.
  const direct = answerText(
    (await sendRaw(bPort, 'sql test format = json "select v from secret"', { signer, jobId: 0 })).answer,
  );
  assert.doesNotMatch(direct, /hidden-value/);
  assert.match(direct, /permission denied/);
  // A dbms given by a variable is not the dbms the permissions saw.
  b.running.node.dict.set('d', 'test');
  const byVar = answerText(
    (await sendRaw(bPort, 'sql !d format = json "select v from secret"', { signer, jobId: 0 })).answer,
  );
  assert.doesNotMatch(byVar, /hidden-value/);
  // A query of the allowed table with a subquery of another one, as a query node's request and as a command.
  for (const jobId of [41, 0]) {
    const sub = answerText(
      (
        await sendRaw(
          bPort,
          'sql test format = json "select v from ok_t where v in (select v from secret) or 1 = 1 union select v from secret"',
          {
            signer,
            jobId,
          },
        )
      ).answer,
    );
    assert.doesNotMatch(sub, /hidden-value/, `job id ${jobId}`);
    const nested = answerText(
      (
        await sendRaw(bPort, 'sql test format = json "select v from ok_t where v < (select max(v) from secret)"', {
          signer,
          jobId,
        })
      ).answer,
    );
    assert.match(nested, /permission denied|subquer/i, `job id ${jobId}: ${nested}`);
  }
});

test('a segment with a key that cannot verify is refused and counted; the TCP server keeps the nonces it saw', async (t) => {
  const { b, bPort, signer } = await setup(t);
  const first = await sendRaw(bPort, 'get node name', { signer });
  assert.match(answerText(first.answer), /target-b/);
  // An X25519 key has the length of an Ed25519 one: verifying with it throws instead of answering false.
  const x = generateKeyPairSync('x25519');
  const odd = { publicKey: x.publicKey.export({ type: 'spki', format: 'der' }).toString('base64'), key: signer.key };
  assert.equal((await sendRaw(bPort, 'get node name', { signer: odd })).answer, 'none');
  assert.match(answerText((await sendRaw(bPort, 'get node name', { signer })).answer), /target-b/);
  // Had the server restarted, it would have forgotten the first message's nonce (the answer would go to the
  // first message's reply port, closed by now: the count tells).
  assert.equal((await sendRaw(bPort, '', { bytes: first.bytes })).answer, 'none');
  await until(async () => /bad_signature 1.*replay 1|replay 1.*bad_signature 1/.test(await refusals(b)), 5000, 100);
  assert.equal(b.logs.records.filter((r) => r.msg === 'child exited').length, 0);
});

test('a message signed before the node started is not taken again after a restart', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'elrt-restart-'));
  const s = await setup(t, root);
  const first = await sendRaw(s.bPort, 'get node name', { signer: s.signer });
  assert.match(answerText(first.answer), /target-b/);
  await s.b.stop();
  const b2 = await startTestNode(tcpNodeYaml('target-b', { dbms: true }), { keepRoot: root });
  t.after(() => b2.stop());
  t.after(async () => rmSync(root, { recursive: true, force: true }));
  await b2.cmd('set node authentication on where allow = 127.0.0.2');
  const port2 = tcpPort(b2.running.node.connections.get('TCP')!.external);
  // Within the 30 s window, but its nonce was seen by the node's previous run.
  assert.equal((await sendRaw(port2, '', { bytes: first.bytes })).answer, 'none');
  await until(async () => /stale 1|replay 1/.test(await refusals(b2)), 5000, 100);
  assert.match(answerText((await sendRaw(port2, 'get node name', { signer: s.signer })).answer), /target-b/);
});

test('a ledger sent by a signed peer replaces the metadata only when its key may run the event that takes it', async (t) => {
  const setupNodes = await setup(t);
  const { b, bPort, signer } = setupNodes;
  // A may write files (data for the watch directory), not take over the metadata.
  await signInto(b, 'pass-b', '{"permissions": {"name": "files", "enable": ["file"]}}', b);
  const permId = await b.cmd('blockchain get permissions where name = files bring [permissions][id]');
  await signInto(b, 'pass-b', `{"assignment": {"permissions": "${permId}", "members": ["${signer.publicKey}"]}}`, b);
  // Generic flag 2: a ledger from a master, taken by `event blockchain_use_new` once written: B's own with one
  // policy more (made on A, so it is in the ledger's format).
  const { a } = setupNodes;
  await a.cmd('blockchain insert where policy = {"config": {"name": "injected", "company": "x"}} and local = true');
  const extra = readFileSync(join(a.root, 'blockchain', 'blockchain.json'), 'utf8')
    .trim()
    .split('\n')
    .pop()!;
  assert.match(extra, /injected/);
  const ledger = `${readFileSync(join(b.root, 'blockchain', 'blockchain.json'), 'utf8').trim()}\n${extra}\n`;
  const blocks = fileWriteMessage('!blockchain_dir/blockchain.new', Buffer.from(ledger), 2, {
    source: { ip: '127.0.0.1', port: 1 },
    auth: placeholderAuth(),
  });
  writeAuth(blocks, authSegment(signer, blocksDigest(blocks), `127.0.0.1:${bPort}`));
  await sendRaw(bPort, '', { bytes: Buffer.concat(blocks) }, 200);
  // Refused and counted, or taken: whichever comes first.
  const injected = () => b.cmd('blockchain get config where name = injected bring.count');
  await until(async () => /not_permitted/.test(await refusals(b)) || (await injected()) !== '', 5000, 100);
  assert.equal(await injected(), '');
  assert.match(await refusals(b), /not_permitted/);
});

test("a large message is written under a name of the receiver's, never over a file of the sender's choosing", async (t) => {
  const { b, bPort, signer } = await setup(t);
  const prep = b.running.node.dict.get('prep_dir')!;
  writeFileSync(join(prep, 'victim.json'), 'kept\n');
  // Generic flag 3: a command too long for one block, sent as a file into prep_dir, run, then deleted. A's key
  // may not write files; the name is A's to give.
  const blocks = fileWriteMessage('victim.json', Buffer.from('get node name'), 3, {
    source: { ip: '127.0.0.1', port: 1 },
    auth: placeholderAuth(),
  });
  writeAuth(blocks, authSegment(signer, blocksDigest(blocks), `127.0.0.1:${bPort}`));
  await sendRaw(bPort, '', { bytes: Buffer.concat(blocks) }, 200);
  // The message runs within a second or two; the file would be replaced, then deleted with it.
  const victim = join(prep, 'victim.json');
  const intact = () => existsSync(victim) && readFileSync(victim, 'utf8') === 'kept\n';
  for (let i = 0; i < 30 && intact(); i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal(readFileSync(join(prep, 'victim.json'), 'utf8'), 'kept\n');
});
