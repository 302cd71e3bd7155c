// Keys that name one column, ingested by REST PUT and by a watch-dir file, on SQLite and on PostgreSQL alike, as
// EdgeLake stores them:
//   - a key repeated in one object keeps its last value (EdgeLake reads rows with json.loads; SQLite's json_extract
//     read the first, PostgreSQL the last: protocols/frames/repeated-keys.ts)
//   - keys that differ but normalise to one column (`A` and `a`, `Temp C` and `TEMP C`): the key spelled as the
//     column wins, else the last one (map_json_to_insert.py `get_value_ignore_case`; actors/operator/catalog.ts
//     `columnKeyOrder`), and the node says so once per table and key set (both engines stored the first, silently)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { http, startTestNode, until, type TestNode } from '../../harness/test-node.js';
import { pgClient, pgSkip, pgUnreachable } from '../../harness/postgres.js';

const pgWhy = await pgUnreachable();

const ENGINES = [
  { engine: 'sqlite', skip: false as string | false },
  { engine: 'psql', skip: pgSkip(pgWhy) },
];

async function node(t: { after(fn: () => Promise<void>): void }, engine: string): Promise<TestNode> {
  const db = `elrt_keys_${process.pid}_${Date.now() % 100000}`;
  const dbms =
    engine === 'sqlite'
      ? '  k:\n    type: sqlite\n'
      : `  k:\n    type: psql\n    ip: 127.0.0.1\n    port: 5432\n    user: postgres\n    database: ${db}\n`;
  const n = await startTestNode(
    `node:\n  name: keys-node\ndbms:\n${dbms}services:\n  rest_server:\n    internal_ip: 127.0.0.1\n    internal_port: 0\n  streamer: {}\n  operator: {}\n`,
  );
  t.after(async () => {
    await n.stop();
    if (engine !== 'psql') return;
    const admin = pgClient();
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${db}"`);
    await admin.end();
  });
  return n;
}

async function put(n: TestNode, table: string, body: string): Promise<void> {
  const r = await http(n.port, 'PUT', { type: 'json', dbms: 'k', table, mode: 'streaming' }, body);
  assert.equal(r.status, 200, r.body);
}

async function rows(n: TestNode, sql: string, count: number): Promise<Record<string, unknown>[]> {
  let out: Record<string, unknown>[] = [];
  await until(async () => {
    try {
      out = (JSON.parse(await n.cmd(`sql k format = json "${sql}"`)) as { Query: Record<string, unknown>[] }).Query;
    } catch (err) {
      if (/no such table|does not exist/.test((err as Error).message)) return false;
      throw err;
    }
    return out.length === count;
  }, 15_000);
  // PostgreSQL's integers come back as text (bigint): compared as text on both engines.
  return out.map((r) =>
    Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'number' ? String(v) : v])),
  );
}

for (const { engine, skip } of ENGINES) {
  test(
    `${engine}: a key repeated in one object keeps its last value, by REST and from a watch-dir file`,
    { skip },
    async (t) => {
      const n = await node(t, engine);
      await put(n, 'dup', '[{"n":1,"a":1,"a":"x"},{"n":2,"b":2,"c":"y","b":3},{"n":3,"a":"z"}]');
      assert.deepEqual(await rows(n, 'select n, a, b from dup order by n', 3), [
        { n: '1', a: 'x', b: null },
        { n: '2', a: null, b: '3' },
        { n: '3', a: 'z', b: null },
      ]);
      writeFileSync(
        join(n.root, 'data', 'watch', 'k.dupf.0.0.0.json'),
        '{"n":1,"a":1,"a":"x"}\n{"n":2,"a":"y","a":"w","a":"v"}\n',
      );
      assert.deepEqual(await rows(n, 'select n, a from dupf order by n', 2), [
        { n: '1', a: 'x' },
        { n: '2', a: 'v' },
      ]);
    },
  );

  test(
    `${engine}: keys that normalise to one column store EdgeLake's choice and are logged once per key set`,
    { skip },
    async (t) => {
      const n = await node(t, engine);
      const body =
        '[{"n":1,"A":"first","a":"exact"},{"n":2,"Temp C":"t1","TEMP C":"t2"},{"n":3,"a":"only"},{"n":4,"a":"e4","A":"f4"}]';
      await put(n, 'col', body);
      const want = [
        { n: '1', a: 'exact', temp_c: null },
        { n: '2', a: null, temp_c: 't2' },
        { n: '3', a: 'only', temp_c: null },
        { n: '4', a: 'e4', temp_c: null },
      ];
      assert.deepEqual(await rows(n, 'select n, a, temp_c from col order by n', 4), want);
      await put(n, 'col', body.replace(/"n":(\d)/g, '"n":1$1'));
      await rows(n, 'select n from col', 8);
      writeFileSync(join(n.root, 'data', 'watch', 'k.colf.0.0.0.json'), '{"n":1,"A":"first","a":"exact"}\n');
      assert.deepEqual(await rows(n, 'select n, a from colf', 1), [{ n: '1', a: 'exact' }]);
      const warned = (): string[] =>
        n.logs.records
          .filter((r) => /JSON keys name one column/.test(r.msg))
          .map((r) => `${String(r['table'])} ${String(r['column'])} ${JSON.stringify(r['keys'])}`)
          .sort();
      // The operator's log lines reach the node on their own path, maybe after the rows are queryable.
      await until(() => warned().length >= 3);
      assert.deepEqual(warned(), ['col a ["a","A"]', 'col temp_c ["TEMP C","Temp C"]', 'colf a ["a","A"]']);
    },
  );
}
