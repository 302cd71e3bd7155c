// Network queries between edgelake-rt and a real EdgeLake 1.4 node on loopback (EDGELAKE_SRC; skips otherwise):
// EdgeLake is an operator (cluster cl1) and a query node; an edgelake-rt node holds the other part of the same
// table `test.readings` and is declared in EdgeLake's ledger as the operator of a second cluster.
//   - EdgeLake's query node over EdgeLake + the edgelake-rt operator answers as one database holding all rows:
//     count, sum/min/max/avg, group by, order by + limit, count(distinct), increments, extend
//   - an edgelake-rt query node over the same two operators gives the same answers as EdgeLake's
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'libsql';
import { http, startTestNode, until } from '../../harness/test-node.js';
import { edgeLakeSkip, elCmd, startEdgeLake } from '../../harness/edgelake.js';
import { tcpNodeYaml } from '../network/peers.js';

interface Db {
  exec(sql: string): void;
  prepare(sql: string): { raw(on?: boolean): { all(...a: unknown[]): unknown[][] }; run(...a: unknown[]): unknown };
  close(): void;
}

type Row = unknown[];
const round = (rows: Row[]): Row[] =>
  rows.map((r) =>
    r.map((v) => (typeof v === 'number' || /^-?\d+(\.\d+)?$/.test(String(v)) ? Math.round(Number(v) * 1e4) / 1e4 : v)),
  );

function reading(i: number): { device: string; value: number; timestamp: string } {
  const t = new Date(Date.UTC(2025, 0, 1) + i * 41_000).toISOString().replace('T', ' ').slice(0, 19);
  return { device: `d${i % 5}`, value: (i % 20) + 0.5, timestamp: t };
}

function rowsOf(body: string): Row[] {
  return (JSON.parse(body) as { Query?: Record<string, unknown>[] }).Query?.map((o) => Object.values(o)) ?? [];
}

test(
  'EdgeLake and edgelake-rt query nodes consolidate an EdgeLake and an edgelake-rt operator as one database',
  { skip: edgeLakeSkip, timeout: 500_000 },
  async (t) => {
    const el = await startEdgeLake(t, true, 'el-op');
    const rt = await startTestNode(tcpNodeYaml('rt-op', { dbms: true }));
    t.after(() => rt.stop());
    const rtAddr = rt.running.node.connections.get('TCP')!.external;
    const [rtIp, rtPort] = [rtAddr.slice(0, rtAddr.lastIndexOf(':')), Number(rtAddr.split(':').pop())];

    // EdgeLake's part arrives as a file-mode PUT: its operator creates the table and publishes its policy.
    const all = Array.from({ length: 120 }, (_, i) => reading(i));
    const elPart = all.filter((_, i) => i % 3 !== 0);
    const rtPart = all.filter((_, i) => i % 3 === 0);
    const ingest = await http(
      el.rest,
      'PUT',
      { 'User-Agent': 'AnyLog/1.23', type: 'json', dbms: 'test', table: 'readings', mode: 'file' },
      JSON.stringify(elPart),
    );
    assert.equal(ingest.status, 200, ingest.body);
    await until(
      async () => {
        const r = await elCmd(el, 'sql test format = json "select count(*) as n from readings"');
        return r.status === 200 && r.body.includes(`"n":${elPart.length}`);
      },
      120_000,
      1000,
    );
    const tablePolicy = (await elCmd(el, 'blockchain get table where dbms = test and name = readings')).body;
    const table = (JSON.parse(tablePolicy) as { table: { create: string } }[])[0]!;
    assert.ok(table, `EdgeLake published no table policy: ${tablePolicy}`);

    // The edgelake-rt operator's part, in a table of the same layout.
    const db = new Database(join(rt.root, 'data', 'dbms', 'test.dbms')) as unknown as Db;
    db.exec(
      'create table readings (row_id integer primary key, insert_timestamp timestamp, tsd_name char(3), tsd_id int, device varchar, value float, timestamp timestamp)',
    );
    for (const r of rtPart)
      db.prepare(
        "insert into readings (insert_timestamp, tsd_name, tsd_id, device, value, timestamp) values ('2025-01-01 00:00:00', '0', 0, ?, ?, ?)",
      ).run(r.device, r.value, r.timestamp);
    db.close();

    // EdgeLake's ledger: the edgelake-rt node is the operator of a second cluster holding the table.
    const insert = async (policy: object): Promise<void> => {
      const r = await elCmd(el, `blockchain insert where policy = ${JSON.stringify(policy)} and local = true`, 'POST');
      assert.equal(r.status, 200, r.body);
    };
    await insert({ cluster: { name: 'rtc', company: 'Test Co', table: [{ dbms: 'test', name: 'readings' }] } });
    const rtc = (await elCmd(el, 'blockchain get cluster where name = rtc bring.first [*][id]')).body.trim();
    await insert({ operator: { name: 'rt-op', company: 'Test Co', ip: rtIp, port: rtPort, cluster: rtc } });
    // edgelake-rt's query node reads the same policies.
    const ledger = JSON.parse((await elCmd(el, 'blockchain get (cluster, operator, table)')).body) as object[];
    for (const p of ledger) await rt.cmd(`blockchain insert where policy = ${JSON.stringify(p)} and local = true`);

    const one = new Database(':memory:') as unknown as Db;
    t.after(() => one.close());
    one.exec('create table readings (device text, value real, timestamp text)');
    for (const r of all) one.prepare('insert into readings values (?, ?, ?)').run(r.device, r.value, r.timestamp);
    const local = (sql: string): Row[] => one.prepare(sql).raw(true).all();

    const queries: [string, string?][] = [
      ['select count(*) from readings'],
      ['select sum(value), min(value), max(value), avg(value) from readings'],
      ['select device, count(*), avg(value) from readings group by device order by device'],
      // One order-by column: EdgeLake applies one direction to all of them (select_parsed.is_ascending).
      // A value names its device (value % 20 -> device), so ties are identical rows.
      ['select device, value from readings where value > 15 order by value desc limit 5'],
      ['select count(distinct device) from readings'],
      [
        'select increments(minute, 10, timestamp), count(*), max(value) from readings',
        "select count(*), max(value) from readings group by strftime('%Y-%m-%d %H', timestamp), cast(strftime('%M', timestamp) as integer) / 10 order by strftime('%Y-%m-%d %H', timestamp), cast(strftime('%M', timestamp) as integer) / 10",
      ],
    ];
    for (const [sql, direct] of queries) {
      const elReply = await elCmd(el, `sql test format = json "${sql}"`, 'GET', { destination: 'network' });
      assert.equal(elReply.status, 200, `${sql}: ${elReply.body}`);
      const expected = round(local(direct ?? sql));
      assert.deepEqual(round(rowsOf(elReply.body)), expected, `EdgeLake query node: ${sql}\n${elReply.body}`);
      const ours = await rt.cmd(`run client () sql test format = json "${sql}"`);
      assert.deepEqual(round(rowsOf(ours)), expected, `edgelake-rt query node: ${sql}\n${ours}`);
    }

    // extend: one row per operator, the edgelake-rt one with its own address.
    const ext = 'sql test format = json and extend = (@ip, @port, @table_name) "select count(*) from readings"';
    const elExt = await elCmd(el, ext, 'GET', { destination: 'network' });
    assert.equal(elExt.status, 200, elExt.body);
    const byPort = (rows: Row[]): string[] => rows.map((r) => `${r[1]} ${r[2]} ${r[3]}`).sort();
    const expectedExt = [
      `${el.tcp.split(':')[1]} readings ${elPart.length}`,
      `${rtPort} readings ${rtPart.length}`,
    ].sort();
    assert.deepEqual(byPort(rowsOf(elExt.body)), expectedExt, elExt.body);
    assert.deepEqual(byPort(rowsOf(await rt.cmd(`run client () ${ext}`))), expectedExt);
  },
);
