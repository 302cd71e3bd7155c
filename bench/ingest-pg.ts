// npm run bench -- ingest-pg
// REST PUT (1,000-row bodies, streaming, durable journal) into PostgreSQL until every row is
// queryable, against the fastest raw `pg` insert measured here of the same rows in the same run.
// Raw methods tried (5,000 rows per transaction): one json_to_recordset INSERT...SELECT (fastest
// here, and what the adapter uses), COPY FROM STDIN (pg-copy-streams), multi-row VALUES.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { bodies, count, pool, put, startNode, type Row } from './ingest-common.js';
import { jsonLine } from './lib/report.js';

const BODIES = Number(process.env['BENCH_BODIES'] ?? 300);
const CONCURRENCY = Number(process.env['BENCH_CONCURRENCY'] ?? 16);
const DB = `elrt_bench_${process.pid}`;
const conn = { host: '127.0.0.1', port: 5432, user: process.env['PGUSER'] ?? 'postgres' };

async function raw(
  data: { rows: Row[]; text: string }[],
): Promise<{ jsonRecordset: number; copy: number; values: number }> {
  const c = new pg.Client({ ...conn, database: DB });
  await c.connect();
  const reset = async (): Promise<void> => {
    await c.query('DROP TABLE IF EXISTS raw_t');
    await c.query(
      'CREATE TABLE raw_t (row_id bigserial primary key, insert_timestamp timestamp, tsd_name char(3), tsd_id int, timestamp timestamp, device varchar, value numeric, count bigint, ok boolean)',
    );
  };
  const time = async (fn: (group: { rows: Row[]; text: string }[]) => Promise<void>): Promise<number> => {
    await reset();
    const t0 = performance.now();
    for (let i = 0; i < data.length; i += 5) {
      await c.query('BEGIN');
      await fn(data.slice(i, i + 5));
      await c.query('COMMIT');
    }
    return (data.length * 1000) / ((performance.now() - t0) / 1000);
  };
  const jsonRecordset = await time(async (g) => {
    const text = `[${g.map((d) => d.text.slice(1, -1)).join(',')}]`;
    await c.query(
      `INSERT INTO raw_t (insert_timestamp, tsd_name, tsd_id, timestamp, device, value, count, ok) SELECT now(), '0', 0, x.timestamp, x.device, x.value, x.count, x.ok FROM json_to_recordset($1::json) AS x(timestamp timestamptz, device text, value numeric, count bigint, ok boolean)`,
      [text],
    );
  });
  const copy = await time(async (g) => {
    const lines = g
      .flatMap((d) => d.rows.map((r) => `${r.timestamp}\t${r.device}\t${r.value}\t${r.count}\t${r.ok}\n`))
      .join('');
    await pipeline(
      Readable.from([lines]),
      c.query(copyStreams.from('COPY raw_t (timestamp, device, value, count, ok) FROM STDIN')),
    );
  });
  const values = await time(async (g) => {
    for (const d of g) {
      const args: unknown[] = [];
      const ph = d.rows.map((r, i) => {
        args.push(r.timestamp, r.device, r.value, r.count, r.ok);
        return `($${i * 5 + 1},$${i * 5 + 2},$${i * 5 + 3},$${i * 5 + 4},$${i * 5 + 5})`;
      });
      await c.query(`INSERT INTO raw_t (timestamp, device, value, count, ok) VALUES ${ph.join(',')}`, args);
    }
  });
  await c.end();
  return { jsonRecordset, copy, values };
}

const admin = new pg.Client({ ...conn, database: 'test' });
try {
  await admin.connect();
} catch (err) {
  process.stdout.write(
    JSON.stringify({
      bench: 'ingest-pg',
      skipped: `PostgreSQL at 127.0.0.1:5432 not reachable: ${(err as Error).message}`,
    }) + '\n',
  );
  process.exit(0);
}
await admin.query(`DROP DATABASE IF EXISTS ${DB}`);
await admin.query(`CREATE DATABASE ${DB}`);
const data = bodies(BODIES);
const node = await startNode(
  `  pgb:\n    type: psql\n    ip: 127.0.0.1\n    port: 5432\n    user: ${conn.user}\n    database: ${DB}\n`,
);
try {
  await put(node.port, { type: 'json', dbms: 'pgb', table: 'warm', mode: 'streaming' }, data[0]!.text);
  const total = BODIES * 1000;
  const t0 = performance.now();
  await pool(
    CONCURRENCY,
    data.map((d) => () => put(node.port, { type: 'json', dbms: 'pgb', table: 'readings', mode: 'streaming' }, d.text)),
  );
  let n = 0;
  while ((n = await count(node.port, 'pgb', 'readings')) < total) await new Promise((r) => setTimeout(r, 25));
  const value = total / ((performance.now() - t0) / 1000);
  if (n !== total) throw new Error(`expected ${total} rows, found ${n}`);
  const r = await raw(data);
  const baseline = Math.max(r.jsonRecordset, r.copy, r.values);
  jsonLine('ingest-pg', value, 'rows/s', baseline, {
    rows: total,
    raw_json_to_recordset: Math.round(r.jsonRecordset),
    raw_copy: Math.round(r.copy),
    raw_multi_values: Math.round(r.values),
  });
} finally {
  await node.stop();
  await admin.query(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
  await admin.end();
}
