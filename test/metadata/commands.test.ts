// The metadata commands on a node: `config from policy`, `blockchain delete policy` with a master, conditions in
// `blockchain get`, `set policy` and the JSON references of a policy text.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { freePort } from '../../harness/child-node.js';
import { http, until } from '../../harness/test-node.js';
import { commandTestNode, tcpTestNode } from '../network/peers.js';

/** A node of its own for the test; with a TCP server unless `tcp` is false. */
const node = (t: TestContext, name: string, tcp = true) => (tcp ? tcpTestNode(t, name) : commandTestNode(t, name));

test('config from policy starts TCP and REST from the policy, then runs its script up to the first failure', async (t) => {
  const n = await node(t, 'cfg', false);
  const [tcp, rest] = [await freePort(), await freePort()];
  await n.cmd(`tcp_port = ${tcp}`);
  // As a script line `<config = {...}>` would give it (the interpreter joins those lines): one command.
  await n.cmd(
    `config = {"config": {"name": "node-config", "company": "Co", "ip": "127.0.0.1", "port": !tcp_port.int, "rest_ip": "127.0.0.1", "rest_port": ${rest}, "script": ["set node name configured", "a = 1", "get xyzzy now", "b = 2"]}}`,
  );
  await n.cmd('blockchain insert where policy = !config and local = true');
  const id = await n.cmd('blockchain get config where name = node-config bring [config][id]');
  await assert.rejects(n.cmd(`config from policy where id = ${id}`), (err: Error) => {
    assert.match(err.message, new RegExp(`Wrong format in script line 3 of policy: ${id} command: 'get xyzzy now'`));
    return true;
  });
  assert.equal(n.running.node.connections.get('TCP')?.external, `127.0.0.1:${tcp}`);
  assert.equal((await http(rest, 'GET', { command: 'get node name', 'User-Agent': 'AnyLog/1.23' })).body, 'configured');
  assert.equal(n.running.node.dict.get('a'), '1');
  assert.equal(n.running.node.dict.get('b'), undefined, 'the script stopped at the failing line');
  assert.match(await n.cmd('get config policies'), new RegExp(`${id}\\|node-config\\|\\s*2\\|`));
  await assert.rejects(n.cmd('config from policy where id = 0123'), { code: 113 });
});

test('blockchain get takes conditions; set policy and JSON references build policies', async (t) => {
  const n = await node(t, 'q', false);
  await n.cmd('blockchain insert where policy = {"cluster": {"name": "cl1", "company": "Test Co"}} and local = true');
  assert.equal(
    await n.cmd('blockchain get cluster where [name] == cl1 bring [cluster][id]'),
    'cdf34d419daf168289697a2dec1d852c',
  );
  assert.equal(await n.cmd('blockchain get (cluster, table) bring.count'), '1');
  assert.equal(await n.cmd('blockchain get table'), '');
  await n.cmd('node_port = 32148');
  await n.cmd(
    'p = {"operator": {"name": !node_name, "company": "Test Co", "ip": "10.0.0.5", "port": !node_port.int, "cluster": "cdf34d419daf168289697a2dec1d852c"}}',
  );
  await n.cmd('blockchain insert where policy = !p and local = true');
  assert.equal(await n.cmd('blockchain get operator where port = 32148 bring [operator][name]'), 'q');
  assert.equal(await n.cmd('blockchain read operator bring.ip_port'), '10.0.0.5:32148');
  await assert.rejects(n.cmd('blockchain insert where policy = !p'), /Missing ledger location information/);
  await assert.rejects(n.cmd('blockchain insert where policy = !p and local = true'), { code: 149 });
  await n.cmd('blockchain reload metadata');
  assert.equal(await n.cmd('blockchain get * bring.count'), '2');
});

test('blockchain delete policy with a master: gone from the node and from the master', async (t) => {
  const m = await node(t, 'master');
  const a = await node(t, 'nodeA');
  const M = m.running.node.connections.get('TCP')!.external;
  await a.cmd(`run blockchain sync where source = master and time = 1 second and dest = file and connection = ${M}`);
  await a.cmd(`blockchain insert where policy = {"tag": {"name": "t1"}} and local = true and master = ${M}`);
  const id = await a.cmd('blockchain get tag bring [tag][id]');
  await until(async () => (await m.cmd('blockchain get tag bring.count')) === '1', 5000);
  await until(async () => (await a.cmd('blockchain get tag bring [tag][ledger]')) === 'global', 5000);
  await a.cmd(`blockchain delete policy where id = ${id} and master = ${M}`);
  assert.equal(await a.cmd('blockchain get tag'), '');
  await until(async () => (await m.cmd('blockchain get tag')) === '', 5000);
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(await a.cmd('blockchain get tag'), '', 'a sync does not bring it back');
  await assert.rejects(a.cmd(`blockchain delete policy where id = ${id} and local = true`), { code: 113 });
  await assert.rejects(m.cmd(`blockchain drop policy where id = ${id}`), { code: 101 });
});

test('a policy inserted while the master is down stays local, and the next sync sends it', async (t) => {
  const m = await node(t, 'master');
  const a = await node(t, 'nodeA');
  const M = m.running.node.connections.get('TCP')!.external;
  const dead = `127.0.0.1:${await freePort()}`;
  const warn = await a.cmd(
    `blockchain insert where policy = {"tag": {"name": "late"}} and local = true and master = ${dead}`,
  );
  assert.match(warn, /^Warning: New policy 'tag' failed to update the Master Node at '.*connection refused/);
  assert.equal(await a.cmd('blockchain get tag bring [tag][ledger]'), 'local');
  await m.cmd('blockchain insert where policy = {"tag": {"name": "from-master"}} and local = true');
  await a.cmd(`run blockchain sync where source = master and time = 1 second and dest = file and connection = ${M}`);
  await until(async () => (await m.cmd('blockchain get tag where name = late bring.count')) === '1', 8000);
  await until(async () => (await a.cmd('blockchain get tag bring.count')) === '2', 8000);
  await until(async () => (await a.cmd('blockchain get tag where name = late bring [tag][ledger]')) === 'global', 8000);
  assert.match(await a.cmd('get synchronizer'), /Running/);
});
