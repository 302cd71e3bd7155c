// npm run bench -- ingest-sqlite
// REST PUT (1,000-row bodies, mode = streaming, durable: journal fsync before the reply, SQLite WAL
// synchronous=FULL) until every row is queryable, against the fastest raw libsql insert measured
// here (one `INSERT ... SELECT json_extract(..) FROM json_each(?)` per 5,000 rows, one transaction
// each, WAL, synchronous=FULL) of the same rows in the same run.
import { rmSync } from 'node:fs';
import { bodies, count, pool, put, rawSqliteRowsPerSecond, startNode } from './ingest-common.js';
import { jsonLine, percentile } from './lib/report.js';

const BODIES = Number(process.env['BENCH_BODIES'] ?? 600);
const CONCURRENCY = Number(process.env['BENCH_CONCURRENCY'] ?? 16);

const data = bodies(BODIES);
const node = await startNode('  bench:\n    type: sqlite\n');
try {
  // Warm-up: creates the table and primes every path; not measured.
  await put(node.port, { type: 'json', dbms: 'bench', table: 'warm', mode: 'streaming' }, data[0]!.text);
  const total = BODIES * 1000;
  const t0 = performance.now();
  const latencies = await pool(
    CONCURRENCY,
    data.map((d) => async () => {
      const s = performance.now();
      await put(node.port, { type: 'json', dbms: 'bench', table: 'readings', mode: 'streaming' }, d.text);
      return performance.now() - s;
    }),
  );
  const acked = (performance.now() - t0) / 1000;
  let n = 0;
  // Bounded: an operator that could not start (a boot under heavy load) must fail the run, not hang it.
  const deadline = Date.now() + 300_000;
  while ((n = await count(node.port, 'bench', 'readings')) < total) {
    if (Date.now() > deadline) throw new Error(`${n} of ${total} rows landed within 300 s`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const secs = (performance.now() - t0) / 1000;
  if (n !== total) throw new Error(`expected ${total} rows, found ${n}`);
  const value = total / secs;
  const baseline = rawSqliteRowsPerSecond(
    data.map((d) => d.text),
    1000,
  );
  jsonLine('ingest-sqlite', value, 'rows/s', baseline, {
    rows: total,
    put_rows_per_s: Math.round(total / acked),
    put_p50_ms: Number(percentile(latencies, 50).toFixed(2)),
    put_p99_ms: Number(percentile(latencies, 99).toFixed(2)),
    concurrency: CONCURRENCY,
  });
} finally {
  await node.stop();
  rmSync(node.root, { recursive: true, force: true });
}
