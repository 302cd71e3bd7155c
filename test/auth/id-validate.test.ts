// `id validate`: what a key may run, from the member, permissions and assignment policies on the ledger
// (node/auth/permissions.ts): the root may do anything; permissions count when signed by a key with authority
// (the root, or a member granted "*" by it); enable/disable by command words; databases and tables.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestNode, type TestNode } from '../../harness/test-node.js';
import { createNodeKeys, signPolicy } from '../../node/auth/identity.js';
import { jsonDumps } from '../../protocols/policy/pyrepr.js';
import { parseJson, type Policy } from '../../protocols/policy/pyvalue.js';
import { tcpNodeYaml } from '../network/peers.js';

/** A key pair of its own (a user or another node), signing policies as `id sign` does. */
function identity(dir: string, name: string): { key: string; sign(p: object): string } {
  const d = join(dir, name);
  const key = createNodeKeys(d, `${name}-password`);
  return { key, sign: (p) => jsonDumps(signPolicy(parseJson(JSON.stringify(p)) as Policy, d, `${name}-password`)) };
}

async function insert(n: TestNode, policy: string): Promise<void> {
  n.running.node.dict.set('p', policy);
  await n.cmd('blockchain insert where policy = !p and local = true');
}

test('id validate: root, granted authority, enable/disable, databases and tables, unauthorised grants', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'elrt-keys-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const n = await startTestNode(tcpNodeYaml('validator'));
  t.after(() => n.stop());
  const root = identity(dir, 'root');
  const roy = identity(dir, 'roy');
  const node = identity(dir, 'node');
  const mallory = identity(dir, 'mallory');
  await insert(n, root.sign({ member: { type: 'root', name: 'rachel' } }));
  await insert(n, roy.sign({ member: { type: 'user', name: 'roy' } }));
  await insert(n, node.sign({ member: { type: 'node', name: 'node 1' } }));
  await insert(n, mallory.sign({ member: { type: 'user', name: 'mallory' } }));
  // The root grants Roy everything; Roy (now with authority) gives the node limited permissions.
  await insert(n, root.sign({ permissions: { name: 'no restrictions', databases: ['*'], enable: ['*'] } }));
  const all = await n.cmd("blockchain get permissions where name = 'no restrictions' bring [permissions][id]");
  await insert(n, root.sign({ assignment: { name: 'roy all', permissions: all, members: [roy.key] } }));
  await insert(
    n,
    roy.sign({
      permissions: {
        name: 'node basic',
        databases: ['*', '-secret'],
        tables: ['secret.open'],
        enable: ['get', 'sql', 'echo'],
        disable: ['get users'],
      },
    }),
  );
  const basic = await n.cmd("blockchain get permissions where name = 'node basic' bring [permissions][id]");
  await insert(n, roy.sign({ assignment: { permissions: basic, members: [node.key] } }));
  // Mallory, without authority, grants herself everything: it does not count.
  await insert(n, mallory.sign({ assignment: { permissions: all, members: [mallory.key] } }));

  const validate = (key: string, rest: string) => {
    n.running.node.dict.set('k', key);
    return n.cmd(`id validate where key = !k and ${rest}`);
  };
  assert.equal(await validate(root.key, 'command = "system ls"'), 'true');
  assert.equal(await validate(roy.key, 'command = "system ls"'), 'true');
  assert.equal(await validate(node.key, 'command = "get status"'), 'true');
  assert.equal(await validate(node.key, 'command = "GET Status"'), 'true');
  await assert.rejects(validate(node.key, 'command = "get users"'), /not permitted.*'node basic'.*'get users'/);
  await assert.rejects(validate(node.key, 'command = "blockchain get *"'), /not permitted/);
  assert.equal(await validate(node.key, 'command = sql and dbms = lsl and table = t1'), 'true');
  await assert.rejects(validate(node.key, 'command = sql and dbms = secret and table = hidden'), /on secret\.hidden/);
  assert.equal(await validate(node.key, 'command = sql and dbms = secret and table = open'), 'true');
  await assert.rejects(validate(mallory.key, 'command = "system ls"'), /no permissions are assigned/);
  const stranger = identity(dir, 'stranger');
  await assert.rejects(validate(stranger.key, 'command = "get status"'), /not a member/);
  await assert.rejects(n.cmd('id validate where command = "get status"'), /expected 'where key/);
  // A changed permissions policy no longer authenticates: its grant is gone.
  const changed = JSON.parse(roy.sign({ permissions: { name: 'echo only', enable: ['echo'] } })) as {
    permissions: Record<string, unknown>;
  };
  changed.permissions['enable'] = ['*'];
  await insert(n, JSON.stringify(changed));
  const echoOnly = await n.cmd("blockchain get permissions where name = 'echo only' bring [permissions][id]");
  await insert(n, roy.sign({ assignment: { permissions: echoOnly, members: [stranger.key] } }));
  await insert(n, stranger.sign({ member: { type: 'user', name: 'stranger' } }));
  await assert.rejects(validate(stranger.key, 'command = "echo hi"'), /no permissions are assigned/);
});
