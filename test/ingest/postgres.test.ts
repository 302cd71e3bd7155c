// The same ingest into the machine's PostgreSQL (127.0.0.1:5432, trust auth). Skips with a message
// when no server answers. Each run uses its own database, dropped afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { http, startTestNode, until } from '../../harness/test-node.js';
import { pgSkip, pgUnreachable } from '../../harness/postgres.js';

const why = await pgUnreachable();

test(
  'REST PUTs and a watch-dir file land in PostgreSQL with types, exact values and no duplicates',
  { skip: pgSkip(why) },
  async (t) => {
    const db = `elrt_test_${process.pid}_${Date.now() % 100000}`;
    const n = await startTestNode(
      `node:\n  name: pg-node\ndbms:\n  pgt:\n    type: psql\n    ip: 127.0.0.1\n    port: 5432\n    user: postgres\n    database: ${db}\nservices:\n  rest_server:\n    internal_ip: 127.0.0.1\n    internal_port: 0\n  streamer: {}\n  operator: {}\n`,
    );
    t.after(async () => {
      await n.stop();
      const admin = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS "${db}"`);
      await admin.end();
    });
    const rows = Array.from({ length: 500 }, (_, i) => ({
      timestamp: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(),
      device: `dev-${i % 9}`,
      value: i + 0.25,
      count: i,
      ok: i % 2 === 0,
      note: i === 7 ? 'it\'s "quoted"' : 'x',
    }));
    const r = await http(
      n.port,
      'PUT',
      { type: 'json', dbms: 'pgt', table: 'readings', mode: 'streaming' },
      JSON.stringify(rows),
    );
    assert.equal(r.status, 200, r.body);
    const q = async (sql: string) =>
      (JSON.parse(await n.cmd(`sql pgt format = json "${sql}"`)) as { Query: Record<string, unknown>[] }).Query;
    await until(async () => {
      try {
        return Number((await q('select count(*) as n from readings'))[0]!['n']) === 500;
      } catch (err) {
        if (/does not exist/.test((err as Error).message)) return false;
        throw err;
      }
    }, 15_000);
    assert.deepEqual(await q('select note from readings where count = 7'), [{ note: 'it\'s "quoted"' }]);
    const cols = JSON.parse(
      await n.cmd('get columns where dbms = pgt and table = readings and format = json'),
    ) as Record<string, string>;
    assert.equal(cols['ok'], 'boolean');
    assert.match(cols['timestamp']!, /^timestamp/);
    // An offset is converted to UTC, not dropped.
    await http(
      n.port,
      'PUT',
      { type: 'json', dbms: 'pgt', table: 'tz', mode: 'streaming' },
      '[{"ts": "2024-01-01T02:00:00+02:00", "v": 1}]',
    );
    await until(async () => {
      try {
        return (
          (await q('select count(*) as n from tz')).length > 0 &&
          Number((await q('select count(*) as n from tz'))[0]!['n']) === 1
        );
      } catch (err) {
        if (/does not exist/.test((err as Error).message)) return false;
        throw err;
      }
    });
    const ts = (await q("select to_char(ts, 'YYYY-MM-DD HH24:MI:SS') as t from tz"))[0]!['t'];
    assert.equal(ts, '2024-01-01 00:00:00');
  },
);
