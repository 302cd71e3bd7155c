// npm run bench -- ingest-sqlite
// REST PUT (1,000-row bodies, mode = streaming, durable: journal fsync before the reply, SQLite WAL
// synchronous=FULL) until every row is queryable, against raw libsql fed the same way in the same run
// (bench/lib/raw-sqlite-server.ts): the same bodies from the same client at the same concurrency, into a table
// made by the node's own DDL (its columns and its two indexes, timestamp and insert_timestamp, as EdgeLake
// makes them: suggest_create_table.py create_table_sql), WAL, synchronous=FULL, until every row is committed.
// Why that is the fair baseline: both sides pay the load generator (about a core of the 2) and the HTTP
// receive, both commit every row durably before the clock stops, both maintain the same indexes, both commit
// at most 50,000 rows per transaction; what the ratio then measures is what the node adds (validation, the
// journal, the rings, exactly-once positions, its log checkpoints).
// `raw_alone_rows_per_s` is the same insert with the machine to itself (no HTTP, no load generator): the
// earlier baseline's method, on the node's table, for reference.
// `node_cpu_s` / `raw_cpu_s`: the CPU seconds (all threads, /proc/<pid>/stat) each side's process used from the
// first timed PUT until its last row was committed; per row they move far less with the machine's load than rates.
// When every row is committed: both sides are asked the same way, by the same reader in this process (`landed`):
// max(row_id) on the side's SQLite file every 20 ms. Before, the node was asked through its own `sql` command (a
// REST request, its main thread, a query worker, two fresh connections and the sandbox's EXPLAIN: about 0.5 s of
// the node's CPU a run, 200 polls) while the raw server answered from a counter in memory.
import { rmSync } from 'node:fs';
import Database from 'libsql';
import { join } from 'node:path';
import {
  bodies,
  count,
  cpuSeconds,
  sqliteTableDdl,
  pool,
  put,
  rawSqliteRowsPerSecond,
  startNode,
  startRawSqliteServer,
} from './ingest-common.js';
import { jsonLine, percentile } from './lib/report.js';

const BODIES = Number(process.env['BENCH_BODIES'] ?? 600);
const CONCURRENCY = Number(process.env['BENCH_CONCURRENCY'] ?? 16);
const HEADERS = { type: 'json', dbms: 'bench', table: 'readings', mode: 'streaming' };

const data = bodies(BODIES);
const total = BODIES * 1000;

/**
 * Waits until `table` in the SQLite `file` has a row with row_id >= `want` (rows get ids from 1 up: one writer,
 * autoincrement), polling every 20 ms on one read-only connection of this process: the same reader for both sides.
 * A side that has not made the table (or the file) yet has none. Bounded: a side that cannot finish fails the run.
 */
async function landed(side: string, file: string, table: string, want: number): Promise<void> {
  const deadline = Date.now() + 300_000;
  let db: Database.Database | undefined;
  let n = 0;
  try {
    for (;;) {
      try {
        db ??= new Database(file, { readonly: true, fileMustExist: true });
        // Stepped to its end, so no read transaction stays open between polls (the writer's checkpoints wait for one).
        n = Number((db.prepare(`SELECT max(row_id) FROM ${table}`).raw(true).all() as [number | null][])[0]?.[0] ?? 0);
      } catch (err) {
        if (!/no such table|unable to open|SQLITE_CANTOPEN/i.test((err as Error).message)) throw err;
      }
      if (n >= want) return;
      if (Date.now() > deadline) throw new Error(`${side}: ${n} of ${want} rows committed within 300 s`);
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    db?.close();
  }
}

/** All bodies PUT to `port`, CONCURRENCY in flight: the latencies (ms) and when they started. */
async function load(port: number): Promise<{ latencies: number[]; t0: number }> {
  const t0 = performance.now();
  const latencies = await pool(
    CONCURRENCY,
    data.map((d) => async () => {
      const s = performance.now();
      await put(port, HEADERS, d.text);
      return performance.now() - s;
    }),
  );
  return { latencies, t0 };
}

const node = await startNode('  bench:\n    type: sqlite\n');
let ddl: string[];
let value: number;
let extra: Record<string, unknown>;
try {
  // Warm-up: opens the dbms and primes every path; not measured. The clock starts once its rows are committed, as on
  // the raw side: REST answers while the operator still starts (its modules, the journal, the dbms), and the first
  // ~0.5-1 s of the load was the operator's start (the warm-up's rows were applied after the load's first rows).
  // The load's table is new to the node, as before: its creation and the first transaction's inference are measured.
  await put(node.port, { ...HEADERS, table: 'warm' }, data[0]!.text);
  await landed('node', join(node.root, 'data', 'dbms', 'bench.dbms'), 'warm', 1000);
  const cpu0 = cpuSeconds(node.proc.pid!);
  const { latencies, t0 } = await load(node.port);
  const acked = (performance.now() - t0) / 1000;
  let n = 0;
  // Polled by max(row_id), not count(*): a count of the growing table every 20 ms kept a reader in the WAL nearly
  // all the time, which the writer's log checkpoints wait for (sqlite-wal.ts). The warm-up went to another table.
  await landed('node', join(node.root, 'data', 'dbms', 'bench.dbms'), 'readings', total);
  const secs = (performance.now() - t0) / 1000;
  const nodeCpu = cpuSeconds(node.proc.pid!) - cpu0;
  // Exactly once: as many rows as were sent, none twice.
  if ((n = await count(node.port, 'bench', 'readings')) !== total)
    throw new Error(`expected ${total} rows, found ${n}`);
  value = total / secs;
  extra = {
    put_rows_per_s: Math.round(total / acked),
    put_p50_ms: Number(percentile(latencies, 50).toFixed(2)),
    put_p99_ms: Number(percentile(latencies, 99).toFixed(2)),
    node_cpu_s: Number(nodeCpu.toFixed(2)),
    node_cpu_us_per_row: Number(((nodeCpu * 1e6) / total).toFixed(2)),
  };
} finally {
  await node.stop();
}
try {
  ddl = [...sqliteTableDdl(join(node.root, 'data', 'dbms', 'bench.dbms'), 'readings').ddl];
} finally {
  rmSync(node.root, { recursive: true, force: true });
}

const raw = await startRawSqliteServer('readings', ddl);
let baseline: number;
let rawCpu: number;
try {
  await put(raw.port, HEADERS, data[0]!.text); // warm-up, as the node's: 1,000 rows more in the table
  await landed('raw', raw.file, 'readings', 1000);
  const cpu0 = cpuSeconds(raw.pid);
  const { t0 } = await load(raw.port);
  // Its warm-up's 1,000 rows are in the same table.
  await landed('raw', raw.file, 'readings', total + 1000);
  baseline = total / ((performance.now() - t0) / 1000);
  rawCpu = cpuSeconds(raw.pid) - cpu0;
} finally {
  await raw.stop();
}
const alone = rawSqliteRowsPerSecond(
  data.map((d) => d.text),
  1000,
  5,
  { name: 'readings', ddl },
);
jsonLine('ingest-sqlite', value, 'rows/s', baseline, {
  baselineIs:
    "raw libsql behind node:http, same PUT bodies from the same client and concurrency, node's table DDL (2 indexes), WAL, synchronous=FULL, 40 MB WAL bound, <= 50k rows per commit, until all committed",
  rows: total,
  ...extra,
  raw_cpu_s: Number(rawCpu.toFixed(2)),
  raw_cpu_us_per_row: Number(((rawCpu * 1e6) / total).toFixed(2)),
  raw_alone_rows_per_s: Math.round(alone),
  indexes: ddl.length - 1,
  concurrency: CONCURRENCY,
});
