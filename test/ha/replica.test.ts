// The receiving side of HA in the operator (actors/operator/files.ts, tsd.ts): a file named with another member's
// id is recorded in tsd_<member> under that member's file id, a hash is ingested once whatever way it arrives, and
// `time file get` / `time file send` read the TSD tables and the archive.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createFileHasher } from '../../protocols/files/hash.js';
import { startTestNode, until, type TestNode } from '../../harness/test-node.js';

const NODE = `node:\n  name: ha-op\ndbms:\n  test:\n    type: sqlite\nservices:\n  operator: { update_tsd_info: true, distributor: true }\n`;

const dir = (n: TestNode, d: string): string => join(n.root, 'data', d);

/** The files under `d`, hidden ones (a copy in progress, `.<name>.part`) left out. */
function files(d: string): string[] {
  if (!existsSync(d)) return [];
  return readdirSync(d, { withFileTypes: true })
    .filter((e) => !e.name.startsWith('.'))
    .flatMap((e) => (e.isDirectory() ? files(join(d, e.name)).map((f) => `${e.name}/${f}`) : [e.name]));
}

function md5(dbms: string, table: string, text: string): string {
  return createFileHasher(dbms, table).update(Buffer.from(text)).digest('hex');
}

/** Written aside, then renamed in: the operator sees it whole. */
function drop(n: TestNode, name: string, text: string): void {
  const tmp = join(dir(n, 'tmp'), name);
  writeFileSync(tmp, text);
  renameSync(tmp, join(dir(n, 'watch'), name));
}

async function q<T>(n: TestNode, dbms: string, sql: string): Promise<T[]> {
  return (JSON.parse(await n.cmd(`sql ${dbms} format = json "${sql}"`)) as { Query: T[] }).Query;
}

/** Rows of `table`; 0 while the operator has not created it (a replica is recorded in tsd_<member> first). */
async function rowsIn(n: TestNode, dbms: string, table: string): Promise<number> {
  try {
    return (await q<{ n: number }>(n, dbms, `select count(*) as n from ${table}`))[0]!.n;
  } catch (err) {
    if (err instanceof Error && /no such table/.test(err.message)) return 0;
    throw err;
  }
}

test('a file of another member lands once in tsd_<member>, with its member and file id on the rows', async (t) => {
  const n = await startTestNode(NODE);
  t.after(() => n.stop());
  const text = '{"v": 1}\n{"v": 2}\n';
  const h = md5('test', 'r', text);
  const name = `test.r.0.${h}.0.7.41.260101120000.json`;
  drop(n, name, text);
  await until(async () => (await n.cmd('time file get where table = tsd_7 and format = json')).includes(h), 15_000, 50);
  const [row] = JSON.parse(await n.cmd('time file get where table = tsd_7 and format = json')) as {
    file_id: number;
    rows: number;
    file_time: string;
  }[];
  assert.equal(row!.file_id, 41);
  assert.equal(row!.file_time, '2026-01-01 12:00:00.000000');
  await until(async () => (await rowsIn(n, 'test', 'r')) === 2);
  assert.deepEqual(await q(n, 'test', 'select distinct tsd_name, tsd_id from r'), [{ tsd_name: '7', tsd_id: 41 }]);
  await until(
    async () =>
      (JSON.parse(await n.cmd('time file get where table = tsd_7 and format = json')) as { rows: number }[])[0]!
        .rows === 2,
  );
  // Not distributed again: only a member's own files go to distr_dir.
  assert.deepEqual(files(dir(n, 'distr')), []);

  // The same file again (the distributor and the consumer both delivered it): not inserted twice.
  drop(n, name, text);
  await until(() => !existsSync(join(dir(n, 'watch'), name)), 10_000, 50);
  // The same content named as another member's file: a duplicate, deleted (no row, no tsd_8 entry).
  drop(n, `test.r.0.${h}.0.8.3.260101120500.json`, text);
  await until(() => !existsSync(join(dir(n, 'watch'), `test.r.0.${h}.0.8.3.260101120500.json`)), 10_000, 50);
  assert.deepEqual(JSON.parse(await n.cmd('time file get where table = tsd_8 and format = json')), []);
  // A device file with the same content: EdgeLake's duplicate (86), whatever TSD table has the hash.
  drop(n, 'test.r.json', text);
  await until(() => files(dir(n, 'error')).some((f) => f.includes('.err_86.')), 10_000, 50);
  assert.equal((await q<{ n: number }>(n, 'test', 'select count(*) as n from r'))[0]!.n, 2);
  assert.match(await n.cmd('time file tables'), /tsd_7/);
});

test('a device file is named with its hash, copied to distr_dir, and time file send finds it in the archive', async (t) => {
  const n = await startTestNode(NODE);
  t.after(() => n.stop());
  const text = '{"v": 5}\n';
  const h = md5('test', 'd', text);
  drop(n, 'test.d.json', text);
  await until(() => files(dir(n, 'distr')).length === 1, 15_000, 50);
  const [copy] = files(dir(n, 'distr'));
  assert.match(copy!, new RegExp(`^test\\.d\\.0\\.${h}\\.0\\.0\\.1\\.\\d{12}\\.json$`));
  await until(() => files(dir(n, 'archive')).length === 1, 10_000, 50);
  const got = JSON.parse(await n.cmd(`time file get where hash = ${h} and start_date = -1d and format = json`)) as {
    file_id: number;
  }[];
  assert.equal(got[0]!.file_id, 1);
  assert.deepEqual(
    JSON.parse(await n.cmd('time file get where start_date = -1d and end_date = -2h and format = json')),
    [],
  );
  // Without a peer asking, time file send needs dest; an unknown hash is an error.
  await assert.rejects(n.cmd(`time file send where hash = ${h}`), /no destination/);
  await assert.rejects(n.cmd('time file send where hash = 0123 and dest = 127.0.0.1:9'), /no file with hash 0123/);
});

test('run ha without a cluster says why in get distributor and get consumer; a bad date is refused at run', async (t) => {
  const n = await startTestNode(NODE);
  t.after(() => n.stop());
  await assert.rejects(n.cmd('run data consumer where start_date = yesterday'), /start_date: expected a date/);
  await assert.rejects(n.cmd('run ha where colour = red'), /run ha\.colour: unknown option/);
  await n.cmd('run ha where interval = 1');
  await until(
    async () =>
      /no operator policy/.test(
        String(
          (JSON.parse(await n.cmd('get distributor where format = json')) as Record<string, unknown>)['Scan error'],
        ),
      ),
    10_000,
    50,
  );
  await until(
    async () =>
      /no operator policy/.test(
        String((JSON.parse(await n.cmd('get consumer where format = json')) as Record<string, unknown>)['Check error']),
      ),
    10_000,
    50,
  );
  await assert.rejects(n.cmd('run ha'), /already running/);
  await n.cmd('set consumer mode = suspend');
  assert.match(await n.cmd('get processes'), /Consumer +\|Running +\|Mode: suspend/);
  await assert.rejects(n.cmd('set consumer mode = maybe'), /set consumer mode = active\|suspend/);
  await n.cmd('exit ha');
  assert.match(await n.cmd('get processes'), /Distributor +\|Not declared/);
  assert.equal(await n.cmd('get consumer'), 'Consumer not active');
});
