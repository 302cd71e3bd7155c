// npm run bench -- latency
// Publish-to-queryable latency at a steady 10,000 rows/s: 100-row streaming PUTs every 10 ms for
// 15 s; a reader in this process polls the node's SQLite file (its own read connection, WAL) every
// 2 ms for the highest id, and each PUT's latency is from just before it is sent until its last row
// is visible. Baseline: the same reader's view of the same rows inserted directly with libsql (one
// transaction per 100 rows, synchronous=FULL) at the same pace: what SQLite alone costs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'libsql';
import { count, put, startNode } from './ingest-common.js';
import { jsonLine, percentile } from './lib/report.js';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 15);
const ROWS_PER_PUT = 100;
const INTERVAL_MS = 10;

const pct = (xs: number[], p: number): number => Number(percentile(xs, p * 100).toFixed(2));

function body(first: number): string {
  return JSON.stringify(
    Array.from({ length: ROWS_PER_PUT }, (_, i) => ({
      timestamp: new Date(Date.UTC(2026, 0, 1) + first + i).toISOString(),
      id: first + i,
      v: (first + i) % 97,
    })),
  );
}

/** Runs `send(first)` every INTERVAL_MS and records when id first+99 becomes visible to `maxId`. */
async function paced(
  send: (first: number) => Promise<unknown>,
  maxId: () => number,
): Promise<{ lat: number[]; rowsPerS: number }> {
  const sentAt = new Map<number, number>();
  const lat: number[] = [];
  let next = 0;
  const t0 = performance.now();
  const end = Date.now() + SECONDS * 1000;
  let seen = -1;
  const poller = setInterval(() => {
    const m = maxId();
    if (m <= seen) return;
    const now = performance.now();
    for (const [last, at] of sentAt) {
      if (last <= m) {
        lat.push(now - at);
        sentAt.delete(last);
      }
    }
    seen = m;
  }, 2);
  const sends: Promise<unknown>[] = [];
  while (Date.now() < end) {
    // Paced by the clock, not by timer count: a late timer sends the PUTs that fell due meanwhile, so the
    // achieved rate stays at the aimed one on a loaded machine (a fixed 10 ms sleep gave ~8k rows/s).
    const due = Math.floor((performance.now() - t0) / INTERVAL_MS) + 1;
    for (let k = 0; next < due * ROWS_PER_PUT && k < 100; k++) {
      const first = next;
      next += ROWS_PER_PUT;
      sentAt.set(first + ROWS_PER_PUT - 1, performance.now());
      sends.push(send(first));
    }
    await new Promise((r) => setTimeout(r, INTERVAL_MS / 2));
  }
  // Reported as achieved (rows sent over the time they took), beside the aimed rate.
  const rowsPerS = (next * 1000) / (performance.now() - t0);
  await Promise.all(sends);
  const deadline = Date.now() + 10_000;
  while (sentAt.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  clearInterval(poller);
  if (sentAt.size > 0) throw new Error(`${sentAt.size} PUTs never became visible`);
  return { lat: lat.slice(Math.floor(lat.length * 0.1)), rowsPerS }; // the first tenth is warm-up
}

const node = await startNode('  bench:\n    type: sqlite\n');
let ours: { lat: number[]; rowsPerS: number };
try {
  await put(node.port, { type: 'json', dbms: 'bench', table: 'lat', mode: 'streaming' }, body(-ROWS_PER_PUT));
  while ((await count(node.port, 'bench', 'lat')) < ROWS_PER_PUT) await new Promise((r) => setTimeout(r, 10));
  const reader = new Database(join(node.root, 'data', 'dbms', 'bench.dbms'));
  // libsql's pluck() still returns an object: read the first column of a raw row instead.
  const st = reader.prepare('SELECT max(id) AS m FROM lat').raw(true);
  ours = await paced(
    (first) => put(node.port, { type: 'json', dbms: 'bench', table: 'lat', mode: 'streaming' }, body(first)),
    () => Number((st.get() as unknown[])[0] ?? -1),
  );
  reader.close();
} finally {
  await node.stop();
  rmSync(node.root, { recursive: true, force: true });
}

const dir = mkdtempSync(join(tmpdir(), 'elrt-lat-'));
const w = new Database(join(dir, 'raw.db'));
w.exec('PRAGMA journal_mode=WAL');
w.exec('PRAGMA synchronous=FULL');
w.exec('CREATE TABLE lat (ts text, id int, v int)');
const ins = w.prepare(
  `INSERT INTO lat SELECT json_extract(value,'$.timestamp'), json_extract(value,'$.id'), json_extract(value,'$.v') FROM json_each(?)`,
);
const r = new Database(join(dir, 'raw.db'));
const rst = r.prepare('SELECT max(id) AS m FROM lat').raw(true);
const raw = await paced(
  async (first) => ins.run(body(first)),
  () => Number((rst.get() as unknown[])[0] ?? -1),
);
w.close();
r.close();
rmSync(dir, { recursive: true, force: true });

// Latency: lower is better, so the ratio here is ours over raw SQLite's (how much the pipeline adds).
jsonLine('latency', pct(ours.lat, 0.99), 'ms p99', pct(raw.lat, 0.99), {
  p50_ms: pct(ours.lat, 0.5),
  p99_ms: pct(ours.lat, 0.99),
  max_ms: pct(ours.lat, 1),
  raw_p50_ms: pct(raw.lat, 0.5),
  rows_per_s_aimed: (ROWS_PER_PUT * 1000) / INTERVAL_MS,
  rows_per_s: Math.round(ours.rowsPerS),
  raw_rows_per_s: Math.round(raw.rowsPerS),
  puts: ours.lat.length,
});
