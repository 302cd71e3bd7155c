// The node's identity: keys made once, `get node id`, signed policies that authenticate and stop authenticating
// once changed (node/auth/identity.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startTestNode } from '../../harness/test-node.js';
import { tcpNodeYaml } from '../network/peers.js';

test('id create keys for node makes one encrypted key pair; id sign and id authenticate use it', async (t) => {
  const n = await startTestNode(tcpNodeYaml('id-node'));
  t.after(() => n.stop());
  assert.match(await n.cmd('get node id'), /No keys/);
  await n.cmd('id create keys for node where password = "node key pw"');
  await assert.rejects(n.cmd('id create keys for node where password = other'), /made once/);
  const id = await n.cmd('get node id');
  assert.match(id, /^[A-Za-z0-9+/]+=*$/);
  const keyFile = join(n.root, 'anylog', 'node_id.key');
  assert.equal(statSync(keyFile).mode & 0o777, 0o600);
  assert.match(readFileSync(keyFile, 'utf8'), /ENCRYPTED PRIVATE KEY/);

  await n.cmd(`policy = {"operator": {"name": "op1", "ip": "10.0.0.1", "port": 32148, "cluster": "c1"}}`);
  await n.cmd('signed = id sign !policy where password = "node key pw"');
  const signed = JSON.parse(await n.cmd('get dictionary value where key = signed')) as {
    operator: Record<string, unknown>;
  };
  assert.equal(signed.operator['public_key'], id);
  assert.equal(typeof signed.operator['signature'], 'string');
  assert.equal(await n.cmd('id authenticate !signed'), 'true');
  // Keys in another order: still the same policy.
  const reordered = JSON.stringify({ operator: Object.fromEntries(Object.entries(signed.operator).reverse()) });
  assert.equal(await n.cmd(`id authenticate ${reordered}`), 'true');
  // Changed after signing: refused.
  const changed = JSON.stringify({ operator: { ...signed.operator, ip: '10.6.6.6' } });
  await assert.rejects(n.cmd(`id authenticate ${changed}`), /not signed by the key it names/);
  await assert.rejects(n.cmd('id sign !policy where password = wrong'), /cannot be opened/);
  // The private password given once for the run signs without repeating it.
  await n.cmd('set private password = "node key pw"');
  await n.cmd('again = id sign !policy');
  assert.equal(await n.cmd('id authenticate !again'), 'true');
  // From a peer: refused.
  const tcp = n.running.node.connections.get('TCP')!.internal;
  assert.match(await n.cmd(`run client (${tcp}) id sign !policy where password = x`), /not accepted from a TCP peer/);
});
