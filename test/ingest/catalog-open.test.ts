// The operator's connections open at their first use (actors/operator/catalog.ts), not at `connect dbms`: an idle
// operator loads no database engine. An open that fails (a database another process holds locked) is logged once,
// fails the use with a transient DbmsNotOpened that names the reason, and the next use opens again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, MemorySink } from '../../base/log.js';
import { Catalog } from '../../actors/operator/catalog.js';
import { classifyFailure } from '../../actors/operator/failures.js';
import { until } from '../../harness/test-node.js';

const LIBSQL = createRequire(import.meta.url).resolve('libsql');

test('a connected dbms opens at its first use; a second use shares the connection; disconnect closes it', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'elrt-catalog-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const catalog = new Catalog(
    root,
    createLogger('test', () => undefined, 'error'),
  );
  await catalog.connect('lab', { type: 'sqlite' });
  assert.deepEqual(catalog.names(), ['lab']);
  assert.equal(catalog.get('lab'), undefined, 'not opened by connect');
  assert.equal(existsSync(join(root, 'lab.dbms')), false);
  const [a, b] = await Promise.all([catalog.open('lab'), catalog.open('lab')]);
  assert.ok(a);
  assert.equal(a, b, 'one open for two uses at once');
  assert.equal(catalog.get('lab'), a);
  assert.ok(existsSync(join(root, 'lab.dbms')));
  assert.equal(await catalog.open('nosuch'), undefined);
  assert.match(catalog.notOpen('nosuch').message, /dbms 'nosuch' is not connected/);
  await catalog.disconnect('lab');
  assert.equal(catalog.get('lab'), undefined);
  assert.equal(await catalog.open('lab'), undefined, 'not connected any more');
});

test("an open that meets another process's lock fails transiently with the reason, logged once; it opens once the lock goes", async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'elrt-catalog-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const file = join(root, 'lab.dbms');
  const holder = spawn(
    process.execPath,
    [
      '-e',
      `const D = require(${JSON.stringify(LIBSQL)}); const db = new D(${JSON.stringify(file)});
       db.exec('PRAGMA locking_mode=EXCLUSIVE'); db.exec('BEGIN EXCLUSIVE'); db.exec('create table x (a)');
       process.stdout.write('locked\\n'); require('node:fs').readSync(0, Buffer.alloc(8)); db.exec('COMMIT'); db.close();`,
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  t.after(() => holder.kill('SIGKILL'));
  await new Promise<void>((res) => holder.stdout!.once('data', () => res()));
  const logs = new MemorySink(100);
  const catalog = new Catalog(root, createLogger('test', logs.sink, 'debug'));
  t.after(() => catalog.disconnect('lab'));
  await catalog.connect('lab', { type: 'sqlite' });
  for (let i = 0; i < 2; i++) assert.equal(await catalog.open('lab'), undefined);
  const err = catalog.notOpen('lab', ': rows wait in the journal');
  assert.match(err.message, /dbms 'lab' cannot be opened \(.*locked.*\): rows wait in the journal/);
  assert.equal(classifyFailure(err), 'transient');
  assert.equal(logs.records.filter((r) => r.msg === 'dbms locked by another process; waiting').length, 1);
  const exited = new Promise((r) => holder.once('exit', r));
  holder.stdin!.end('go\n');
  await exited;
  // Tried again once OPEN_RETRY_MS has passed since the failure.
  let c: Awaited<ReturnType<Catalog['open']>>;
  await until(async () => (c = await catalog.open('lab')) !== undefined, 10_000, 100);
  assert.ok(c);
  assert.ok((await c.adapter.listTables()).includes('x'));
});

test('an idle node with a dbms and an operator has no libsql loaded until its first query', async (t) => {
  const { freePort, spawnNode } = await import('../../harness/child-node.js');
  const { http } = await import('../../harness/test-node.js');
  const { writeFileSync } = await import('node:fs');
  const root = mkdtempSync(join(tmpdir(), 'elrt-idle-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const port = await freePort();
  const yaml = join(root, 'node.yaml');
  writeFileSync(
    yaml,
    `node:\n  name: idle\n  root: ${root}\n  log_level: warn\ndbms:\n  test:\n    type: sqlite\nservices:\n` +
      `  rest_server:\n    internal_ip: 127.0.0.1\n    internal_port: ${port}\n  streamer: {}\n  operator: {}\n`,
  );
  const child = spawnNode(['start', yaml]);
  t.after(() => child.proc.kill('SIGKILL'));
  const get = (command: string) => http(port, 'GET', { command, 'User-Agent': 'AnyLog/1.23' });
  await until(async () => {
    if (child.proc.exitCode !== null) throw new Error(`node exited: ${child.stderr()}`);
    return (await get('get status').catch(() => undefined))?.status === 200;
  }, 60_000);
  const libsqlMapped = (): boolean =>
    execFileSync('cat', [`/proc/${child.proc.pid}/maps`])
      .toString()
      .includes('libsql');
  // The operator is running (its start replay is over) and the node answers: nothing has opened the database.
  await until(async () => /Operator\s*\|\s*Running/i.test((await get('get processes')).body), 30_000);
  assert.equal(existsSync(join(root, 'data', 'dbms', 'test.dbms')), true, 'connect dbms created the file');
  assert.equal(libsqlMapped(), false, 'libsql is not loaded while idle');
  assert.match((await get('get tables where dbms = test')).body, /Table name/);
  assert.equal(libsqlMapped(), true, 'the first read loads it');
  const stopped = child.exited;
  child.proc.kill('SIGTERM');
  assert.equal(await stopped, 0);
});
