// HA between two operators of one cluster, every node a child process (the CLI from its sources), the policies at a
// master and synced from it (as test/network/metadata-cluster.test.ts):
//   - `run ha` on both operators: Distributor and Consumer are Running; a file ingested on one appears on the other
//     (the distributor), in tsd_<member> there, and `get distributor` counts it
//   - a killed distributor or consumer worker comes back with its counters
//   - op2 down during ingest: op1's distributor keeps the file pending and shows why; with op1's distributor then
//     stopped, op2's consumer (back on its root and port) finds the gap for the date range (suspend: shown, not
//     fetched; active: fetched), and op1's distributor, started again, delivers the same file, which op2 drops as
//     already ingested
//   - no row twice on either side; `exit ha` / `exit consumer` stop the services
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { until } from '../../harness/test-node.js';
import { child, cleanup, launch, type Child } from '../../harness/cluster.js';

const SYNC_S = 2;

/** Rows of table t and distinct values of v (every row of the test has its own v), or [-1, -1] before the table. */
async function rows(c: Child): Promise<[number, number]> {
  try {
    const r = JSON.parse(
      await c.client.cmd('sql test format = json select count(*) as n, count(distinct v) as d from t'),
    ) as {
      Query: { n: number; d: number }[];
    };
    return [Number(r.Query[0]!.n), Number(r.Query[0]!.d)];
  } catch (err) {
    if (/no such table/.test((err as Error).message)) return [-1, -1];
    throw err;
  }
}

let nextV = 0;
/** A file of `n` rows with fresh values of v, dropped into the watch directory at once. */
function drop(c: Child, label: string, n: number): void {
  const name = `test.t.${label}.json`;
  const tmp = join(c.root, 'data', 'tmp', name);
  writeFileSync(tmp, Array.from({ length: n }, () => JSON.stringify({ v: ++nextV, src: label })).join('\n') + '\n');
  renameSync(tmp, join(c.root, 'data', 'watch', name));
}

type Json = Record<string, unknown>;
const json = async (c: Child, cmd: string): Promise<Json> => JSON.parse(await c.client.cmd(cmd)) as Json;

async function distributorRow(c: Child, member: number): Promise<Json | undefined> {
  const d = await json(c, 'get distributor where format = json');
  return (d['Members'] as Json[] | undefined)?.find((m) => m['Member'] === member);
}

async function consumerRow(c: Child, member: number): Promise<Json | undefined> {
  const d = await json(c, 'get consumer where format = json');
  return (d['Peers'] as Json[] | undefined)?.find((m) => m['Member'] === member);
}

async function processes(c: Child): Promise<Record<string, { Status: string; Restarts?: number }>> {
  return (await json(c, 'get processes where format = json')) as Record<string, { Status: string; Restarts?: number }>;
}

const sync = (op: Child, master: string): Promise<string> =>
  op.client.cmd(
    `run blockchain sync where source = master and time = ${SYNC_S} seconds and dest = file and connection = ${master}`,
  );

async function operatorUp(op: Child, policy: string, master: string): Promise<void> {
  await until(async () => (await op.client.cmd('blockchain get operator bring.count')) === '2', 20_000, 100);
  await op.client.cmd(
    `run operator where policy = ${policy} and update_tsd_info = true and distributor = true and master_node = ${master}`,
  );
}

const files = (d: string): string[] => (existsSync(d) ? readdirSync(d).filter((f) => !f.startsWith('.')) : []);

test(
  'two operators of a cluster replicate their files, a member that was down catches up, no row twice',
  { timeout: 300_000 },
  async (t) => {
    const s = cleanup(t);
    const [m, op1, op2] = await Promise.all([child(s, 'master'), child(s, 'op1', true), child(s, 'op2', true)]);

    // One cluster, two operator policies in it, all at the master.
    await Promise.all([sync(op1, m.addr), sync(op2, m.addr)]);
    await op1.client.cmd(
      `blockchain insert where policy = {"cluster": {"name": "ha", "company": "Co"}} and local = true and master = ${m.addr}`,
    );
    const cluster = await op1.client.cmd('blockchain get cluster where name = ha bring.first [*][id]');
    await until(async () => (await op2.client.cmd('blockchain get cluster bring.count')) === '1', 20_000, 100);
    const ids: string[] = [];
    const members: number[] = [];
    for (const op of [op1, op2]) {
      await op.client.cmd(`op_port = ${op.port}`);
      await op.client.cmd(
        `set policy p [operator] = {} and [operator][name] = ${op.name} and [operator][company] = Co and [operator][ip] = 127.0.0.1 and [operator][port] = !op_port.int and [operator][cluster] = ${cluster}`,
      );
      await op.client.cmd(`blockchain insert where policy = !p and local = true and master = ${m.addr}`);
      ids.push(await op.client.cmd(`blockchain get operator where name = ${op.name} bring.first [*][id]`));
      members.push(
        Number(await op.client.cmd(`blockchain get operator where name = ${op.name} bring.first [*][member]`)),
      );
    }
    const [m1, m2] = members as [number, number];
    await Promise.all([operatorUp(op1, ids[0]!, m.addr), operatorUp(op2, ids[1]!, m.addr)]);
    for (const op of [op1, op2]) await op.client.cmd('run ha where start_date = -1d and interval = 1');
    for (const op of [op1, op2]) {
      const p = await processes(op);
      assert.equal(p['Distributor']?.Status, 'Running');
      assert.equal(p['Consumer']?.Status, 'Running');
    }

    // Ingested on one operator, in the other's table too (through the distributor), recorded in tsd_<member>.
    drop(op1, 'a', 3);
    await until(async () => (await rows(op2))[0] === 3, 30_000, 200);
    drop(op2, 'b', 2);
    await until(async () => (await rows(op1))[0] === 5 && (await rows(op2))[0] === 5, 30_000, 200);
    assert.equal(
      (JSON.parse(await op2.client.cmd(`time file get where table = tsd_${m1} and format = json`)) as unknown[]).length,
      1,
    );
    assert.equal(
      (JSON.parse(await op1.client.cmd(`time file get where table = tsd_${m2} and format = json`)) as unknown[]).length,
      1,
    );
    await until(
      async () =>
        (await distributorRow(op1, m2))?.['Files sent'] === 1 && (await distributorRow(op1, m2))?.['Pending'] === 0,
      15_000,
      200,
    );
    await until(() => files(join(op1.root, 'data', 'distr')).length === 0, 15_000, 200);
    assert.match(await op1.client.cmd('get distributor'), /Stats: DISTRIBUTOR/);
    assert.match(await op1.client.cmd('get processes'), /Distributor +\|Running/);

    // Supervision: a killed worker comes back, its counters with it.
    for (const [op, actor, proc] of [
      [op1, 'data-distributor', 'Distributor'],
      [op2, 'data-consumer', 'Consumer'],
    ] as const) {
      const r = await op.client.request({ op: 'kill', actor });
      assert.ok(r.ok, `kill ${actor}`);
      await until(
        async () => {
          const p = (await processes(op))[proc];
          return p?.Status === 'Running' && (p.Restarts ?? 0) >= 1;
        },
        20_000,
        100,
      );
    }
    assert.equal((await distributorRow(op1, m2))?.['Files sent'], 1, 'the distributor counters survive the restart');

    // op2 goes down; op1 ingests: the file waits for op2, and get distributor says why.
    op2.p.child.kill('SIGKILL');
    await op2.p.exited(10_000);
    drop(op1, 'c', 4);
    await until(
      async () => {
        const r = await distributorRow(op1, m2);
        return r?.['Pending'] === 1 && Number(r['Errors']) >= 1 && /refused/.test(String(r['Last error']));
      },
      30_000,
      200,
    );
    assert.equal(files(join(op1.root, 'data', 'distr')).length, 1, 'the file stays in distr_dir');
    // With op1's distributor stopped, only op2's consumer can close the gap.
    await op1.client.cmd('exit distributor');
    assert.equal((await processes(op1))['Distributor']?.Status, 'Not declared');

    const back = await launch(s, { name: op2.name, root: op2.root, file: op2.file, port: op2.port });
    await sync(back, m.addr);
    await operatorUp(back, ids[1]!, m.addr);
    await back.client.cmd('run data consumer where start_date = -1d and interval = 1 and mode = suspend');
    await until(async () => (await consumerRow(back, m1))?.['Missing'] === 1, 30_000, 200);
    assert.deepEqual(await rows(back), [5, 5], 'suspend: nothing fetched');
    const missing = JSON.parse(await back.client.cmd('get consumer files where format = json')) as Json[];
    assert.equal(missing.length, 1);
    assert.equal(missing[0]!['Status'], 'missing');
    assert.equal(missing[0]!['Member'], m1);

    await back.client.cmd('set consumer mode = active');
    await until(async () => (await rows(back))[0] === 9, 30_000, 200);
    await until(
      async () => {
        const r = await consumerRow(back, m1);
        return r?.['Requested'] === 1 && r['Fetched'] === 1 && r['Missing'] === 0;
      },
      20_000,
      200,
    );
    assert.equal(
      (JSON.parse(await back.client.cmd('get consumer files where format = json')) as Json[])[0]!['Status'],
      'fetched',
    );
    assert.match(await back.client.cmd('get consumer'), /Stats: CONSUMER/);

    // op1's distributor is back: it delivers the pending file, which op2 recognizes as ingested.
    await op1.client.cmd('run data distributor');
    await until(() => files(join(op1.root, 'data', 'distr')).length === 0, 30_000, 200);
    assert.equal((await distributorRow(op1, m2))?.['Files sent'], 1);
    await until(() => files(join(back.root, 'data', 'watch')).length === 0, 15_000, 200);

    // No row twice, on either side; nothing went to the error directories.
    assert.deepEqual(await rows(op1), [9, 9]);
    assert.deepEqual(await rows(back), [9, 9]);
    for (const op of [op1, back])
      assert.deepEqual(files(join(op.root, 'data', 'error')), [], `${op.name}: no file in error`);

    await op1.client.cmd('exit ha');
    await back.client.cmd('exit consumer');
    for (const op of [op1, back]) {
      const p = await processes(op);
      assert.equal(p['Distributor']?.Status, 'Not declared');
      assert.equal(p['Consumer']?.Status, 'Not declared');
    }
    assert.equal(await op1.client.cmd('get distributor'), 'Distributor not active');
  },
);
