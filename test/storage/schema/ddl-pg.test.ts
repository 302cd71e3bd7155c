// The PostgreSQL statements against a real server (skipped when none answers): they run, and values
// EdgeLake's inference accepted go in and come back unchanged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createSchemaInferrer } from '../../../storage/schema/infer.js';
import { addColumnStatements, alterColumnTypeStatements, createTableStatements } from '../../../storage/schema/ddl.js';
import { tsdInfoStatements, tsdMemberStatements } from '../../../storage/schema/tsd.js';
import { quoteIdent } from '../../../storage/schema/names.js';

async function connect(): Promise<pg.Client | string> {
  const client = new pg.Client({
    host: process.env['PGHOST'] ?? '/var/run/postgresql',
    user: process.env['PGUSER'] ?? 'postgres',
    database: process.env['PGDATABASE'] ?? 'postgres',
    connectionTimeoutMillis: 2000,
  });
  try {
    await client.connect();
    return client;
  } catch (err) {
    return `no PostgreSQL server: ${err instanceof Error ? err.message : String(err)}`;
  }
}

test('PostgreSQL runs the DDL and keeps every inferred value as sent', async (t) => {
  const c = await connect();
  if (typeof c === 'string') {
    t.skip(c);
    return;
  }
  const schema = `edgelake_rt_schema_test_${randomBytes(4).toString('hex')}`;
  t.after(async () => {
    await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await c.end();
  });
  await c.query(`CREATE SCHEMA ${schema}`);
  await c.query(`SET search_path TO ${schema}`);

  const first = [
    {
      timestamp: '2024-05-01T10:00:00.000000Z',
      device: 'd1',
      id: '424f12a43372de46df1b7d41bd78014e',
      ip: '10.0.0.5',
      n: 3,
      'Ω x': 'a',
    },
  ];
  const inf = createSchemaInferrer();
  inf.add(first);
  const cols = inf.columns();
  assert.deepEqual(
    cols.map((x) => x.type),
    ['TIMESTAMP NOT NULL DEFAULT NOW()', 'CHAR(2)', 'UUID', 'CIDR', 'INT', 'CHAR(1)'],
  );
  for (const s of createTableStatements({ table: 'readings', columns: cols, withTsdInfo: true }, 'psql'))
    await c.query(s);
  for (const s of [...tsdInfoStatements('psql'), ...tsdMemberStatements(82, 'psql')]) await c.query(s);

  // A later batch: a longer device (EdgeLake's char(2) would fail), a big counter, a new column.
  const later = {
    timestamp: '2024-05-01T10:00:01Z',
    device: 'Dev-12345',
    id: 'x',
    ip: 'fe80::1%eth0',
    n: 5_000_000_000,
    extra: 1.5,
  };
  const before = new Map(cols.map((x) => [x.name, x]));
  inf.add([later]);
  for (const col of inf.columns()) {
    const old = before.get(col.name);
    const ddl = old
      ? alterColumnTypeStatements('readings', old, col, 'psql')
      : addColumnStatements('readings', col, 'psql');
    for (const s of ddl) await c.query(s);
  }
  const names = inf.columns().map((x) => x.name);
  const insert = (row: Record<string, unknown>): Promise<unknown> => {
    const keys = Object.keys(row);
    const colsSql = keys
      .map((k) => quoteIdent(inf.columns().find((x) => x.sourceKeys.includes(k))?.name ?? k, 'psql'))
      .join(', ');
    return c.query(
      `INSERT INTO readings (tsd_name, tsd_id, ${colsSql}) VALUES ('82', 1, ${keys.map((_, i) => `$${i + 1}`).join(', ')})`,
      Object.values(row),
    );
  };
  await insert(first[0] ?? {});
  await insert(later);
  const r = await c.query<Record<string, unknown>>(
    `SELECT ${names.map((n) => `${quoteIdent(n, 'psql')}::text AS ${quoteIdent(n, 'psql')}`).join(', ')} FROM readings ORDER BY row_id`,
  );
  assert.equal(r.rows[0]?.['id'], '424f12a43372de46df1b7d41bd78014e', 'an md5 typed UUID comes back without hyphens');
  assert.equal(r.rows[0]?.['ip'], '10.0.0.5', 'no /32 appended');
  assert.equal(r.rows[0]?.['device'], 'd1', 'no char padding');
  assert.equal(r.rows[1]?.['device'], 'Dev-12345');
  assert.equal(r.rows[1]?.['n'], '5000000000');
  assert.equal(r.rows[1]?.['extra'], '1.5');
  assert.equal(r.rows[0]?.['Ω_x'], 'a', 'a name above U+00FF is kept');
});
