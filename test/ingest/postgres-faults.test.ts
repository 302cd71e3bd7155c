// PostgreSQL connections killed (pg_terminate_backend) during a PUT load (issue 12, item 11). Before,
// a killed connection crashed the operator worker (an 'error' event on a checked-out client); now the
// failure is transient: the batch stays pending, is retried with backoff, and every acknowledged row
// lands exactly once with no worker restart. Skips when 127.0.0.1:5432 (trust, db test) does not answer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { http, startTestNode } from '../../harness/test-node.js';
import { pgClient, pgSkip, pgUnreachable } from '../../harness/postgres.js';

const admin = (): pg.Client => pgClient();

const why = await pgUnreachable();

test(
  'PostgreSQL connections killed three times during a PUT load: no worker restart, every acknowledged row exactly once',
  { skip: pgSkip(why), timeout: 120_000 },
  async (t) => {
    const db = `elrt_fault_${process.pid}_${Date.now() % 100000}`;
    const n = await startTestNode(
      `node:\n  name: pg-fault\ndbms:\n  pgt:\n    type: psql\n    ip: 127.0.0.1\n    port: 5432\n    user: postgres\n    database: ${db}\nservices:\n  rest_server:\n    internal_ip: 127.0.0.1\n    internal_port: 0\n  streamer: {}\n  operator: {}\n`,
    );
    const killer = admin();
    await killer.connect();
    t.after(async () => {
      await n.stop();
      await killer.query(`DROP DATABASE IF EXISTS "${db}"`);
      await killer.end();
    });
    const body = (first: number, k: number): string =>
      JSON.stringify(Array.from({ length: k }, (_, i) => ({ id: first + i, v: (first + i) % 11 })));
    let acked = 0;
    let next = 0;
    let sending = true;
    const clients = Array.from({ length: 4 }, async () => {
      while (sending) {
        const first = next;
        next += 500;
        const r = await http(
          n.port,
          'PUT',
          { type: 'json', dbms: 'pgt', table: 'readings', mode: 'streaming' },
          body(first, 500),
        );
        assert.equal(r.status, 200, r.body);
        acked += 500;
      }
    });
    let killed = 0;
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      const r = await killer.query(
        'SELECT pg_terminate_backend(pid) AS k FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
        [db],
      );
      killed += r.rows.filter((x: { k: boolean }) => x.k).length;
    }
    await new Promise((r) => setTimeout(r, 500));
    sending = false;
    await Promise.all(clients);
    assert.ok(killed >= 3, `${killed} backends terminated`);
    const count = async (): Promise<{ total: number; distinct: number }> => {
      const r = await killer.query(`SELECT 1 FROM pg_database WHERE datname = $1`, [db]);
      assert.equal(r.rowCount, 1);
      const c = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: db });
      await c.connect();
      try {
        const q = await c.query<{ total: string; d: string }>(
          'SELECT count(*) AS total, count(DISTINCT id) AS d FROM readings',
        );
        return { total: Number(q.rows[0]!.total), distinct: Number(q.rows[0]!.d) };
      } finally {
        await c.end();
      }
    };
    const end = Date.now() + 30_000;
    while ((await count()).total < acked && Date.now() < end) await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(await count(), { total: acked, distinct: acked }, `${acked} acknowledged rows, each once`);
    t.diagnostic(`${acked} rows acknowledged, ${killed} backends terminated`);
    const exits = n.logs.records.filter((rec) => rec.msg === 'child.exit' || /child.exit/.test(JSON.stringify(rec)));
    assert.deepEqual(
      exits.map((x) => JSON.stringify(x)),
      [],
      'no worker died',
    );
  },
);
