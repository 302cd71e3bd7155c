// `connect dbms` checks a SQLite database when it runs (EdgeLake cmd/member_cmd.py connect dbms: the engine's
// connect_to_db opens it and fails the command for a file that is no database): a bad file or directory fails the
// command with SQLite's reason and leaves the dbms unconnected; a missing file is created and then usable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootNode, type RunningNode } from '../../main/boot.js';
import { MemorySink } from '../../base/log.js';

async function node(t: { after(fn: () => Promise<void>): void }): Promise<{ running: RunningNode; dbmsDir: string }> {
  const root = mkdtempSync(join(tmpdir(), 'elrt-conn-'));
  const running = await bootNode({ root, logSink: new MemorySink(100).sink, output: () => undefined });
  t.after(async () => {
    await running.stop('test done');
    rmSync(root, { recursive: true, force: true });
  });
  return { running, dbmsDir: join(root, 'data', 'dbms') };
}

const cmd = (running: RunningNode, s: string): Promise<string> => running.node.command(s, { source: 'test' });

test('connect dbms fails for a file that is not a SQLite database, and the dbms stays unconnected', async (t) => {
  const { running, dbmsDir } = await node(t);
  const bad: Record<string, Buffer> = {
    text: Buffer.from('not a database'),
    short: Buffer.from('SQLite'),
    zeros: Buffer.alloc(4096),
    // The right magic but page size 0 (SQLite's file format: a power of two from 512 to 65536).
    header: Buffer.concat([Buffer.from('SQLite format 3\0'), Buffer.alloc(84)]),
  };
  for (const [name, bytes] of Object.entries(bad)) {
    writeFileSync(join(dbmsDir, `${name}.dbms`), bytes);
    await assert.rejects(cmd(running, `connect dbms ${name} where type = sqlite`), (err: Error) => {
      assert.match(err.message, new RegExp(`sqlite ${name}: cannot open .*${name}\\.dbms: file is not a database`));
      return true;
    });
    assert.equal(running.node.dbms.has(name), false, name);
    assert.deepEqual(readFileSync(join(dbmsDir, `${name}.dbms`)), bytes, `${name} left as it was`);
  }
});

test('connect dbms fails when its file cannot be created or is a directory', async (t) => {
  const { running, dbmsDir } = await node(t);
  mkdirSync(join(dbmsDir, 'dir.dbms'));
  await assert.rejects(cmd(running, 'connect dbms dir where type = sqlite'), /sqlite dir: cannot open .*dir\.dbms: /);
  assert.equal(running.node.dbms.has('dir'), false);
  rmSync(dbmsDir, { recursive: true });
  await assert.rejects(
    cmd(running, 'connect dbms gone where type = sqlite'),
    /sqlite gone: cannot open .*gone\.dbms: /,
  );
  assert.equal(running.node.dbms.has('gone'), false);
});

test('connect dbms creates a missing database that tables and queries then use', async (t) => {
  const { running, dbmsDir } = await node(t);
  await cmd(running, 'connect dbms fresh where type = sqlite');
  assert.ok(existsSync(join(dbmsDir, 'fresh.dbms')));
  assert.match(await cmd(running, 'get databases'), /fresh/);
  await running.node.dbms.ddl('fresh', ['CREATE TABLE t (v INT)', 'INSERT INTO t VALUES (7)']);
  assert.deepEqual(await running.node.dbms.reader('fresh').listTables(), [
    '_edgelake_rt_files',
    '_edgelake_rt_journal',
    't',
  ]);
  assert.match(await cmd(running, 'sql fresh format = json "select v from t"'), /"v":\s*7/);
});
