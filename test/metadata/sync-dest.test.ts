// `run blockchain sync` honours `dest` as EdgeLake does (member_cmd.py `_blockchain_sync`, bsync.py):
//   source = master and dest = dbms   each ledger taken from the master is written to the `ledger` table of dbms
//                                     `blockchain` too (and the command is refused without that table)
//   source = master and dest = file   the ledger file only: the table stays as it was
//   source = dbms and dest = file     a master whose ledger table is the source: what another writer puts in the
//                                     table (or removes) becomes the ledger file and the metadata
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tcpTestNode, type TcpTestNode } from '../network/peers.js';
import { until } from '../../harness/test-node.js';

type N = TcpTestNode & { addr: string };

async function node(t: TestContext, name: string): Promise<N> {
  const n = await tcpTestNode(t, name);
  return { ...n, addr: `127.0.0.1:${n.port}` };
}

async function withLedgerTable(n: N): Promise<void> {
  await n.cmd('connect dbms blockchain where type = sqlite');
  await n.cmd('create table ledger where dbms = blockchain');
}

async function tableNames(n: N): Promise<string[]> {
  const r = JSON.parse(
    await n.cmd(`sql blockchain format = json "select policy from ledger where policy_type = 'cluster'"`),
  ) as { Query?: { policy: string }[] };
  return (r.Query ?? []).map((q) => (JSON.parse(q.policy) as { cluster: { name: string } }).cluster.name).sort();
}

const cluster = (name: string): string =>
  `blockchain push {"cluster": {"name": "${name}", "company": "Co", "ledger": "global"}}`;

test('dest = dbms writes what the master sends to the ledger table; dest = file leaves the table alone', async (t) => {
  const master = await node(t, 'master');
  await master.cmd(cluster('c1'));
  const plain = await node(t, 'plain');
  // Without the ledger table, dest = dbms is refused (EdgeLake: "Table 'ledger' in 'blockchain' dbms not available").
  await assert.rejects(
    plain.cmd(
      `run blockchain sync where source = master and time = 1 second and dest = file and dest = dbms and connection = ${master.addr}`,
    ),
    /Table 'ledger' in 'blockchain' dbms not available/,
  );
  // dest is required, as in EdgeLake.
  await assert.rejects(
    plain.cmd(`run blockchain sync where source = master and time = 1 second and connection = ${master.addr}`),
    /dest: required/,
  );

  const toDbms = await node(t, 'todbms');
  await withLedgerTable(toDbms);
  await toDbms.cmd(
    `run blockchain sync where source = master and time = 1 second and dest = file and dest = dbms and connection = ${master.addr}`,
  );
  const toFile = await node(t, 'tofile');
  await withLedgerTable(toFile);
  await toFile.cmd(
    `run blockchain sync where source = master and time = 1 second and dest = file and connection = ${master.addr}`,
  );
  await until(async () => (await tableNames(toDbms)).includes('c1'), 10_000);
  await master.cmd(cluster('c2'));
  await until(async () => (await tableNames(toDbms)).join() === 'c1,c2', 10_000);
  // Both took the ledger into their metadata and their file; only dest = dbms wrote the table.
  await until(
    async () => (await toFile.cmd('blockchain get cluster bring [cluster][name] separator = ,')) === 'c1,c2',
    10_000,
  );
  assert.match(readFileSync(join(toFile.root, 'blockchain', 'blockchain.json'), 'utf8'), /"c2"/);
  assert.deepEqual(await tableNames(toFile), []);
});

test('source = dbms and dest = file: rows another writer puts in the ledger table become the metadata and the file', async (t) => {
  const m = await node(t, 'dbmsmaster');
  await withLedgerTable(m);
  await m.cmd(cluster('own'));
  await m.cmd('run blockchain sync where source = dbms and time = 1 second and dest = file');
  assert.match(await m.cmd('get synchronizer'), /Running\|DBMS\s*\|table blockchain\.ledger/);
  // Another master sharing the table (EdgeLake keeps several masters on one PostgreSQL ledger) adds a policy.
  const foreign =
    '{"cluster": {"name": "foreign", "company": "Co", "id": "f00d", "date": "2026-01-01T00:00:00.000000Z"}}';
  await m.running.node.dbms.write('blockchain', [
    {
      sql: 'INSERT INTO ledger (policy_type, policy_id, company_name, date, host, status, policy) VALUES (?, ?, ?, ?, ?, ?, ?)',
      params: ['cluster', 'f00d', 'Co', '2026-01-01 00:00:00', '10.0.0.9', 'active', foreign],
    },
  ]);
  // A command here before the synchronizer looks again leaves the other writer's row in the table.
  await m.cmd(cluster('mine'));
  const names = async (): Promise<string> =>
    (await m.cmd('blockchain get cluster bring [cluster][name] separator = ,')).split(',').sort().join();
  await until(async () => (await names()) === 'foreign,mine,own', 10_000);
  assert.match(await m.cmd('sql blockchain format = json "select policy_id from ledger"'), /f00d/);
  assert.match(readFileSync(join(m.root, 'blockchain', 'blockchain.json'), 'utf8'), /"foreign"/);
  // A row removed from the table leaves the metadata too.
  await m.running.node.dbms.write('blockchain', [{ sql: 'DELETE FROM ledger WHERE policy_id = ?', params: ['f00d'] }]);
  await until(async () => (await names()) === 'mine,own', 10_000);
  assert.doesNotMatch(readFileSync(join(m.root, 'blockchain', 'blockchain.json'), 'utf8'), /"foreign"/);

  // source = dbms needs the table.
  const bare = await node(t, 'bare');
  await assert.rejects(
    bare.cmd('run blockchain sync where source = dbms and time = 1 second and dest = file'),
    /Table 'ledger' in 'blockchain' dbms not available/,
  );
});
