// Streamed rows get EdgeLake's per-file bookkeeping: a tsd_info row per applied batch (its file_id is
// the rows' tsd_id) and, with distributor = true, an EdgeLake file for the HA distributor.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { REST_NODE, http, startTestNode, until } from '../../harness/test-node.js';

test('streamed batches are recorded in tsd_info and copied to distr_dir as EdgeLake files; identical batches both land', async (t) => {
  const n = await startTestNode(
    REST_NODE('  test:\n    type: sqlite\n', '{ update_tsd_info: true, distributor: true }'),
  );
  t.after(() => n.stop());
  const body = JSON.stringify([
    { ts: '2024-01-01T00:00:00Z', v: 1 },
    { ts: '2024-01-01T00:00:01Z', v: 2 },
  ]);
  for (let i = 0; i < 2; i++) {
    assert.equal(
      (await http(n.port, 'PUT', { type: 'json', dbms: 'test', table: 'st', mode: 'streaming' }, body)).status,
      200,
    );
    await until(async () => {
      try {
        const q = JSON.parse(await n.cmd('sql test format = json "select count(*) as c from st"')) as {
          Query: { c: number }[];
        };
        return q.Query[0]!.c === 2 * (i + 1);
      } catch (err) {
        if (/no such table/.test((err as Error).message)) return false;
        throw err;
      }
    });
  }
  // tsd_info's row count is filled in after the rows commit (batch-files.ts), in its own transaction: wait for it.
  const readTsd = async () =>
    JSON.parse(
      await n.cmd('sql almgm format = json "select file_id, file_hash, rows from tsd_info order by file_id"'),
    ) as { Query: { file_id: number; file_hash: string; rows: number }[] };
  await until(async () => (await readTsd()).Query.every((r) => r.rows === 2));
  const tsd = await readTsd();
  assert.equal(tsd.Query.length, 2);
  assert.deepEqual(
    tsd.Query.map((r) => r.rows),
    [2, 2],
  );
  assert.notEqual(tsd.Query[0]!.file_hash, tsd.Query[1]!.file_hash);
  const ids = JSON.parse(await n.cmd('sql test format = json "select distinct tsd_id from st order by tsd_id"')) as {
    Query: { tsd_id: number }[];
  };
  assert.deepEqual(
    ids.Query.map((r) => r.tsd_id),
    tsd.Query.map((r) => r.file_id),
  );
  const distr = join(n.root, 'data', 'distr');
  await until(() => existsSync(distr) && readdirSync(distr).filter((f) => f.endsWith('.json')).length === 2);
  const files = readdirSync(distr)
    .filter((f) => f.endsWith('.json'))
    .sort();
  assert.match(files[0]!, /^test\.st\.0\.[0-9a-f]{32}\.0\.0\.1\.\d{12}\.json$/);
  assert.equal(
    readFileSync(join(distr, files[0]!), 'utf8'),
    '{"ts":"2024-01-01T00:00:00Z","v":1}\n{"ts":"2024-01-01T00:00:01Z","v":2}\n',
  );
});
