// `partition <dbms> <table> using <column> by <interval>`: the operator lands rows in EdgeLake's partition tables
// (actors/operator/partition.ts, names as partitions.py `split_list` makes them), a local `sql` on the table reads
// them all (storage/dbms/partition-query.ts), `drop partition` drops the oldest (member_cmd.py `_drop_partition`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { REST_NODE, http, startTestNode, until, type TestNode } from '../../harness/test-node.js';
import { parseInterval, partitionParent, partitionTable } from '../../storage/schema/partitions.js';
import { utcText } from '../../actors/operator/partition.js';
import { pgSkip, pgUnreachable } from '../../harness/postgres.js';

const DAY = 86_400_000;
const START = Date.UTC(2026, 0, 1, 6);
// 80 rows, one every 12 hours: 40 days, from January 1st to February 9th.
const ROWS = Array.from({ length: 80 }, (_, i) => ({
  timestamp: new Date(START + (i * DAY) / 2).toISOString(),
  value: i,
}));

/** The partition of a date by EdgeLake's rule for `14 days`: day-of-month bucket (day - 1) / 14 within its month. */
function expectedPartition(iso: string): string {
  const [y, m, d] = [iso.slice(0, 4), iso.slice(5, 7), Number(iso.slice(8, 10))];
  return `par_readings_${y}_${m}_${String(Math.floor((d - 1) / 14)).padStart(2, '0')}_d14_timestamp`;
}

test('partition names and intervals follow EdgeLake (partitions.py)', () => {
  const days14 = parseInterval('14 days')!;
  assert.deepEqual(days14, { count: 14, unit: 'day' });
  assert.equal(partitionTable('t', 'ts', days14, '2026-01-20T10:00:00Z'), 'par_t_2026_01_01_d14_ts');
  assert.equal(partitionTable('t', 'ts', parseInterval('day')!, '2026-01-20 10:00:00'), 'par_t_2026_01_20_d01_ts');
  assert.equal(partitionTable('t', 'ts', parseInterval('month')!, '2026-03-20'), 'par_t_2026_03_m01_ts');
  assert.equal(partitionTable('t', 'ts', parseInterval('2 months')!, '2026-03-20'), 'par_t_2026_01_m02_ts');
  assert.equal(partitionTable('t', 'ts', parseInterval('year')!, '2026-03-20'), 'par_t_2026_y01_ts');
  assert.equal(
    partitionTable('t', 'ts', parseInterval('12 hours')!, '2026-03-20T13:00:00'),
    'par_t_2026_03_20_01_h12_ts',
  );
  assert.deepEqual(parseInterval('2 weeks'), { count: 14, unit: 'day' });
  assert.equal(parseInterval('soon'), undefined);
  assert.equal(partitionTable('t', 'ts', days14, 'yesterday'), undefined);
  assert.equal(partitionParent('par_my_table_2026_01_01_d14_insert_timestamp'), 'my_table');
  assert.equal(partitionParent('par_t_2026_01_h01_ts'), undefined);
  assert.equal(partitionParent('readings'), undefined);
  assert.equal(utcText('2026-01-31T23:30:00-05:00'), '2026-02-01T04:30:00.000Z');
  assert.equal(utcText('2026-01-31 23:30:00'), '2026-01-31 23:30:00');
});

async function partitioned(n: TestNode, dbms: string, listSql: string): Promise<void> {
  // Declared while the operator runs: it learns of it at once (operator.partitions).
  await n.cmd(`partition ${dbms} readings using timestamp by 14 days`);
  const r = await http(
    n.port,
    'PUT',
    { type: 'json', dbms, table: 'readings', mode: 'streaming' },
    JSON.stringify(ROWS),
  );
  assert.equal(r.status, 200);
  const count = async (table: string): Promise<number> => {
    try {
      const q = JSON.parse(await n.cmd(`sql ${dbms} format = json "select count(*) as n from ${table}"`)) as {
        Query: { n: number }[];
      };
      return Number(q.Query[0]!.n); // PostgreSQL's count is a bigint, as text
    } catch (err) {
      if (/no such table|does not exist/.test((err as Error).message)) return 0;
      throw err;
    }
  };
  await until(async () => (await count('readings')) === ROWS.length, 10_000, 20);

  const want = new Map<string, number>();
  for (const row of ROWS)
    want.set(expectedPartition(row.timestamp), (want.get(expectedPartition(row.timestamp)) ?? 0) + 1);
  // January 1-14, 15-28, 29-31 and February 1-9: four partitions.
  assert.equal(want.size, 4);
  const listed = JSON.parse(await n.cmd(`sql ${dbms} format = json "${listSql}"`)) as { Query: { name: string }[] };
  assert.deepEqual(
    listed.Query.map((x) => x.name),
    [...want.keys()].sort(),
  );
  for (const [par, rows] of want) assert.equal(await count(par), rows, par);
  // The values went with their rows, and a WHERE on the table reads across partitions.
  const q = JSON.parse(
    await n.cmd(
      `sql ${dbms} format = json "select min(value) as lo, max(value) as hi, count(*) as n from readings where timestamp >= '2026-01-29T00:00:00Z'"`,
    ),
  ) as { Query: { lo: unknown; hi: unknown; n: unknown }[] };
  const late = ROWS.filter((x) => x.timestamp >= '2026-01-29T00:00:00Z');
  const got = q.Query[0]!;
  assert.deepEqual([Number(got.lo), Number(got.hi), Number(got.n)], [late[0]!.value, late.at(-1)!.value, late.length]);

  // Exactly once: the journal positions are the parent table's, never a partition's.
  const positions = [...(await n.running.node.dbms.reader(dbms).positions()).keys()];
  assert.ok(positions.length > 0);
  for (const k of positions) assert.ok(k.startsWith('readings\u0000'), JSON.stringify(k));

  // drop partition without keep: the oldest; with keep = 2: the oldest until two are left.
  const names = [...want.keys()].sort();
  await n.cmd(`drop partition where dbms = ${dbms} and table = readings`);
  assert.equal(await count('readings'), ROWS.length - want.get(names[0]!)!);
  await n.cmd(`drop partition where dbms = ${dbms} and table = readings and keep = 2`);
  const kept = want.get(names[2]!)! + want.get(names[3]!)!;
  assert.equal(await count('readings'), kept);
  // A late row for a dropped partition recreates it (the operator forgot the tables it knew).
  const lateRow = await http(
    n.port,
    'PUT',
    { type: 'json', dbms, table: 'readings', mode: 'streaming' },
    JSON.stringify([{ timestamp: ROWS[0]!.timestamp, value: -1 }]),
  );
  assert.equal(lateRow.status, 200);
  await until(async () => (await count('readings')) === kept + 1, 10_000, 20);
  assert.equal(await count(names[0]!), 1);
}

test('SQLite: rows of a table partitioned by 14 days land in par_ tables; sql on the table counts them all', async (t) => {
  const n = await startTestNode(REST_NODE());
  t.after(() => n.stop());
  await partitioned(
    n,
    'test',
    "select name from sqlite_master where type = 'table' and name like 'par_%' order by name",
  );

  // The deployment scripts partition by insert_timestamp, which rows do not carry: the time they are inserted.
  await n.cmd('partition test events using insert_timestamp by day');
  const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10).replace(/-/g, '_');
  const before = day(Date.now());
  const r = await http(
    n.port,
    'PUT',
    { type: 'json', dbms: 'test', table: 'events', mode: 'streaming' },
    '[{"v": 1}, {"v": 2}]',
  );
  assert.equal(r.status, 200);
  const pars = async (): Promise<string[]> =>
    (
      JSON.parse(
        await n.cmd(
          `sql test format = json "select name from sqlite_master where type = 'table' and name like 'par_events_%'"`,
        ),
      ) as { Query: { name: string }[] }
    ).Query.map((x) => x.name);
  await until(async () => (await pars()).length > 0);
  const after = day(Date.now());
  const [par] = await pars();
  assert.ok(
    [before, after].some((d) => par === `par_events_${d}_d01_insert_timestamp`),
    par,
  );
  await until(async () => {
    const q = JSON.parse(await n.cmd('sql test format = json "select count(*) as n from events"')) as {
      Query: { n: number }[];
    };
    return q.Query[0]!.n === 2;
  });
});

const noPg = await pgUnreachable();

test('PostgreSQL: the same partitions, read by sql on the table', { skip: pgSkip(noPg) }, async (t) => {
  const db = `elrt_par_${process.pid}_${Date.now() % 100000}`;
  const user = process.env['PGUSER'] ?? 'postgres';
  const n = await startTestNode(
    REST_NODE(`  pgt:\n    type: psql\n    ip: 127.0.0.1\n    port: 5432\n    user: ${user}\n    database: ${db}\n`),
  );
  t.after(async () => {
    await n.stop();
    const admin = new pg.Client({ host: '127.0.0.1', port: 5432, user, database: 'test' });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${db}"`);
    await admin.end();
  });
  await partitioned(
    n,
    'pgt',
    "select table_name as name from information_schema.tables where table_schema = current_schema() and table_name like 'par_%' order by table_name",
  );
});
