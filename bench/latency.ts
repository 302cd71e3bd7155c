// npm run bench -- latency
// Publish-to-queryable latency at a steady 10,000 rows/s: 100-row streaming PUTs every 10 ms for 15 s; each PUT's
// latency is from just before it is sent until its last row is visible to a reader in this process (its own read
// connection to the SQLite file, WAL). Baseline: raw libsql fed the same way in the same run
// (bench/lib/raw-sqlite-server.ts, as `ingest-sqlite`): the same PUT bodies from the same client at the same pace,
// inserted as they arrive (what came in during a transaction goes in the next one) into a table made by the node's
// own DDL (its columns and its two indexes), WAL, synchronous=FULL, SQLite checkpointing at a 40 MB log (the node's
// writer's bound), seen by the same reader: what SQLite alone costs behind the same HTTP client.
//
// How "visible" is decided, the same for both sides: every 2 ms the reader takes the rows committed since its last
// look, by the rowid (`row_id > ?`, the table's integer primary key: a B-tree seek, then only the new rows), and a
// PUT is visible when the row with its last id is among them (its rows commit in one transaction). Before 2026-12
// it polled `max(id)`, a scan of the whole table (no index on id): 4 ms a poll at the median and up to 130 ms at
// the end of a run, so the reader sat in the log nearly all the time, holding up the node's log checkpoint, and
// the poll itself added its length to every figure; the raw side inserted synchronously in the bench's own loop,
// so while a commit stalled nothing was sent, and the PUTs due meanwhile were timed from their late send
// (coordinated omission, in the raw side's favour). `send_lag_p99_ms` (how late the loop sent a PUT against its
// due time) and `poll_p99_ms` (one look's length) say whether the bench itself kept up.
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import Database from 'libsql';
import { count, put, sqliteTableDdl, startNode, startRawSqliteServer } from './ingest-common.js';
import { jsonLine, percentile } from './lib/report.js';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 15);
const ROWS_PER_PUT = 100;
const INTERVAL_MS = 10;
const POLL_MS = 2;
/** The share of the aimed rate a run must have acknowledged to count (else it fails). */
const MIN_RATE_SHARE = 0.95;
const TABLE = 'lat';
const HEADERS = { type: 'json', dbms: 'bench', table: TABLE, mode: 'streaming' };

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

interface Paced {
  lat: number[];
  rowsPerS: number;
  /** How late each PUT was sent against its due time (ms). */
  sendLag: number[];
  /** How long each look at the table took (ms). */
  poll: number[];
}

/**
 * PUTs a body to `port` every INTERVAL_MS (paced by the clock) and records when the row with each body's last id
 * becomes visible in the SQLite file `file` (read as the module header says).
 */
async function paced(port: number, file: string): Promise<Paced> {
  const reader = new Database(file);
  // libsql's pluck() still returns an object: raw rows, [row_id, id].
  const fresh = reader.prepare(`SELECT row_id, id FROM ${TABLE} WHERE row_id > ? ORDER BY row_id`).raw(true);
  let lastRowId = Number((reader.prepare(`SELECT max(row_id) FROM ${TABLE}`).raw(true).get() as unknown[])[0] ?? 0);
  const sentAt = new Map<number, number>();
  const lat: number[] = [];
  const sendLag: number[] = [];
  const poll: number[] = [];
  let next = 0;
  let ackedRows = 0;
  let lastAckAt = 0;
  const t0 = performance.now();
  const end = t0 + SECONDS * 1000;
  const poller = setInterval(() => {
    const s = performance.now();
    const rows = fresh.all(lastRowId) as [number, number][];
    const now = performance.now();
    poll.push(now - s);
    for (const [rowId, id] of rows) {
      lastRowId = rowId;
      const at = sentAt.get(id);
      if (at !== undefined) {
        lat.push(now - at);
        sentAt.delete(id);
      }
    }
  }, POLL_MS);
  const sends: Promise<unknown>[] = [];
  try {
    while (performance.now() < end) {
      // Paced by the clock, not by timer count: a late timer sends the PUTs that fell due meanwhile, so the
      // achieved rate stays at the aimed one on a loaded machine (a fixed 10 ms sleep gave ~8k rows/s).
      const due = Math.floor((performance.now() - t0) / INTERVAL_MS) + 1;
      for (let k = 0; next < due * ROWS_PER_PUT && k < 100; k++) {
        const first = next;
        next += ROWS_PER_PUT;
        const now = performance.now();
        sendLag.push(Math.max(0, now - (t0 + (first / ROWS_PER_PUT) * INTERVAL_MS)));
        sentAt.set(first + ROWS_PER_PUT - 1, now);
        sends.push(
          put(port, HEADERS, body(first)).then(() => {
            ackedRows += ROWS_PER_PUT;
            lastAckAt = performance.now();
          }),
        );
      }
      await new Promise((r) => setTimeout(r, INTERVAL_MS / 2));
    }
    await Promise.all(sends);
    // Achieved: rows acknowledged over the time from the first send to the last acknowledgement (not rows sent: the
    // clock-paced loop sends what fell due whatever the node does). A run that fell short of the aimed rate measured
    // another load, so it fails instead of printing a line.
    const rowsPerS = (ackedRows * 1000) / (lastAckAt - t0);
    const aimed = (ROWS_PER_PUT * 1000) / INTERVAL_MS;
    if (rowsPerS < MIN_RATE_SHARE * aimed)
      throw new Error(
        `latency: ${Math.round(rowsPerS)} rows/s acknowledged, under ${MIN_RATE_SHARE} of the aimed ${aimed}: not the load this bench measures`,
      );
    const deadline = Date.now() + 10_000;
    while (sentAt.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    if (sentAt.size > 0) throw new Error(`${sentAt.size} PUTs never became visible`);
    // The first tenth is warm-up.
    const skip = Math.floor(lat.length * 0.1);
    return { lat: lat.slice(skip), rowsPerS, sendLag: sendLag.slice(skip), poll };
  } finally {
    clearInterval(poller);
    reader.close();
  }
}

const node = await startNode('  bench:\n    type: sqlite\n');
const nodeFile = join(node.root, 'data', 'dbms', 'bench.dbms');
let ours: Paced;
let ddl: string[];
try {
  // Warm-up: creates the table and primes every path; not measured.
  await put(node.port, HEADERS, body(-ROWS_PER_PUT));
  while ((await count(node.port, 'bench', TABLE)) < ROWS_PER_PUT) await new Promise((r) => setTimeout(r, 10));
  ours = await paced(node.port, nodeFile);
} finally {
  await node.stop();
}
try {
  ddl = [...sqliteTableDdl(nodeFile, TABLE).ddl];
} finally {
  rmSync(node.root, { recursive: true, force: true });
}

const raw = await startRawSqliteServer(TABLE, ddl);
let theirs: Paced;
try {
  await put(raw.port, HEADERS, body(-ROWS_PER_PUT)); // warm-up, as the node's
  theirs = await paced(raw.port, raw.file);
} finally {
  await raw.stop();
}

// Latency: lower is better, so the ratio here is ours over raw SQLite's (how much the pipeline adds).
jsonLine('latency', pct(ours.lat, 0.99), 'ms p99', pct(theirs.lat, 0.99), {
  baselineIs:
    "raw libsql behind node:http (bench/lib/raw-sqlite-server.ts), the same PUTs from the same client at the same pace, node's table DDL (2 indexes), WAL, synchronous=FULL, 40 MB WAL bound; the same reader polling new rows by rowid every 2 ms",
  p50_ms: pct(ours.lat, 0.5),
  p99_ms: pct(ours.lat, 0.99),
  max_ms: pct(ours.lat, 1),
  raw_p50_ms: pct(theirs.lat, 0.5),
  raw_max_ms: pct(theirs.lat, 1),
  rows_per_s_aimed: (ROWS_PER_PUT * 1000) / INTERVAL_MS,
  rows_per_s: Math.round(ours.rowsPerS),
  rows_per_s_counted: 'acknowledged PUTs, first send to last acknowledgement; a run under 0.95 of the aim fails',
  raw_rows_per_s: Math.round(theirs.rowsPerS),
  send_lag_p99_ms: pct(ours.sendLag, 0.99),
  raw_send_lag_p99_ms: pct(theirs.sendLag, 0.99),
  poll_p99_ms: pct(ours.poll, 0.99),
  raw_poll_p99_ms: pct(theirs.poll, 0.99),
  puts: ours.lat.length,
});
