// The operator's failure classes (actors/operator/failures.ts) on errors the engines really raise:
// SQLite's lock and its SQL errors, PostgreSQL's SQLSTATE classes and a refused connection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { SqliteAdapter } from '../../storage/dbms/sqlite.js';
import { classifyFailure } from '../../actors/operator/failures.js';
import { DbmsError } from '../../base/errors.js';
import { Status } from '../../base/status.js';
import { freePort } from '../../harness/child-node.js';

const caught = async (f: () => unknown): Promise<unknown> => {
  try {
    await f();
  } catch (err) {
    return err;
  }
  throw new Error('expected a failure');
};

test('SQLite: a lock is transient, SQL errors are permanent, and the busy timeout is milliseconds', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'elrt-classes-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'c.dbms');
  const a = await SqliteAdapter.open('c', file);
  const b = await SqliteAdapter.open('c', file, { busyTimeoutMs: 300 });
  t.after(async () => {
    await a.close();
    await b.close();
  });
  // The default busy timeout is 5 s, given to SQLite in milliseconds (it was once 5, meant as seconds: 5 ms).
  assert.deepEqual((await a.select('SELECT * FROM pragma_busy_timeout')).rows, [[5000]]);
  assert.deepEqual((await b.select('SELECT * FROM pragma_busy_timeout')).rows, [[300]]);
  await a.execDDL(['CREATE TABLE t (a INTEGER NOT NULL)']);
  // `a` holds the write lock inside a transaction that waits on `b`'s attempt.
  await a.modify('BEGIN IMMEDIATE', []);
  const t0 = Date.now();
  const locked = await caught(() => b.write([], [{ table: 't', stream: 's', seq: 1 }], []));
  const waited = Date.now() - t0;
  await a.modify('COMMIT', []);
  assert.match(String(locked), /database is locked/);
  assert.ok(waited >= 250 && waited < 3000, `waited ${waited} ms for a 300 ms busy timeout`);
  assert.equal(classifyFailure(locked), 'transient');
  const master = await caught(() => a.modify('INSERT INTO sqlite_master VALUES (1, 2, 3, 4, 5)', []));
  assert.equal(classifyFailure(master), 'permanent');
  const notNull = await caught(() => a.modify('INSERT INTO t (a) VALUES (NULL)', []));
  assert.equal(classifyFailure(notNull), 'permanent');
  const deep = await caught(() => a.select(`SELECT json_valid(json(?))`, ['['.repeat(5000) + ']'.repeat(5000)]));
  assert.equal(classifyFailure(deep), 'permanent');
  assert.equal(classifyFailure(new RangeError('Maximum call stack size exceeded')), 'permanent');
  assert.equal(
    classifyFailure(new DbmsError('not connected', { code: Status.DbmsNotOpened })),
    'transient',
    'rows wait for connect dbms',
  );
  assert.equal(classifyFailure(new DbmsError('no cluster', { code: Status.NoClusterAssigned })), 'refused');
});

test('PostgreSQL: a refused connection and a terminated backend are transient, 42/22/23 errors permanent', async (t) => {
  const port = await freePort();
  const refused = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'test' });
  const e = await caught(() => refused.connect());
  assert.equal(classifyFailure(e), 'transient', String(e));
  const c = new pg.Client({
    host: '127.0.0.1',
    port: 5432,
    user: process.env['PGUSER'] ?? 'postgres',
    database: 'test',
    connectionTimeoutMillis: 2000,
  });
  try {
    await c.connect();
  } catch (err) {
    t.skip(`PostgreSQL at 127.0.0.1:5432 not reachable: ${(err as Error).message}`);
    return;
  }
  t.after(() => c.end());
  for (const [sql, code] of [
    ['SELECT * FROM no_such_table_here', '42P01'],
    ['SELECT 1/0', '22012'],
    ["SELECT 'x'::int", '22P02'],
    ['CREATE TEMP TABLE u (a INT PRIMARY KEY); INSERT INTO u VALUES (1), (1)', '23505'],
  ] as const) {
    const err = await caught(() => c.query(sql));
    assert.equal((err as { code?: string }).code, code);
    assert.equal(classifyFailure(new DbmsError('psql: failed', { cause: err })), 'permanent', code);
  }
  const victim = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' });
  await victim.connect();
  const lost: Error[] = [];
  victim.on('error', (err) => lost.push(err));
  const pid = (await victim.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
  const pending = caught(() => victim.query('SELECT pg_sleep(5)'));
  await new Promise((r) => setTimeout(r, 100));
  await c.query('SELECT pg_terminate_backend($1)', [pid]);
  const terminated = await pending;
  await victim.end().catch((err: unknown) => lost.push(err as Error));
  assert.equal(classifyFailure(new DbmsError('psql: failed', { cause: terminated })), 'transient', String(terminated));
});
