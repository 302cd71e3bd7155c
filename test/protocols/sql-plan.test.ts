// The two-pass plan (protocols/sql/plan.ts) and its consolidation (node/query/consolidate.ts) against real
// SQLite databases: the rows of one table are spread over three databases (three operators), each runs the
// remote query, the consolidated answer must equal the same query on one database holding all rows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'libsql';
import { parseSelect } from '../../protocols/sql/select.js';
import { planQuery } from '../../protocols/sql/plan.js';
import { parseSqlCommand } from '../../protocols/sql/command.js';
import { columnsOfCreate } from '../../protocols/sql/create.js';
import { Consolidation } from '../../node/query/consolidate.js';
import { EdgeRtError } from '../../base/errors.js';

interface Db {
  exec(sql: string): void;
  prepare(sql: string): { raw(on?: boolean): { all(...a: unknown[]): unknown[][] }; run(...a: unknown[]): unknown };
  close(): void;
}

const CREATE =
  'CREATE TABLE IF NOT EXISTS readings(  row_id SERIAL PRIMARY KEY,  insert_timestamp TIMESTAMP NOT NULL DEFAULT NOW(),  tsd_name CHAR(3),  tsd_id INT,  device varchar,  value float,  n int,  timestamp timestamp );';
const COLUMNS = columnsOfCreate(CREATE);

function open(): Db {
  const db = new Database(':memory:') as unknown as Db;
  db.exec(
    'create table readings (row_id integer, insert_timestamp text, tsd_name text, tsd_id integer, device text, value real, n integer, timestamp text)',
  );
  return db;
}

// Deterministic rows: 7 devices, values with repeats, timestamps over 3 hours.
function rows(count: number): unknown[][] {
  const out: unknown[][] = [];
  for (let i = 0; i < count; i++) {
    const t = new Date(Date.UTC(2025, 0, 1, 0, 0, 0) + i * 37_000).toISOString().replace('T', ' ').slice(0, 19);
    out.push([i, '2025-01-01 00:00:00', '0', 0, `d${i % 7}`, ((i * 13) % 50) / 2, i % 5, t]);
  }
  return out;
}

interface Setup {
  all: Db;
  parts: Db[];
}

function setup(t: { after(fn: () => void): void }): Setup {
  const all = open();
  const parts = [open(), open(), open()];
  const data = rows(300);
  const ins = (db: Db, r: unknown[]): unknown => db.prepare('insert into readings values (?,?,?,?,?,?,?,?)').run(...r);
  data.forEach((r, i) => {
    ins(all, r);
    // Uneven split: the first operator gets half.
    ins(parts[i % 2 === 0 ? 0 : i % 4 === 1 ? 1 : 2]!, r);
  });
  t.after(() => {
    all.close();
    for (const p of parts) p.close();
  });
  return { all, parts };
}

function network(s: Setup, sql: string, extend: string[] = []): { columns: string[]; rows: unknown[][] } {
  const plan = planQuery(parseSelect(sql), { engine: 'sqlite', localTable: 'query', columns: COLUMNS, extend });
  const c = new Consolidation(plan);
  s.parts.forEach((db, i) => {
    const r = db.prepare(plan.remote).raw(true).all();
    const ext = plan.extend.map((x) =>
      x.key === 'ip' ? '127.0.0.1' : x.key === 'port' ? String(3000 + i) : x.key === 'dbms_name' ? 'test' : 'readings',
    );
    // As an EdgeLake operator sends them: text values.
    c.add(
      r.map((row) => [...ext, ...row].map((v) => (v === null ? '' : String(v)))),
      true,
    );
  });
  return c.finish();
}

const local = (s: Setup, sql: string): unknown[][] => s.all.prepare(sql).raw(true).all();
const round = (rows: unknown[][]): unknown[][] =>
  rows.map((r) => r.map((v) => (typeof v === 'number' ? Math.round(v * 1e6) / 1e6 : v)));

const SAME: [string, string?][] = [
  ['select count(*) from readings'],
  ['select count(value) as c, sum(n) as s, min(value), max(value) from readings'],
  ['select avg(value) from readings'],
  ['select device, count(*) as c, avg(value) as a from readings group by device order by device'],
  ['select device, max(value) as m from readings where n > 1 group by device order by m desc, device limit 3'],
  ['select count(distinct device) from readings'],
  ['select distinct device from readings order by device'],
  ['select row_id, value from readings order by value desc, row_id limit 5'],
  ['select device, count(*) from readings group by device order by count(*) desc, device limit 2'],
  ['select range(value) as r from readings', 'select abs(max(value) - min(value)) as r from readings'],
];

test('each function consolidated over three databases equals the query on one database', (t) => {
  const s = setup(t);
  for (const [sql, direct] of SAME) {
    const got = network(s, sql);
    assert.deepEqual(round(got.rows), round(local(s, direct ?? sql)), sql);
  }
});

test('increments regroup the operators rows into the same intervals as one database', (t) => {
  const s = setup(t);
  const sql =
    'select increments(minute, 10, timestamp), min(timestamp) as t, count(*) as c, max(value) as m from readings';
  const got = network(s, sql);
  const direct = local(
    s,
    "select min(timestamp) as t, count(*) as c, max(value) as m from readings group by strftime('%Y-%m-%d %H', timestamp), cast(strftime('%M', timestamp) as integer) / 10 order by 1",
  );
  assert.ok(direct.length > 10);
  assert.deepEqual(got.columns, ['t', 'c', 'm']);
  assert.deepEqual(round(got.rows), round(direct));
});

test('the remote query is EdgeLake operator rewrite: avg as SUM and COUNT, increments by strftime, limit kept', () => {
  const plan = (sql: string, engine: 'sqlite' | 'psql' = 'sqlite') =>
    planQuery(parseSelect(sql), { engine, localTable: 'query' }).remote;
  assert.equal(plan('select avg(value) from t'), 'select SUM (value) as sum_value, COUNT(value) as count_value from t');
  assert.equal(
    plan('select increments(minute, 1, timestamp), max(value) from t where value > 1'),
    "select strftime('%Y-%m-%d %H:00:0.0',timestamp), (cast (strftime('%M',timestamp) as decimal) / 1), max(value) from t where value > 1 group by 1, 2",
  );
  assert.equal(
    plan('select increments(hour, 2, timestamp), count(*) from t', 'psql'),
    "select date_trunc('day',timestamp), (extract(hour FROM timestamp)::int / 2), count(*) from t group by 1, 2",
  );
  assert.equal(plan('select a, b from t order by a limit 10'), 'select a, b from t order by a limit 10');
  assert.equal(plan('select a from t limit 1 per a'), 'select a from t');
});

test('extend adds the operator columns first and groups by them', (t) => {
  const s = setup(t);
  const got = network(s, 'select count(*) as c from readings', ['@ip', '@port', '@dbms_name', '@table_name']);
  assert.deepEqual(got.columns, ['ip', 'port', 'dbms_name', 'table_name', 'c']);
  const counts = s.parts.map((db) => local({ ...s, all: db }, 'select count(*) from readings')[0]![0]);
  assert.deepEqual(got.rows.map((r) => [r[1], r[4]]).sort(), counts.map((c, i) => [3000 + i, c]).sort());
});

test('limit N per column keeps N rows for each value', (t) => {
  const s = setup(t);
  const got = network(s, 'select device, value from readings order by device, value desc limit 2 per device');
  const byDevice = new Map<unknown, number>();
  for (const r of got.rows) byDevice.set(r[0], (byDevice.get(r[0]) ?? 0) + 1);
  assert.equal(byDevice.size, 7);
  for (const n of byDevice.values()) assert.equal(n, 2);
});

test('select * takes its columns from the table policy create', (t) => {
  const s = setup(t);
  const got = network(s, 'select * from readings order by row_id limit 3');
  assert.deepEqual(got.columns, [
    'row_id',
    'insert_timestamp',
    'tsd_name',
    'tsd_id',
    'device',
    'value',
    'n',
    'timestamp',
  ]);
  assert.deepEqual(got.rows, local(s, 'select * from readings order by row_id limit 3'));
});

test('a statement that cannot be read is error 134', () => {
  for (const bad of [
    'sql test "select from"',
    'sql test selec * from t',
    "sql test select a from t where b = 'x",
    'sql test select a from t limit x',
    'sql test select (a from t',
    'sql test select a, b from t1, t2',
  ]) {
    assert.throws(
      () => parseSelect(parseSqlCommand(bad).query),
      (err: unknown) => err instanceof EdgeRtError && err.code === 134,
      bad,
    );
  }
});

test('sql command options: extend as a list, the query after them', () => {
  const c = parseSqlCommand('sql test format = json and extend = (@ip, @table_name) select\tcount(*)\tfrom\tt');
  assert.equal(c.dbms, 'test');
  assert.deepEqual(c.options.get('extend'), ['@ip', '@table_name']);
  assert.equal(c.query, 'select count(*) from t');
});
