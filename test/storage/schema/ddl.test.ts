// CREATE statements: EdgeLake's published text and SQLite schema reproduced byte for byte, and the
// statements edgelake-rt runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'libsql';
import { inferColumns, type Row } from '../../../storage/schema/infer.js';
import {
  addColumnStatements,
  alterColumnTypeStatements,
  createTableStatements,
  publishedCreate,
} from '../../../storage/schema/ddl.js';
import { tsdInfoStatements, tsdMemberStatements, tsdFileTime } from '../../../storage/schema/tsd.js';
import { TIMESTAMP } from '../../../storage/schema/types.js';
import type { ColumnSpec } from '../../../storage/schema/physical.js';
import { decode, fixtureText, oracle } from './oracle.js';

interface SqliteDb {
  exec(sql: string): void;
  prepare(sql: string): { all(...args: unknown[]): unknown[] };
  close(): void;
}

function openMemory(): SqliteDb {
  return new Database(':memory:') as unknown as SqliteDb;
}

function masterSql(db: SqliteDb): string[] {
  return (db.prepare('SELECT sql FROM sqlite_master ORDER BY rowid').all() as { sql: string }[]).map((r) => r.sql);
}

/** The CREATE lines of one database section of operator_sqlite_dump.txt. */
function dumpSection(name: string): string[] {
  const sections = fixtureText('operator_sqlite_dump.txt').split(/^===\s+/m);
  const s = sections.find((x) => x.startsWith(name));
  assert.ok(s, `section ${name} in the dump`);
  return s.split('\n').filter((l) => l.startsWith('CREATE '));
}

const readings = fixtureText('operator_input_test.readings.json')
  .split('\n')
  .filter((l) => l !== '')
  .map((l) => JSON.parse(l) as Row);

test('the published create matches the table policy of a real EdgeLake node byte for byte', () => {
  const policies = JSON.parse(fixtureText('rest_node1_blockchain_get_all.txt')) as { table?: { create: string } }[];
  const published = policies.find((p) => p.table)?.table?.create;
  assert.ok(published);
  const spec = { table: 'readings', columns: inferColumns(readings), withTsdInfo: true };
  assert.equal(publishedCreate(spec), published);
});

test('on SQLite, sqlite_master equals the dump of a real EdgeLake node', (t) => {
  const db = openMemory();
  const almgm = openMemory();
  t.after(() => {
    db.close();
    almgm.close();
  });
  const spec = { table: 'readings', columns: inferColumns(readings), withTsdInfo: true };
  for (const s of createTableStatements(spec, 'sqlite')) db.exec(s);
  for (const s of tsdInfoStatements('sqlite')) almgm.exec(s);
  assert.deepEqual(masterSql(db), dumpSection('test.dbms'));
  assert.deepEqual(masterSql(almgm), dumpSection('almgm.dbms'));
});

test('the statements match what EdgeLake builds and runs for the oracle tables', () => {
  for (const c of oracle.creates) {
    const rows = c.rows.map((r) => new Map(r.map(([k, v]) => [k, decode(v)])));
    const cols = inferColumns(rows);
    const expected = c.columns.map(([k, v]) => [/^\d+$/.test(k) ? `_${k}` : k, v]);
    assert.deepEqual(
      cols.map((x) => [x.name, x.type]),
      expected,
      c.table,
    );
    const spec = { table: c.table, columns: cols, withTsdInfo: c.withTsdInfo };
    assert.equal(publishedCreate(spec), c.published, c.table);
    // EdgeLake runs the lowered text split at ';'; ours adds IF NOT EXISTS to the indexes.
    const edgelake = c.sqlite.map((s) => s.trim().replace(/;$/, ''));
    const ours = createTableStatements(spec, 'sqlite').map((s) =>
      s.replace('create index if not exists', 'create index'),
    );
    assert.deepEqual(ours, edgelake, c.table);
  }
});

test('the last column of type bigint is written integer on SQLite, as EdgeLake rewrites it', () => {
  const spec = { table: 't', columns: [{ name: 'big', type: 'BIGINT' as const }], withTsdInfo: false };
  assert.match(createTableStatements(spec, 'sqlite')[0] ?? '', /big integer \)$/);
  const two = { ...spec, columns: [...spec.columns, { name: 'x', type: 'INT' as const }] };
  assert.match(createTableStatements(two, 'sqlite')[0] ?? '', /big bigint,/);
});

test('PostgreSQL statements use safe physical types and UTC defaults', () => {
  const cols = inferColumns(readings);
  const stmts = createTableStatements({ table: 'readings', columns: cols, withTsdInfo: true }, 'psql', {
    unlogged: true,
  });
  assert.deepEqual(stmts, [
    "create unlogged table if not exists readings(  row_id bigserial primary key,  insert_timestamp timestamp not null default (now() at time zone 'utc'),  tsd_name char(3),  tsd_id int,  timestamp timestamp not null default (now() at time zone 'utc'),  device varchar,  value decimal )",
    'create index if not exists readings_timestamp_index on readings(timestamp)',
    'create index if not exists readings_tsd_index on readings(tsd_name, tsd_id)',
    'create index if not exists readings_insert_timestamp_index on readings(insert_timestamp)',
  ]);
});

test('odd names are quoted everywhere and a repeated index line is written once', () => {
  const cols = inferColumns([{ '1st': 5, select: 'x', 'Ωmega sensor_id': '2024-01-01T00:00:00Z', '+v': 1.5 }]);
  assert.deepEqual(
    cols.map((c) => c.name),
    ['1st', 'select', 'Ωmega_sensor_id', '0x2bv'],
  );
  const spec = { table: 't', columns: cols, withTsdInfo: false };
  assert.equal(
    publishedCreate(spec),
    'CREATE TABLE IF NOT EXISTS t(  row_id SERIAL PRIMARY KEY,  insert_timestamp TIMESTAMP NOT NULL DEFAULT NOW(),  tsd_name CHAR(3),  tsd_id INT,  "1st" int,  "select" char(1),  "Ωmega_sensor_id" timestamp not null default now(),  "0x2bv" decimal ); CREATE INDEX "t_Ωmega_sensor_id_index" ON t("Ωmega_sensor_id"); CREATE INDEX t_insert_timestamp_index ON t(insert_timestamp);',
  );
  const db = openMemory();
  try {
    for (const s of createTableStatements(spec, 'sqlite')) db.exec(s);
    db.exec(`insert into t ("1st", "select", "Ωmega_sensor_id", "0x2bv") values (1, 'x', '2024-01-01', 1.5)`);
    assert.equal(db.prepare('select count(*) as n from t').all().length, 1);
  } finally {
    db.close();
  }
});

test('long names give long index names on SQLite and hashed ones within 63 bytes on PostgreSQL', () => {
  const table = 't'.repeat(200);
  const col = `${'Ω'.repeat(50)}_time`; // the index name is 262 characters and must be quoted
  const cols = inferColumns([{ [col]: '2024-01-01T00:00:00Z' }]);
  const spec = { table, columns: cols, withTsdInfo: false };
  const sqlite = createTableStatements(spec, 'sqlite');
  assert.ok(sqlite[1]?.includes(`"${table}_${cols[0]?.name ?? ''}_index"`));
  const db = openMemory();
  try {
    for (const s of sqlite) db.exec(s);
  } finally {
    db.close();
  }
  const pgIndex = /create index if not exists (\S+) on/.exec(createTableStatements(spec, 'psql')[1] ?? '')?.[1] ?? '';
  assert.ok(Buffer.byteLength(pgIndex) <= 63, pgIndex);
  assert.match(pgIndex, /_[0-9a-f]{8}$/);
  assert.ok(publishedCreate(spec).includes(`CREATE INDEX "${table}_${cols[0]?.name ?? ''}_index"`));
});

test('a column added later has no NOT NULL or default, and gets its index', () => {
  const col: ColumnSpec = { name: 'event_time', type: TIMESTAMP };
  assert.deepEqual(addColumnStatements('readings', col, 'sqlite'), [
    'alter table readings add column event_time timestamp',
    'create index if not exists readings_event_time_index on readings(event_time)',
  ]);
  assert.deepEqual(addColumnStatements('readings', { name: 'n', type: 'INT' }, 'psql'), [
    'alter table readings add column if not exists n bigint',
  ]);
  const db = openMemory();
  try {
    for (const s of createTableStatements(
      { table: 'readings', columns: inferColumns(readings), withTsdInfo: true },
      'sqlite',
    ))
      db.exec(s);
    for (const s of addColumnStatements('readings', col, 'sqlite')) db.exec(s);
  } finally {
    db.close();
  }
});

test('a wider merged type changes the PostgreSQL column only when its physical type changes', () => {
  assert.deepEqual(alterColumnTypeStatements('t', { name: 'v', type: 'INT' }, { name: 'v', type: 'DECIMAL' }, 'psql'), [
    'alter table t alter column v type decimal using v::decimal',
  ]);
  assert.deepEqual(
    alterColumnTypeStatements('t', { name: 'v', type: 'INT' }, { name: 'v', type: 'BIGINT' }, 'psql'),
    [],
  );
  assert.deepEqual(
    alterColumnTypeStatements('t', { name: 'd', type: 'CHAR(2)' }, { name: 'd', type: 'CHAR(5)' }, 'psql'),
    [],
  );
  assert.deepEqual(
    alterColumnTypeStatements('t', { name: 'v', type: 'INT' }, { name: 'v', type: 'VARCHAR' }, 'sqlite'),
    [],
  );
  // EdgeLake's merge makes FLOAT of FLOAT + VARCHAR; the text values need varchar.
  const mixed = { name: 'v', type: 'FLOAT' as const, valueTypes: ['FLOAT', 'VARCHAR'] as const };
  assert.deepEqual(
    alterColumnTypeStatements(
      't',
      { name: 'v', type: 'FLOAT' },
      { ...mixed, valueTypes: [...mixed.valueTypes] },
      'psql',
    ),
    ['alter table t alter column v type varchar using v::varchar'],
  );
});

test('tsd_<member> tables follow db_info.py, and bad member ids are refused', () => {
  assert.deepEqual(tsdMemberStatements(57, 'sqlite'), [
    'create table if not exists tsd_57 (file_id int primary key not null,dbms_name varchar not null,table_name varchar not null,source varchar not null,file_hash varchar not null,instructions varchar not null,file_time timestamp not null,rows int,status1 varchar,status2 varchar)',
    'create unique index if not exists hash_index_57 on tsd_57(file_hash)',
    'create index if not exists time_index_57 on tsd_57(file_time)',
  ]);
  assert.match(
    tsdInfoStatements('psql')[0] ?? '',
    /^CREATE TABLE IF NOT EXISTS tsd_info \(file_id SERIAL PRIMARY KEY NOT NULL,/,
  );
  assert.throws(() => tsdMemberStatements(-1, 'psql'), { name: 'DbmsError' });
  assert.throws(() => tsdMemberStatements(1.5, 'psql'), { name: 'DbmsError' });
  assert.equal(tsdFileTime(new Date('2026-11-24T03:02:43.791Z')), '2026-11-24 03:02:43.791000');
});

test('unsafe or clashing names never reach a statement', () => {
  const base = { withTsdInfo: false, columns: [{ name: 'v', type: 'INT' as const }] };
  assert.throws(() => publishedCreate({ ...base, table: 'a"; drop table x; --' }), { name: 'DbmsError' });
  assert.throws(() => createTableStatements({ ...base, table: '' }, 'sqlite'), { name: 'DbmsError' });
  assert.throws(
    () => createTableStatements({ ...base, table: 't', columns: [{ name: 'row_id', type: 'INT' }] }, 'psql'),
    { name: 'DbmsError' },
  );
  assert.throws(
    () => createTableStatements({ ...base, table: 't', columns: [...base.columns, ...base.columns] }, 'psql'),
    { name: 'DbmsError' },
  );
  const many = Array.from({ length: 1597 }, (_, i) => ({ name: `c${i}`, type: 'INT' as const }));
  assert.throws(() => createTableStatements({ ...base, table: 't', columns: many }, 'psql'), /at most 1596/);
});
