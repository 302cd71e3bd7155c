// npm run bench -- ingest-pg
// REST PUT (1,000-row bodies, streaming, durable journal) into PostgreSQL until every row is
// queryable, against raw COPY FROM STDIN (pg-copy-streams) of the same rows in the same run, into a
// table LIKE the node's (same columns, defaults and indexes), 5,000 rows per transaction; target ratio
// >= 0.6 (issue 14). Two other raw methods are printed beside it (json_to_recordset INSERT...SELECT,
// multi-row VALUES): COPY is the fastest here and what the adapter uses (storage/dbms/pg-copy.ts).
import { rmSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { bodies, count, pool, put, startNode, type Row } from './ingest-common.js';
import { jsonLine, note } from './lib/report.js';

const BODIES = Number(process.env['BENCH_BODIES'] ?? 300);
const CONCURRENCY = Number(process.env['BENCH_CONCURRENCY'] ?? 16);
const DB = `elrt_bench_${process.pid}`;
const conn = { host: '127.0.0.1', port: 5432, user: process.env['PGUSER'] ?? 'postgres' };

/**
 * The raw methods on a table made `LIKE readings INCLUDING ALL` (the node's own table: columns, defaults, primary key
 * and its two indexes), from the same JSON texts (parsed inside the timed loop, as the node must), 5 bodies per
 * transaction on one connection, the server's default durability (synchronous_commit on), the node stopped.
 * Each writes the node's system columns (insert_timestamp, tsd_name, tsd_id) too.
 */
async function raw(texts: readonly string[]): Promise<{ copy: number; jsonRecordset: number; values: number }> {
  const c = new pg.Client({ ...conn, database: DB });
  await c.connect();
  const cols = '(insert_timestamp, tsd_name, tsd_id, timestamp, device, value, count, ok)';
  const time = async (fn: (group: readonly string[]) => Promise<void>): Promise<number> => {
    await c.query('DROP TABLE IF EXISTS raw_t');
    await c.query('CREATE TABLE raw_t (LIKE readings INCLUDING ALL)');
    const t0 = performance.now();
    for (let i = 0; i < texts.length; i += 5) {
      await c.query('BEGIN');
      await fn(texts.slice(i, i + 5));
      await c.query('COMMIT');
    }
    const rate = (texts.length * 1000) / ((performance.now() - t0) / 1000);
    const n = Number((await c.query<{ n: string }>('SELECT count(*) AS n FROM raw_t')).rows[0]!.n);
    if (n !== texts.length * 1000) throw new Error(`raw baseline wrote ${n} rows, not ${texts.length * 1000}`);
    return rate;
  };
  const copy = await time(async (g) => {
    const now = new Date().toISOString();
    const lines = g
      .flatMap((t) =>
        (JSON.parse(t) as Row[]).map(
          (r) => `${now}\t0\t0\t${r.timestamp}\t${r.device}\t${r.value}\t${r.count}\t${r.ok ? 't' : 'f'}\n`,
        ),
      )
      .join('');
    await pipeline(Readable.from([lines]), c.query(copyStreams.from(`COPY raw_t ${cols} FROM STDIN`)));
  });
  const jsonRecordset = await time(async (g) => {
    await c.query(
      `INSERT INTO raw_t ${cols} SELECT now(), '0', 0, x.timestamp, x.device, x.value, x.count, x.ok FROM json_to_recordset($1::json) AS x(timestamp timestamp, device text, value numeric, count bigint, ok boolean)`,
      [`[${g.map((t) => t.slice(1, -1)).join(',')}]`],
    );
  });
  const values = await time(async (g) => {
    for (const t of g) {
      const args: unknown[] = [];
      const ph = (JSON.parse(t) as Row[]).map((r, i) => {
        args.push(r.timestamp, r.device, r.value, r.count, r.ok);
        return `(now(), '0', 0, $${i * 5 + 1},$${i * 5 + 2},$${i * 5 + 3},$${i * 5 + 4},$${i * 5 + 5})`;
      });
      await c.query(`INSERT INTO raw_t ${cols} VALUES ${ph.join(',')}`, args);
    }
  });
  await c.query('DROP TABLE raw_t');
  await c.end();
  return { copy, jsonRecordset, values };
}

const admin = new pg.Client({ ...conn, database: 'test' });
try {
  await admin.connect();
} catch (err) {
  // On stderr: a line on stdout would be taken for a figure by `npm run bench -- all`.
  note(`ingest-pg skipped: PostgreSQL at 127.0.0.1:5432 not reachable: ${(err as Error).message}`);
  process.exit(0);
}
await admin.query(`DROP DATABASE IF EXISTS ${DB}`);
await admin.query(`CREATE DATABASE ${DB}`);
const data = bodies(BODIES);
const total = BODIES * 1000;
const node = await startNode(
  `  pgb:\n    type: psql\n    ip: 127.0.0.1\n    port: 5432\n    user: ${conn.user}\n    database: ${DB}\n`,
);
let value = 0;
try {
  await put(node.port, { type: 'json', dbms: 'pgb', table: 'warm', mode: 'streaming' }, data[0]!.text);
  const t0 = performance.now();
  await pool(
    CONCURRENCY,
    data.map((d) => () => put(node.port, { type: 'json', dbms: 'pgb', table: 'readings', mode: 'streaming' }, d.text)),
  );
  let n = 0;
  const deadline = Date.now() + 300_000;
  while ((n = await count(node.port, 'pgb', 'readings')) < total) {
    if (Date.now() > deadline) throw new Error(`${n} of ${total} rows landed within 300 s`);
    await new Promise((r) => setTimeout(r, 25));
  }
  value = total / ((performance.now() - t0) / 1000);
  if (n !== total) throw new Error(`expected ${total} rows, found ${n}`);
} finally {
  await node.stop();
  rmSync(node.root, { recursive: true, force: true });
}
try {
  // The table the node made, as PostgreSQL describes it: what the raw methods write into (LIKE ... INCLUDING ALL).
  const c = new pg.Client({ ...conn, database: DB });
  await c.connect();
  const indexes = (
    await c.query<{ indexdef: string }>("SELECT indexdef FROM pg_indexes WHERE tablename = 'readings' ORDER BY 1")
  ).rows.map((r) => r.indexdef.replace(/^CREATE (UNIQUE )?INDEX \S+ ON \S+ USING /, '$1'));
  await c.end();
  const r = await raw(data.map((d) => d.text));
  jsonLine('ingest-pg', value, 'rows/s', r.copy, {
    baselineIs:
      "raw COPY FROM STDIN (pg-copy-streams) of the same JSON rows, 5,000 per transaction, one connection, into a table LIKE the node's (same columns and indexes), same server and durability, node stopped",
    target: 'ratio >= 0.6',
    rows: total,
    concurrency: CONCURRENCY,
    table_indexes: indexes,
    raw_copy: Math.round(r.copy),
    raw_json_to_recordset: Math.round(r.jsonRecordset),
    raw_multi_values: Math.round(r.values),
  });
} finally {
  await admin.query(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
  await admin.end();
}
