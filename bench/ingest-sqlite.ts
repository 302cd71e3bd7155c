// npm run bench -- ingest-sqlite
// REST PUT (1,000-row bodies, mode = streaming, durable: journal fsync before the reply, SQLite WAL
// synchronous=FULL) until every row is queryable, against the fastest raw libsql insert measured
// here (one `INSERT ... SELECT json_extract(..) FROM json_each(?)` per 5,000 rows, one transaction
// each, WAL, synchronous=FULL) of the same rows in the same run.
import { availableParallelism } from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import Database from 'libsql';
import { bodies, count, gitSha, pool, put, startNode } from './ingest-common.js';

const BODIES = Number(process.env['BENCH_BODIES'] ?? 600);
const CONCURRENCY = Number(process.env['BENCH_CONCURRENCY'] ?? 16);

function rawBaseline(data: { text: string }[]): number {
  const dir = mkdtempSync(join(tmpdir(), 'elrt-raw-'));
  const db = new Database(join(dir, 'raw.db'));
  db.exec('PRAGMA journal_mode=WAL');
  db.exec('PRAGMA synchronous=FULL');
  db.exec('CREATE TABLE t(row_id integer primary key autoincrement, insert_timestamp timestamp, tsd_name char(3), tsd_id int, timestamp timestamp, device varchar, value decimal, count int, ok boolean)');
  const st = db.prepare(
    `INSERT INTO t(insert_timestamp, tsd_name, tsd_id, timestamp, device, value, count, ok) SELECT ?, '0', 0, json_extract(value,'$.timestamp'), json_extract(value,'$.device'), json_extract(value,'$.value'), json_extract(value,'$.count'), json_extract(value,'$.ok') FROM json_each(?)`,
  );
  const tx = db.transaction((text: string) => st.run(new Date().toISOString(), text));
  const t0 = performance.now();
  for (let i = 0; i < data.length; i += 5) {
    const group = data.slice(i, i + 5).map((d) => d.text.slice(1, -1));
    tx(`[${group.join(',')}]`);
  }
  const secs = (performance.now() - t0) / 1000;
  db.close();
  rmSync(dir, { recursive: true, force: true });
  return (data.length * 1000) / secs;
}

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
  while ((n = await count(node.port, 'bench', 'readings')) < total) await new Promise((r) => setTimeout(r, 20));
  const secs = (performance.now() - t0) / 1000;
  if (n !== total) throw new Error(`expected ${total} rows, found ${n}`);
  const value = total / secs;
  const baseline = rawBaseline(data);
  latencies.sort((a, b) => a - b);
  const line = {
    bench: 'ingest-sqlite',
    value: Math.round(value),
    unit: 'rows/s',
    baseline: Math.round(baseline),
    ratio: Number((value / baseline).toFixed(3)),
    cores: availableParallelism(),
    node: process.version,
    git: gitSha(),
    rows: total,
    put_rows_per_s: Math.round(total / acked),
    put_p50_ms: Number(latencies[Math.floor(latencies.length * 0.5)]!.toFixed(2)),
    put_p99_ms: Number(latencies[Math.floor(latencies.length * 0.99)]!.toFixed(2)),
    concurrency: CONCURRENCY,
  };
  process.stdout.write(JSON.stringify(line) + '\n');
} finally {
  await node.stop();
  rmSync(node.root, { recursive: true, force: true });
}
