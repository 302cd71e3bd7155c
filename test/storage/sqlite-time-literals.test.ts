// On SQLite, timestamps are the text they came in (`2026-01-02T03:04:05.000000Z`, as EdgeLake stores them). A
// condition with the literal form users write (`timestamp >= '2026-01-02 03:04:10'`) compares instants, as on
// PostgreSQL, whatever form the stored values have; the values read back are exactly those stored.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootNode } from '../../main/boot.js';
import { MemorySink } from '../../base/log.js';
import { sqliteTimeComparisons } from '../../storage/dbms/sql-text.js';

test('date-time literals compare as instants on SQLite; stored values read back unchanged', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'elrt-sqlt-'));
  const running = await bootNode({ root, logSink: new MemorySink(100).sink, output: () => undefined });
  t.after(async () => {
    await running.stop('test done');
    rmSync(root, { recursive: true, force: true });
  });
  const cmd = (s: string): Promise<string> => running.node.command(s, { source: 'test' });
  await cmd('connect dbms tl where type = sqlite');
  const stored = [
    '2026-01-02T03:04:05.000000Z',
    '2026-01-02T03:04:10.000000Z', // exactly the lower bound
    '2026-01-02T03:04:12.5Z',
    '2026-01-02 03:04:14.999', // the space form, as some sources send it
    '2026-01-02T03:04:15Z', // exactly the upper bound (excluded by <)
    '2026-01-02T03:04:20.000000Z',
  ];
  await running.node.dbms.ddl('tl', [
    'CREATE TABLE t (timestamp TIMESTAMP, v INT)',
    ...stored.map((s, i) => `INSERT INTO t VALUES ('${s}', ${i})`),
  ]);
  const count = async (where: string): Promise<number> => {
    const r = JSON.parse(await cmd(`sql tl format = json "select count(*) from t where ${where}"`)) as {
      Query: { 'count(*)': number }[];
    };
    return r.Query[0]!['count(*)'];
  };
  assert.equal(await count("timestamp >= '2026-01-02 03:04:10' and timestamp < '2026-01-02 03:04:15'"), 3);
  assert.equal(await count("timestamp >= '2026-01-02T03:04:10Z' and timestamp <= '2026-01-02T03:04:15'"), 4);
  assert.equal(await count("timestamp = '2026-01-02 03:04:10'"), 1);
  assert.equal(await count("'2026-01-02 03:04:15' < timestamp"), 1);
  assert.equal(await count("timestamp between '2026-01-02 03:04:05' and '2026-01-02 03:04:10'"), 2);
  assert.equal(await count("timestamp >= '2026-01-02'"), 6);
  const back = JSON.parse(
    await cmd(`sql tl format = json "select timestamp from t where timestamp > '2026-01-02 03:04:11' order by v"`),
  ) as { Query: { timestamp: string }[] };
  assert.deepEqual(
    back.Query.map((r) => r.timestamp),
    stored.slice(2),
  );
});

test('only comparisons with a date-time literal change', () => {
  assert.equal(
    sqliteTimeComparisons("select name, '2026-01-02 03:04:05' from t where name = 'a' and n > 3"),
    "select name, '2026-01-02 03:04:05' from t where name = 'a' and n > 3",
  );
  assert.equal(
    sqliteTimeComparisons(`select * from t where "ts col" < '2026-01-02 03:04:05.25'`),
    `select * from t where julianday("ts col") < julianday('2026-01-02 03:04:05.25')`,
  );
});
