// PostgreSQL down during a PUT load (issue 12, item 11: "stops PostgreSQL"). The node reaches PostgreSQL through a
// TCP proxy of this test; taking the proxy down drops every connection at once and refuses new ones, which is what
// the node sees of a stopped server (the machine's PostgreSQL is shared with the other tests, so it is not stopped
// itself). While it is down, PUTs are still acknowledged (journaled), the table shows in `get operator` as waiting
// for a retry with the connection's error, and no worker restarts; once it is back, every acknowledged row lands
// exactly once and no table waits. Skips when 127.0.0.1:5432 (trust, db test) does not answer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import pg from 'pg';
import { http, startTestNode } from '../../harness/test-node.js';
import { pgClient, pgSkip, pgUnreachable } from '../../harness/postgres.js';

const why = await pgUnreachable();

/** A TCP proxy to 127.0.0.1:5432 that can be taken down (every connection dropped, the port closed) and back up. */
class Proxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;

  async up(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(5432, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        // A reset is what the test causes; each side's close ends the other.
        s.on('error', () => s.destroy());
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    const a = server.address();
    if (a === null || typeof a === 'string') throw new Error('proxy: no port');
    this.port = a.port;
    this.server = server;
  }

  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    const closed = new Promise<void>((r) => server.close(() => r()));
    for (const s of this.sockets) s.resetAndDestroy();
    await closed;
  }
}

test(
  'PostgreSQL down for 3 s during a PUT load: PUTs still acknowledged, the table waits in get operator, then every acknowledged row exactly once',
  { skip: pgSkip(why), timeout: 150_000 },
  async (t) => {
    const db = `elrt_down_${process.pid}_${Date.now() % 100000}`;
    const proxy = new Proxy();
    await proxy.up();
    t.after(() => proxy.down());
    const n = await startTestNode(
      `node:\n  name: pg-down\ndbms:\n  pgt:\n    type: psql\n    ip: 127.0.0.1\n    port: ${proxy.port}\n    user: postgres\n    database: ${db}\nservices:\n  rest_server:\n    internal_ip: 127.0.0.1\n    internal_port: 0\n  streamer: {}\n  operator: {}\n`,
    );
    t.after(() => n.stop());
    const admin = pgClient();
    await admin.connect();
    t.after(async () => {
      await admin.query(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`);
      await admin.end();
    });
    const body = (first: number, k: number): string =>
      JSON.stringify(Array.from({ length: k }, (_, i) => ({ id: first + i, v: (first + i) % 11 })));
    const put = async (first: number, k: number): Promise<void> => {
      const r = await http(
        n.port,
        'PUT',
        { type: 'json', dbms: 'pgt', table: 'readings', mode: 'streaming' },
        body(first, k),
      );
      assert.equal(r.status, 200, r.body);
    };
    // The table exists and the operator holds a connection before the outage.
    await put(0, 100);
    const count = async (): Promise<{ total: number; distinct: number }> => {
      const c = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: db });
      try {
        await c.connect();
        const q = await c.query<{ total: string; d: string }>(
          'SELECT count(*) AS total, count(DISTINCT id) AS d FROM readings',
        );
        return { total: Number(q.rows[0]!.total), distinct: Number(q.rows[0]!.d) };
      } catch (err) {
        // Before the operator made them, neither the database nor the table is there.
        if (/does not exist/.test((err as Error).message)) return { total: 0, distinct: 0 };
        throw err;
      } finally {
        await c.end().catch(() => undefined);
      }
    };
    const first = Date.now() + 30_000;
    while ((await count()).total < 100 && Date.now() < first) await new Promise((r) => setTimeout(r, 100));
    assert.equal((await count()).total, 100, 'the first rows landed before the outage');

    let acked = 100;
    let next = 100;
    let sending = true;
    let duringOutage = 0;
    let down = false;
    const clients = Array.from({ length: 4 }, async () => {
      while (sending) {
        const from = next;
        next += 500;
        await put(from, 500);
        acked += 500;
        if (down) duringOutage += 500;
        // Paced (about 40k rows/s in all): the backlog to land afterwards stays a few hundred thousand rows.
        await new Promise((r) => setTimeout(r, 50));
      }
    });
    let shown = '';
    try {
      await new Promise((r) => setTimeout(r, 1000));
      await proxy.down();
      down = true;
      // While it is down the table waits for a retry, with the connection's error, in `get operator`.
      const until = Date.now() + 3000;
      while (Date.now() < until) {
        const out = await n.cmd('get operator retry');
        if (/readings/.test(out)) shown = out;
        await new Promise((r) => setTimeout(r, 200));
      }
      down = false;
      await proxy.up();
      await new Promise((r) => setTimeout(r, 1000));
    } finally {
      // The clients stop whatever happened above (else their loops outlive the test).
      sending = false;
      await Promise.all(clients);
    }
    assert.match(shown, /pgt\s*\|\s*readings/, `get operator retry during the outage:\n${shown}`);
    assert.ok(duringOutage > 0, 'PUTs were acknowledged while PostgreSQL was down');

    // The retry backs off to 5 s at most: every row within a bounded wait, then the exact figures.
    const end = Date.now() + 60_000;
    while ((await count()).total < acked && Date.now() < end) await new Promise((r) => setTimeout(r, 250));
    assert.deepEqual(await count(), { total: acked, distinct: acked }, `${acked} acknowledged rows, each once`);
    assert.match(await n.cmd('get operator retry'), /No table waits for a retry/);
    t.diagnostic(`${acked} rows acknowledged, ${duringOutage} of them while PostgreSQL was down`);
    t.diagnostic(shown.trim().split('\n').slice(-1)[0]!);
    const exits = n.logs.records.filter((rec) => /child\.exit/.test(JSON.stringify(rec)));
    assert.deepEqual(
      exits.map((x) => JSON.stringify(x)),
      [],
      'no worker died',
    );
  },
);
