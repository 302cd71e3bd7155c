// A signed message is bound to the node it was sent to (issue 13, third look): a member that received one
// cannot replay it to a third node, where it would run with the original sender's permissions. And a signed
// file transfer whose block 1 does not verify is refused before anything is written. Three real nodes on
// loopback; A's real sender is recorded by a forwarding proxy in front of B.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type Socket } from 'node:net';
import { startTestNode, until, type TestNode } from '../../harness/test-node.js';
import { close, listen, tcpNodeYaml, tcpPort } from '../network/peers.js';
import { sendRaw, signInto, signerOf } from './peer-signing.js';
import { authSegment, blocksDigest, placeholderAuth, writeAuth } from '../../peer/sign.js';
import { fileWriteMessage } from '../../protocols/tcp/builders.js';

const refusals = async (n: TestNode): Promise<string> =>
  /Peer messages refused\s*\|\s*([^\n|]*)/.exec(await n.cmd('get authentication'))![1]!;

/** `target` trusts `a`'s key with `get` (signed by `target`'s own root key); its node authentication on. */
async function trust(a: TestNode, aKey: string, target: TestNode, name: string): Promise<void> {
  await target.cmd(`id create keys for node where password = pass-${name}`);
  await signInto(target, `pass-${name}`, `{"member": {"type": "root", "name": "${name}"}}`, target);
  await signInto(a, 'pass-a', '{"member": {"type": "node", "name": "node-a"}}', target);
  await signInto(target, `pass-${name}`, '{"permissions": {"name": "getter", "enable": ["get", "file"]}}', target);
  const permId = await target.cmd('blockchain get permissions where name = getter bring [permissions][id]');
  await signInto(
    target,
    `pass-${name}`,
    `{"assignment": {"permissions": "${permId}", "members": ["${aKey}"]}}`,
    target,
  );
  await target.cmd('set node authentication on where allow = 127.0.0.2');
}

/** A TCP proxy to `port` that records what its clients send. */
async function recordingProxy(port: number): Promise<{ port: number; sent: Buffer[]; stop: () => Promise<void> }> {
  const sent: Buffer[] = [];
  const sockets: Socket[] = [];
  const { server, port: own } = await listen((s) => {
    const up = connect({ port, host: '127.0.0.1' });
    sockets.push(s, up);
    s.on('data', (d: Buffer) => (sent.push(Buffer.from(d)), up.write(d)));
    up.on('data', (d: Buffer) => s.write(d));
    s.on('end', () => up.end());
    up.on('end', () => s.end());
    s.on('error', () => up.destroy());
    up.on('error', () => s.destroy());
  });
  return {
    port: own,
    sent,
    stop: async () => {
      for (const s of sockets) s.destroy();
      await close(server);
    },
  };
}

test("a member's signed message replayed to another node is refused as sent elsewhere", async (t) => {
  const a = await startTestNode(tcpNodeYaml('node-a'));
  t.after(() => a.stop());
  const b = await startTestNode(tcpNodeYaml('node-b'));
  t.after(() => b.stop());
  const c = await startTestNode(tcpNodeYaml('node-c'));
  t.after(() => c.stop());
  await a.cmd('id create keys for node where password = pass-a');
  const aKey = await a.cmd('get node id');
  await trust(a, aKey, b, 'node-b');
  await trust(a, aKey, c, 'node-c');
  const bPort = tcpPort(b.running.node.connections.get('TCP')!.external);
  const cPort = tcpPort(c.running.node.connections.get('TCP')!.external);
  // A's own sender, straight to B and to C: both take it.
  assert.match(await a.cmd(`run client (127.0.0.1:${bPort}, timeout = 5) get node name`), /node-b/);
  assert.match(await a.cmd(`run client (127.0.0.1:${cPort}, timeout = 5) get node name`), /node-c/);

  // Through a forwarding address B does not know as its own: A signs for the address it connects to, which B
  // refuses, until B is told it is one of its addresses (a NAT or a name peers use for it).
  const proxy = await recordingProxy(bPort);
  t.after(proxy.stop);
  await assert.rejects(a.cmd(`run client (127.0.0.1:${proxy.port}, timeout = 2) get node name`), /no reply/);
  await until(async () => /wrong_destination 1/.test(await refusals(b)), 5000, 100);
  await b.cmd(`set node authentication on where address = 127.0.0.1:${proxy.port}`);
  proxy.sent.length = 0;
  assert.match(await a.cmd(`run client (127.0.0.1:${proxy.port}, timeout = 5) get node name`), /node-b/);
  const captured = Buffer.concat(proxy.sent);
  assert.ok(captured.length >= 2048, `captured ${captured.length} bytes`);

  // What B received, replayed by B (or anyone who saw it) to C within the window: refused, counted, unanswered.
  const before = await refusals(c);
  assert.doesNotMatch(before, /wrong_destination/);
  assert.equal((await sendRaw(cPort, '', { bytes: captured }, 1000)).answer, 'none');
  await until(async () => /wrong_destination 1/.test(await refusals(c)), 5000, 100);
  // Sent to B again: its nonce was seen.
  assert.equal((await sendRaw(bPort, '', { bytes: captured }, 1000)).answer, 'none');
  await until(async () => /replay 1/.test(await refusals(b)), 5000, 100);
  // C still takes what A signs for it.
  assert.match(await a.cmd(`run client (127.0.0.1:${cPort}, timeout = 5) get node name`), /node-c/);
  assert.match(await c.cmd('get tcp server info'), /auth_refused\s*\|\s*\S/);
});

test('a signed file transfer whose block 1 does not verify is refused before anything is written', async (t) => {
  const a = await startTestNode(tcpNodeYaml('node-a'));
  t.after(() => a.stop());
  const b = await startTestNode(tcpNodeYaml('node-b'));
  t.after(() => b.stop());
  await a.cmd('id create keys for node where password = pass-a');
  const aKey = await a.cmd('get node id');
  await trust(a, aKey, b, 'node-b');
  const bPort = tcpPort(b.running.node.connections.get('TCP')!.external);
  const tmp = b.running.node.dict.get('tmp_dir')!;
  const signer = signerOf(a, 'pass-a', aKey);
  // 4 MB claimed by A's key (a permitted member), signed by another key: no peer without A's private key can
  // make block 1 verify.
  const data = randomBytes(4 << 20);
  const forge = (key: typeof signer.key) => {
    const blocks = fileWriteMessage('!tmp_dir/forged.bin', data, 0, {
      source: { ip: '127.0.0.1', port: 1 },
      auth: placeholderAuth(),
    });
    writeAuth(blocks, authSegment({ publicKey: aKey, key }, new Uint8Array(32), `127.0.0.1:${bPort}`));
    return Buffer.concat(blocks);
  };
  const other = signerOf(b, 'pass-node-b', await b.cmd('get node id'));
  const seen: string[] = [];
  const watch = setInterval(() => seen.push(...readdirSync(tmp)), 5);
  t.after(() => clearInterval(watch));
  await sendRaw(bPort, '', { bytes: forge(other.key) }, 200);
  await until(async () => /bad_signature 1/.test(await refusals(b)), 5000, 100);
  clearInterval(watch);
  seen.push(...readdirSync(tmp));
  assert.deepEqual(
    seen.filter((f) => f.startsWith('forged')),
    [],
    'no transfer file was opened',
  );
  // Signed by A's key over a digest its blocks do not have: block 1 verifies, the last block does not match; the
  // transfer file is removed and the destination never appears.
  await sendRaw(bPort, '', { bytes: forge(signer.key) }, 200);
  await until(async () => /bad_signature 2/.test(await refusals(b)), 5000, 100);
  await until(() => readdirSync(tmp).filter((f) => f.startsWith('forged')).length === 0, 5000, 50);
  // The real sender's transfer of the same bytes lands.
  const src = a.running.node.dict.get('tmp_dir')!;
  writeFileSync(`${src}/real.bin`, data);
  await a.cmd(`run client (127.0.0.1:${bPort}) file copy !tmp_dir/real.bin !tmp_dir/landed.bin`);
  await until(
    () => existsSync(`${tmp}/landed.bin`) && readFileSync(`${tmp}/landed.bin`).length === data.length,
    10_000,
  );
  assert.ok(readFileSync(`${tmp}/landed.bin`).equals(data));
});

test('a large message is bounded like a command before its signer is known to be anyone', async (t) => {
  const b = await startTestNode(tcpNodeYaml('node-b'));
  t.after(() => b.stop());
  await b.cmd('id create keys for node where password = pass-b');
  await b.cmd('set node authentication on where allow = 127.0.0.2');
  const bPort = tcpPort(b.running.node.connections.get('TCP')!.external);
  const prep = b.running.node.dict.get('prep_dir')!;
  // Any key verifies its own signature: a stranger's, on a 3 MB "command" sent as a file (generic flag 3).
  const k = generateKeyPairSync('ed25519');
  const stranger = {
    publicKey: k.publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
    key: k.privateKey,
  };
  const blocks = fileWriteMessage('cmd.127.0.0.1.1.lmsg', Buffer.alloc(3 << 20, 0x61), 3, {
    source: { ip: '127.0.0.1', port: 1 },
    auth: placeholderAuth(),
  });
  writeAuth(blocks, authSegment(stranger, blocksDigest(blocks), `127.0.0.1:${bPort}`));
  let most = 0;
  const watch = setInterval(() => {
    for (const f of readdirSync(prep)) {
      try {
        most = Math.max(most, statSync(join(prep, f)).size);
      } catch (err) {
        if ((err as { code?: string }).code !== 'ENOENT') throw err;
      }
    }
  }, 5);
  t.after(() => clearInterval(watch));
  await sendRaw(bPort, '', { bytes: Buffer.concat(blocks) }, 200);
  await until(async () => /malformed\s*\|\s*1/.test(await b.cmd('get tcp server info')), 5000, 100);
  await until(() => readdirSync(prep).length === 0, 5000, 50);
  clearInterval(watch);
  assert.ok(most <= 512 * 1024, `${most} bytes written`);
  assert.match(await b.cmd('get tcp server info'), /a large message \(a command sent as a file\) over 524288/);
});
