// Network queries on loopback, every node a child process (the CLI from its sources): a master, three operators
// (a cluster each, the same table `test.readings` spread over them unevenly) and a query node, all syncing from
// the master. The query node finds the operators from the metadata (`run client ()`), each operator rewrites
// the statement (avg, increments, extend, limit per), and the consolidated answers must equal the same query
// on one database holding all rows (built here from the operators' own databases).
//   - every function, group by, order by + limit, distinct, increments, extend, limit per, select *
//   - `include = (t2)`, output formats json:list and json:output, stat = false
//   - `(dbms = .. and table = ..)`, `(blockchain get operator bring ...)` destinations, `nodes = all`
//   - a statement an operator cannot read is answered with error 134 at once
//   - REST `destination: network` answers the same as `run client ()`
//   - a main operator that cannot be reached: the next one of its cluster answers
//   - one operator down: the query fails naming it; with subset = true the others answer and it is reported
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'libsql';
import { http, until } from '../../harness/test-node.js';
import { child, cleanup, type Child } from '../../harness/cluster.js';
import { freePort } from '../../harness/child-node.js';
import { askRaw } from './peers.js';

const SYNC_S = 1;
const TOTAL = 600;

interface Db {
  exec(sql: string): void;
  prepare(sql: string): { raw(on?: boolean): { all(...a: unknown[]): unknown[][] }; run(...a: unknown[]): unknown };
  close(): void;
}

async function count(c: Child): Promise<number> {
  try {
    const r = JSON.parse(await c.client.cmd('sql test format = json select count(*) as n from readings')) as {
      Query: { n: number }[];
    };
    return Number(r.Query[0]?.n ?? 0);
  } catch (err) {
    if (/no such table/.test((err as Error).message)) return -1;
    throw err;
  }
}

function drop(c: Child, label: string, rows: readonly object[]): void {
  const name = `test.readings.${label}.json`;
  const tmp = join(c.root, 'data', 'tmp', name);
  writeFileSync(tmp, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  renameSync(tmp, join(c.root, 'data', 'watch', name));
}

async function operatorSetup(op: Child, master: string, n: number): Promise<void> {
  const c = op.client;
  await c.cmd(
    `run blockchain sync where source = master and time = ${SYNC_S} seconds and dest = file and connection = ${master}`,
  );
  await c.cmd(
    `blockchain insert where policy = {"cluster": {"name": "c${n}", "company": "Co"}} and local = true and master = ${master}`,
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
}

function rowsFor(i: number): object {
  const t = new Date(Date.UTC(2025, 0, 1) + i * 29_000).toISOString().replace('T', ' ').slice(0, 19);
  return { device: `d${i % 7}`, value: (i % 50) + 0.25, n: i % 5, timestamp: t };
}

type Row = unknown[];
const round = (rows: Row[]): Row[] =>
  rows.map((r) => r.map((v) => (typeof v === 'number' ? Math.round(v * 1e6) / 1e6 : v)));

async function network(q: Child, query: string, dest = '()', opts = ''): Promise<{ columns: string[]; rows: Row[] }> {
  const text = await q.client.cmd(`run client ${dest} sql test format = json ${opts ? `and ${opts} ` : ''}"${query}"`);
  const r = JSON.parse(text) as { Query: Record<string, unknown>[]; Statistics: Record<string, unknown>[] };
  return { columns: Object.keys(r.Query[0] ?? {}), rows: r.Query.map((o) => Object.values(o)) };
}

test(
  'a query node consolidates three operators found in the metadata as one database would answer',
  { timeout: 300_000 },
  async (t) => {
    const s = cleanup(t);
    const [m, op1, op2, op3, q] = await Promise.all([
      child(s, 'master'),
      child(s, 'op1', true),
      child(s, 'op2', true),
      child(s, 'op3', true),
      child(s, 'qry'),
    ]);
    const ops = [op1, op2, op3];
    for (const [i, op] of ops.entries()) await operatorSetup(op, m.addr, i + 1);
    await q.client.cmd(
      `run blockchain sync where source = master and time = ${SYNC_S} seconds and dest = file and connection = ${m.addr}`,
    );
    // Uneven split: op1 half the rows, op2 a third, op3 the rest.
    const parts: object[][] = [[], [], []];
    for (let i = 0; i < TOTAL; i++) parts[i % 6 < 3 ? 0 : i % 6 < 5 ? 1 : 2]!.push(rowsFor(i));
    for (const [i, op] of ops.entries()) drop(op, `p${i}`, parts[i]!);
    // A second table on op2 only, for `include`.
    drop(
      op2,
      'extra',
      [rowsFor(1), rowsFor(2), rowsFor(3)].map((r) => ({ ...r })),
    );
    renameSync(
      join(op2.root, 'data', 'watch', 'test.readings.extra.json'),
      join(op2.root, 'data', 'watch', 'test.readings2.extra.json'),
    );
    for (const [i, op] of ops.entries()) await until(async () => (await count(op)) === parts[i]!.length, 60_000, 200);
    // The query node knows the table and the three clusters that hold it.
    await until(
      async () =>
        (await q.client.cmd('blockchain get table where dbms = test and name = readings bring.count')) === '1' &&
        (await q.client.cmd('blockchain get cluster where table[name] = readings bring.count')) === '3',
      30_000,
      200,
    ).catch(async (err: unknown) => {
      throw new Error(`${(err as Error).message}: ${await q.client.cmd('blockchain get cluster')}`);
    });

    // One database with all rows, as the operators stored them.
    const all = new Database(':memory:') as unknown as Db;
    t.after(() => all.close());
    all.exec('create table readings (device text, value real, n integer, timestamp text)');
    for (const op of ops) {
      const db = new Database(join(op.root, 'data', 'dbms', 'test.dbms'), { readonly: true }) as unknown as Db;
      for (const r of db.prepare('select device, value, n, timestamp from readings').raw(true).all())
        all.prepare('insert into readings values (?, ?, ?, ?)').run(...r);
      db.close();
    }
    const local = (sql: string): Row[] => all.prepare(sql).raw(true).all();

    const same: [string, string?][] = [
      ['select count(*) from readings'],
      ['select count(value) as c, sum(n) as s, min(value) as lo, max(value) as hi, avg(value) as a from readings'],
      ['select count(distinct device) as d from readings'],
      ['select device, count(*) as c, avg(value) as a from readings group by device order by device'],
      ['select device, max(value) as m from readings where n > 1 group by device order by m desc, device limit 3'],
      ['select distinct n from readings order by n'],
      ['select device, value, timestamp from readings order by timestamp desc limit 4'],
      ['select range(value) as r from readings', 'select abs(max(value) - min(value)) as r from readings'],
      [
        'select increments(minute, 10, timestamp), min(timestamp) as t, count(*) as c, avg(value) as a from readings',
        "select min(timestamp) as t, count(*) as c, avg(value) as a from readings group by strftime('%Y-%m-%d %H', timestamp), cast(strftime('%M', timestamp) as integer) / 10 order by 1",
      ],
    ];
    for (const [sql, direct] of same) {
      const got = await network(q, sql);
      assert.deepEqual(round(got.rows), round(local(direct ?? sql)), sql);
    }
    // Each second pass ran on one of the query node's query workers (one call each), not on its main thread.
    assert.match(await q.client.cmd('get query pool'), new RegExp(`\\(${same.length}\\)$`));

    // The other metadata destinations give the same answer.
    const total = [[TOTAL]];
    assert.deepEqual(
      (await network(q, 'select count(*) from readings', '(dbms = test and table = readings)')).rows,
      total,
    );
    assert.deepEqual(
      (
        await network(
          q,
          'select count(*) from readings',
          `(blockchain get operator bring [operator][ip] ":" [operator][port] separator = ",")`,
        )
      ).rows,
      total,
    );
    assert.deepEqual((await network(q, 'select count(*) from readings', '()', 'nodes = all')).rows, total);

    // include: the operators of readings2 too, and each operator queries both tables it has.
    await until(
      async () => (await q.client.cmd('blockchain get cluster where table[name] = readings2 bring.count')) === '1',
      30_000,
      200,
    );
    assert.deepEqual((await network(q, 'select count(*) from readings', '()', 'include = (readings2)')).rows, [
      [TOTAL + 3],
    ]);
    const perTable = await network(
      q,
      'select count(*) from readings',
      '()',
      'include = (readings2) and extend = (@table_name)',
    );
    assert.deepEqual(perTable.rows.sort(), [
      ['readings', TOTAL],
      ['readings2', 3],
    ]);

    // Output formats and stat = false.
    const sqlText = (opts: string): Promise<string> =>
      q.client.cmd(
        `run client () sql test ${opts} "select device, count(*) as c from readings group by device order by device limit 2"`,
      );
    const groups = local('select device, count(*) as c from readings group by device order by device limit 2').map(
      ([d, c]) => ({ device: d, c }),
    );
    assert.equal(await sqlText('format = json and stat = false'), JSON.stringify({ Query: groups }));
    const list = await sqlText('format = json:list and stat = false');
    assert.deepEqual(JSON.parse(list), groups);
    const lines = (await sqlText('format = json:output')).split('\n');
    assert.deepEqual(
      lines.slice(0, 2).map((l) => JSON.parse(l) as unknown),
      groups,
    );
    assert.match(lines[2]!, /^\{"Statistics":\[\{"Count": 2,"Time":"\d\d:\d\d:\d\d","Nodes": 3\}\]\}$/);

    // extend: one row per operator, with its address; limit per: two rows for each operator.
    const ext = await network(
      q,
      'select count(*) as c from readings',
      '()',
      'extend = (@ip, @port, @dbms_name, @table_name)',
    );
    assert.deepEqual(ext.columns, ['ip', 'port', 'dbms_name', 'table_name', 'c']);
    assert.deepEqual(
      ext.rows.map((r) => `${r[0]}:${r[1]} ${r[2]}.${r[3]} ${r[4]}`).sort(),
      ops.map((op, i) => `${op.addr} test.readings ${parts[i]!.length}`).sort(),
    );
    const per = await network(
      q,
      'select table_name, device from readings order by device limit 2 per device',
      '()',
      'extend = (@table_name)',
    );
    assert.equal(per.rows.length, 14);

    // select *: the columns come from the table policy's create.
    const star = await network(q, 'select * from readings order by timestamp limit 2');
    assert.deepEqual(star.columns.slice(-4), ['device', 'value', 'n', 'timestamp']);
    assert.deepEqual(
      star.rows.map((r) => r.slice(-4)),
      local('select device, value, n, timestamp from readings order by timestamp limit 2'),
    );

    // An operator answers a statement it cannot read at once, with EdgeLake's error 134.
    const t0 = performance.now();
    const bad = await askRaw(op1.port, 'sql test format = json select\t(count\tfrom\treadings', 9, 5000);
    assert.equal(bad.header.error, 134);
    assert.ok(performance.now() - t0 < 1000);
    const bad2 = await askRaw(
      op1.port,
      "sql test format = json select\tdevice\tfrom\treadings\twhere\tdevice\t=\t'x",
      10,
    );
    assert.equal(bad2.header.error, 134);

    // REST `destination: network` is `run client ()`.
    assert.equal(await q.client.cmd('run rest server where internal_ip = 127.0.0.1 and internal_port = 0'), '');
    const conns = JSON.parse(await q.client.cmd('get connections where format = json')) as {
      REST: { local: string };
    };
    const rest = await http(Number(conns.REST.local.split(':').pop()), 'GET', {
      'User-Agent': 'AnyLog/1.23',
      command: 'sql test format = json "select device, count(*) as c from readings group by device order by device"',
      destination: 'network',
    });
    assert.equal(rest.status, 200, rest.body);
    assert.deepEqual(
      (JSON.parse(rest.body) as { Query: Record<string, unknown>[] }).Query.map((o) => Object.values(o)),
      local('select device, count(*) as c from readings group by device order by device'),
    );

    // A main operator that cannot be reached: the query goes to the next operator of its cluster.
    const c3 = await q.client.cmd('blockchain get cluster where name = c3 bring.first [*][id]');
    const ghostPort = await freePort();
    await m.client.cmd(
      `blockchain insert where policy = {"operator": {"name": "ghost", "company": "Co", "ip": "127.0.0.1", "port": ${ghostPort}, "cluster": "${c3}", "main": true}} and local = true`,
    );
    await until(
      async () => (await q.client.cmd('blockchain get operator where name = ghost bring.count')) === '1',
      20_000,
      100,
    );
    assert.deepEqual((await network(q, 'select count(*) from readings')).rows, total);

    // One operator down: the query fails naming it; with subset = true the others answer and it is named.
    op3.p.child.kill('SIGKILL');
    await op3.p.exited(10_000);
    await assert.rejects(network(q, 'select count(*) from readings', '(timeout = 5)'), new RegExp(op3.addr));
    const text = await q.client.cmd(
      'run client (subset = true, timeout = 5) sql test format = json "select count(*) from readings"',
    );
    const sub = JSON.parse(text) as { Query: Record<string, unknown>[]; Statistics: { Errors?: { node: string }[] }[] };
    assert.deepEqual(Object.values(sub.Query[0]!), [parts[0]!.length + parts[1]!.length]);
    assert.deepEqual(
      sub.Statistics[0]!.Errors?.map((e) => e.node),
      [op3.addr],
    );
  },
);
