// `partition <dbms> <table> using <column> by <interval>`: the operator lands rows in EdgeLake's partition tables
// (actors/operator/partition.ts, names as partitions.py `split_list` makes them), a local `sql` on the table reads
// them all (storage/dbms/partition-query.ts), `drop partition` drops the oldest (member_cmd.py `_drop_partition`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { REST_NODE, http, startTestNode, until } from '../../harness/test-node.js';
import { parseInterval, partitionParent, partitionTable } from '../../storage/schema/partitions.js';

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
});

test('rows of a table partitioned by 14 days land in par_ tables; sql on the table counts them all', async (t) => {
  const n = await startTestNode(REST_NODE());
  t.after(() => n.stop());
  // Declared while the operator runs: it learns of it at once (operator.partitions).
  await n.cmd('partition test readings using timestamp by 14 days');
  const r = await http(
    n.port,
    'PUT',
    { type: 'json', dbms: 'test', table: 'readings', mode: 'streaming' },
    JSON.stringify(ROWS),
  );
  assert.equal(r.status, 200);
  const count = async (table: string): Promise<number> => {
    try {
      const q = JSON.parse(await n.cmd(`sql test format = json "select count(*) as n from ${table}"`)) as {
        Query: { n: number }[];
      };
      return q.Query[0]!.n;
    } catch (err) {
      if (/no such table/.test((err as Error).message)) return 0;
      throw err;
    }
  };
  await until(async () => (await count('readings')) === ROWS.length, 10_000, 20);

  const want = new Map<string, number>();
  for (const row of ROWS)
    want.set(expectedPartition(row.timestamp), (want.get(expectedPartition(row.timestamp)) ?? 0) + 1);
  // January 1-14, 15-28, 29-31 and February 1-9: four partitions.
  assert.equal(want.size, 4);
  const listed = JSON.parse(
    await n.cmd(
      `sql test format = json "select name from sqlite_master where type = 'table' and name like 'par_%' order by name"`,
    ),
  ) as { Query: { name: string }[] };
  assert.deepEqual(
    listed.Query.map((x) => x.name),
    [...want.keys()].sort(),
  );
  for (const [par, rows] of want) assert.equal(await count(par), rows, par);
  // The values went with their rows, and a WHERE on the table reads across partitions.
  const q = JSON.parse(
    await n.cmd(
      `sql test format = json "select min(value) as lo, max(value) as hi, count(*) as n from readings where timestamp >= '2026-01-29T00:00:00Z'"`,
    ),
  ) as { Query: { lo: number; hi: number; n: number }[] };
  const late = ROWS.filter((x) => x.timestamp >= '2026-01-29T00:00:00Z');
  assert.deepEqual(q.Query[0], { lo: late[0]!.value, hi: late.at(-1)!.value, n: late.length });

  // drop partition without keep: the oldest; with keep = 2: the oldest until two are left.
  const names = [...want.keys()].sort();
  await n.cmd('drop partition where dbms = test and table = readings');
  assert.equal(await count('readings'), ROWS.length - want.get(names[0]!)!);
  await n.cmd('drop partition where dbms = test and table = readings and keep = 2');
  assert.equal(await count('readings'), want.get(names[2]!)! + want.get(names[3]!)!);
});
