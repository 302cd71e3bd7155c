// A small network on loopback, every node a child process (the CLI from its sources): a master, two operators (a
// cluster and an operator policy each, sent to the master) and a publisher, all syncing from the master.
//   - a policy inserted at the master reaches every node within one sync period
//   - a JSON file dropped at the publisher lands in the table of the operator whose cluster lists the table
//   - with one operator killed, `get publisher` names it and why, and its file waits at the publisher; once it
//     is back (same root, same port) the file is delivered
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { until } from '../../harness/test-node.js';
import { child, cleanup, launch, type Child } from '../../harness/cluster.js';

const SYNC_S = 2;

/** `sql test ... count(*)` of a table, or -1 while it does not exist. */
async function count(c: Child, table: string): Promise<number> {
  try {
    const r = JSON.parse(await c.client.cmd(`sql test format = json select count(*) as n from ${table}`)) as {
      Query: { n: number }[];
    };
    return Number(r.Query[0]?.n ?? 0);
  } catch {
    return -1; // no table yet
  }
}

/** A file appears in the watch directory at once (written aside, then renamed in). */
function drop(c: Child, name: string, rows: readonly object[]): void {
  const tmp = join(c.root, 'data', 'tmp', name);
  writeFileSync(tmp, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  renameSync(tmp, join(c.root, 'data', 'watch', name));
}

async function operatorSetup(op: Child, master: string, n: number): Promise<string> {
  const c = op.client;
  await c.cmd(
    `run blockchain sync where source = master and time = ${SYNC_S} seconds and dest = file and connection = ${master}`,
  );
  await c.cmd(
    `blockchain insert where policy = {"cluster": {"name": "c${n}", "company": "Co", "table": [{"dbms": "test", "name": "t${n}"}]}} and local = true and master = ${master}`,
  );
  const cluster = await c.cmd(`blockchain get cluster where name = c${n} bring.first [*][id]`);
  await c.cmd(`op_port = ${op.port}`);
  await c.cmd(
    `set policy p${n} [operator] = {} and [operator][name] = ${op.name} and [operator][company] = Co and [operator][ip] = 127.0.0.1 and [operator][port] = !op_port.int`,
  );
  await c.cmd(`set policy p${n} [operator][cluster] = ${cluster}`);
  await c.cmd(`blockchain insert where policy = !p${n} and local = true and master = ${master}`);
  const id = await c.cmd(`blockchain get operator where name = ${op.name} bring.first [*][id]`);
  await c.cmd(`run operator where policy = ${id} and master_node = ${master}`);
  return id;
}

test(
  'master, two operators and a publisher: policies spread by sync, files reach the right operator, a dead one is retried',
  { timeout: 240_000 },
  async (t) => {
    const s = cleanup(t);
    const [m, op1, op2, pub] = await Promise.all([
      child(s, 'master'),
      child(s, 'op1', true),
      child(s, 'op2', true),
      child(s, 'pub'),
    ]);
    const id1 = await operatorSetup(op1, m.addr, 1);
    const id2 = await operatorSetup(op2, m.addr, 2);
    await pub.client.cmd(
      `run blockchain sync where source = master and time = ${SYNC_S} seconds and dest = file and connection = ${m.addr}`,
    );
    await pub.client.cmd('run publisher where compress_json = true');
    await until(async () => (await pub.client.cmd('blockchain get operator bring.count')) === '2', 15_000, 100);

    // A policy inserted at the master is everywhere within one sync period.
    await m.client.cmd('blockchain insert where policy = {"tag": {"name": "everywhere"}} and local = true');
    const t0 = Date.now();
    await Promise.all(
      [op1, op2, pub].map((n) =>
        until(
          async () => (await n.client.cmd('blockchain get tag where name = everywhere bring.count')) === '1',
          15_000,
          50,
        ),
      ),
    );
    const spread = Date.now() - t0;
    assert.ok(spread <= SYNC_S * 1000 + 1500, `reached every node in ${spread} ms (sync period ${SYNC_S} s)`);

    // Files go to the operator whose cluster lists their table.
    drop(pub, 'test.t1.json', [{ v: 1 }, { v: 2 }]);
    drop(pub, 'test.t2.json', [{ v: 1 }, { v: 2 }, { v: 3 }]);
    await until(async () => (await count(op1, 't1')) === 2 && (await count(op2, 't2')) === 3, 30_000, 200);
    assert.equal(await count(op1, 't2'), -1, 'op1 never got t2');
    assert.equal(await count(op2, 't1'), -1, 'op2 never got t1');
    const files = await pub.client.cmd('get publisher');
    assert.match(files, new RegExp(`test\\|t1 +\\|${op1.addr.replace(/\./g, '\\.')}\\| *1\\| *0\\|`));
    assert.ok(
      readdirSync(join(pub.root, 'data', 'bkup')).some((f) => f.startsWith('test.t1.') && f.endsWith('.gz')),
      'compressed into bkup_dir',
    );

    // op2 dies: its file waits, and get publisher says which peer and why.
    op2.p.child.kill('SIGKILL');
    await op2.p.exited(10_000);
    drop(pub, 'test.t2.later.json', [{ v: 4 }, { v: 5 }, { v: 6 }, { v: 7 }]);
    await until(async () => /refused/.test(await pub.client.cmd('get publisher')), 15_000, 200);
    const failing = await pub.client.cmd('get publisher');
    assert.match(
      failing,
      new RegExp(`${op2.addr.replace(/\./g, '\\.')}\\| *1\\| *[1-9]\\d*\\|.*connection refused.*operator op2`),
    );
    assert.ok(existsSync(join(pub.root, 'data', 'watch', 'test.t2.later.json')), 'the file waits at the publisher');

    // op2 is back on the same root and port: the pending file is delivered.
    const back = await launch(s, { name: op2.name, root: op2.root, file: op2.file, port: op2.port });
    await back.client.cmd(
      `run blockchain sync where source = master and time = ${SYNC_S} seconds and dest = file and connection = ${m.addr}`,
    );
    await back.client.cmd(`run operator where policy = ${id2} and master_node = ${m.addr}`);
    await until(async () => (await count(back, 't2')) === 7, 30_000, 200);
    assert.deepEqual(readdirSync(join(pub.root, 'data', 'watch')), []);
    assert.match(await pub.client.cmd('get publisher'), new RegExp(`${op2.addr.replace(/\./g, '\\.')}\\| *2\\|`));

    // The operators' tables are in the master's metadata (their table policies).
    const tables = (await m.client.cmd('blockchain get table bring [table][name] separator = ,')).split(',').sort();
    assert.deepEqual(tables, ['t1', 't2']);
    assert.notEqual(id1, id2);
  },
);
