// A node in a child process is killed with SIGKILL at random moments while it ingests, 20 times,
// and restarted on the same root each time. At the end every acknowledged row is in the table
// exactly once. In the "quiet" rounds no request is in flight at the kill, so the table must hold
// exactly the acknowledged rows; in the "in flight" rounds a request cut off by the kill was never
// acknowledged, so its rows may or may not be there (the client cannot know), but never twice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { http, restUp, until } from '../../harness/test-node.js';
import { freePort, spawnNode, type ChildNode } from '../../harness/child-node.js';

const ROUNDS = Number(process.env['CRASH_ROUNDS'] ?? 20);
const ROWS_PER_PUT = 20;

function body(first: number): string {
  return JSON.stringify(
    Array.from({ length: ROWS_PER_PUT }, (_, i) => ({
      ts: new Date(Date.UTC(2026, 0, 1) + first + i).toISOString(),
      id: first + i,
      v: (first + i) % 97,
    })),
  );
}

// Up means the operator runs too: a `mode: file` PUT is refused (503) until it does.
const up = (port: number): Promise<void> => restUp(port, { operator: true });

async function sql(port: number, q: string): Promise<{ Query: Record<string, number>[] }> {
  const r = await http(port, 'GET', { command: `sql crash format = json "${q}"`, 'User-Agent': 'AnyLog/1.23' });
  if (r.status !== 200) throw new Error(r.body);
  return JSON.parse(r.body) as { Query: Record<string, number>[] };
}

test(
  'SIGKILL at random moments mid-ingest, 20 times: every acknowledged row lands exactly once',
  { timeout: 600_000 },
  async (t) => {
    const root = mkdtempSync(join(tmpdir(), 'elrt-crash-'));
    t.after(() => rmSync(root, { recursive: true, force: true }));
    const port = await freePort();
    const yaml = join(root, 'node.yaml');
    writeFileSync(
      yaml,
      `node:\n  name: crash\n  root: ${root}\n  log_level: warn\ndbms:\n  crash:\n    type: sqlite\nservices:\n  rest_server:\n    internal_ip: 127.0.0.1\n    internal_port: ${port}\n  streamer: {}\n  operator: {}\n`,
    );
    const acked = new Set<number>();
    const ambiguous = new Set<number>();
    const quietIds = new Set<number>();
    let next = 0;
    let child: ChildNode | undefined;
    t.after(() => child?.proc.kill('SIGKILL'));
    for (let round = 0; round < ROUNDS; round++) {
      child = spawnNode(['start', yaml]);
      await up(port);
      const quiet = round % 2 === 0;
      const stopAt = Date.now() + 100 + Math.random() * 500;
      const killAt = quiet ? Infinity : stopAt;
      let sending = true;
      const clients = Array.from({ length: 4 }, async () => {
        while (sending && Date.now() < stopAt) {
          const first = next;
          next += ROWS_PER_PUT;
          const mode = Math.random() < 0.25 ? 'file' : 'streaming';
          try {
            const r = await http(port, 'PUT', { type: 'json', dbms: 'crash', table: 'readings', mode }, body(first));
            assert.equal(r.status, 200, r.body);
            for (let i = 0; i < ROWS_PER_PUT; i++) acked.add(first + i);
            if (quiet) for (let i = 0; i < ROWS_PER_PUT; i++) quietIds.add(first + i);
          } catch (err) {
            if (quiet) throw err;
            for (let i = 0; i < ROWS_PER_PUT; i++) ambiguous.add(first + i); // cut off by the kill
          }
        }
      });
      if (quiet) {
        await Promise.all(clients);
        // Acknowledged rows are now somewhere between the journal and the table: kill in the middle.
        await new Promise((r) => setTimeout(r, Math.random() * 40));
        child.proc.kill('SIGKILL');
      } else {
        await new Promise((r) => setTimeout(r, Math.max(0, killAt - Date.now())));
        child.proc.kill('SIGKILL');
        sending = false;
        await Promise.all(clients);
      }
      await child.exited;
    }
    child = spawnNode(['start', yaml]);
    await up(port);
    // Everything acknowledged is replayed from the journal at start.
    await until(
      async () => {
        try {
          const ids = new Set((await sql(port, 'select id from readings')).Query.map((r) => r['id']!));
          return [...acked].every((id) => ids.has(id));
        } catch (err) {
          if (/no such table/.test((err as Error).message)) return false;
          throw err;
        }
      },
      60_000,
      200,
    );
    const dups = (await sql(port, 'select id, count(*) as c from readings group by id having count(*) > 1')).Query;
    assert.deepEqual(dups, [], 'no row is stored twice');
    const present = new Set((await sql(port, 'select id from readings')).Query.map((r) => r['id']!));
    for (const id of acked) assert.ok(present.has(id), `acknowledged row ${id} is missing`);
    for (const id of present) assert.ok(acked.has(id) || ambiguous.has(id), `row ${id} was never sent`);
    for (const id of quietIds) assert.ok(present.has(id));
    const quietPresent = [...present].filter((id) => quietIds.has(id) || !ambiguous.has(id));
    assert.equal(
      quietPresent.filter((id) => !acked.has(id)).length,
      0,
      'no unacknowledged row outside the cut-off requests',
    );
    t.diagnostic(
      `${acked.size} rows acknowledged over ${ROUNDS} kills; ${[...ambiguous].filter((id) => present.has(id)).length} of ${ambiguous.size} cut-off rows were stored`,
    );
    const stopped = child.exited;
    child.proc.kill('SIGTERM');
    assert.equal(await stopped, 0);
  },
);
