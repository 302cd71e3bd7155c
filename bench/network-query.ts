// Network query latency and consolidated rows/s: BENCH_ROWS (default 1M) rows of one table spread over three
// operators (child processes, the compiled CLI), queried by a query node in this process with `run client`
// (parse, plan, send to the three, each operator rewrites and runs its part, consolidation in SQLite in memory).
// Baseline, measured in the same run: the same query on one SQLite database holding all rows, in this process.
//   network-query-agg     `count, avg, min, max` over all rows: ms per query (lower is better; ratio = ms/baseline ms)
//   network-query-group   group by device (20 groups) with count and avg: ms per query
//   network-query-rows    rows shipped and consolidated (`where row_id % 10 = 0`, BENCH_ROWS/10 rows): rows/s
// EdgeLake's query node on the same data is not part of this run (it needs EDGELAKE_SRC and three EdgeLake
// operators; see test/interop/network-query-interop.test.ts for the pairing).
import { join } from 'node:path';
import Database from 'libsql';
import { jsonLine, median, note } from './lib/report.js';
import { startLocal, startPeer, type PeerProcess } from './tcp-common.js';

const ROWS = Number(process.env['BENCH_ROWS'] ?? 1_000_000);
const RUNS = Number(process.env['BENCH_RUNS'] ?? 5);

interface Db {
  exec(sql: string): void;
  prepare(sql: string): { raw(on?: boolean): { all(...a: unknown[]): unknown[][] }; run(...a: unknown[]): unknown };
  close(): void;
}

const CREATE =
  'create table readings (row_id integer primary key, insert_timestamp timestamp, tsd_name char(3), tsd_id int, device varchar, value float, timestamp timestamp)';

/** Rows `from`..`to` (exclusive) into a database, by one recursive CTE (fast, deterministic). */
function fill(db: Db, from: number, to: number): void {
  db.exec(CREATE);
  db.exec(
    `insert into readings (row_id, insert_timestamp, tsd_name, tsd_id, device, value, timestamp)
     with recursive s(i) as (select ${from} union all select i + 1 from s where i + 1 < ${to})
     select i, '2025-01-01 00:00:00', '0', 0, 'd' || (i % 20), (i % 1000) / 4.0,
            datetime(1735689600 + i, 'unixepoch') from s`,
  );
}

async function timed(fn: () => Promise<unknown> | unknown): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

async function main(): Promise<void> {
  const ops: PeerProcess[] = [];
  const dbmsYaml = 'dbms:\n  test:\n    type: sqlite\n';
  for (let i = 0; i < 3; i++) ops.push(await startPeer(`op${i}`, dbmsYaml));
  const qn = await startLocal('query');
  const one = new Database(':memory:') as unknown as Db;
  try {
    note(`filling ${ROWS} rows over 3 operators`);
    const cut = [0, Math.floor(ROWS / 3), Math.floor((2 * ROWS) / 3), ROWS];
    ops.forEach((op, i) => {
      const db = new Database(join(op.root, 'data', 'dbms', 'test.dbms')) as unknown as Db;
      fill(db, cut[i]!, cut[i + 1]!);
      db.close();
    });
    fill(one, 0, ROWS);
    const dest = `(${ops.map((o) => o.addr).join(', ')})`;
    const cmd = (sql: string): Promise<string> =>
      qn.running.node.command(`run client ${dest} sql test format = json "${sql}"`, { source: 'bench' });
    const queries = {
      agg: 'select count(*), avg(value), min(value), max(value) from readings',
      group: 'select device, count(*), avg(value) from readings group by device order by device',
      rows: 'select row_id, device, value from readings where row_id % 10 = 0',
    };
    // Answers must agree before anything is timed.
    for (const sql of Object.values(queries)) {
      const got = (JSON.parse(await cmd(sql)) as { Query: unknown[] }).Query.length;
      const want = one.prepare(sql).raw(true).all().length;
      if (got !== want) throw new Error(`${sql}: ${got} rows over the network, ${want} in one database`);
    }
    for (const [name, sql] of Object.entries(queries)) {
      await cmd(sql); // warm-up
      const net: number[] = [];
      const base: number[] = [];
      for (let r = 0; r < RUNS; r++) {
        net.push(await timed(() => cmd(sql)));
        base.push(await timed(() => one.prepare(sql).raw(true).all()));
      }
      const ms = median(net);
      const baseMs = median(base);
      if (name === 'rows') {
        const n = ROWS / 10;
        jsonLine('network-query-rows', (n * 1000) / ms, 'rows/s', (n * 1000) / baseMs, {
          rows: n,
          total_rows: ROWS,
          operators: 3,
          ms: Math.round(ms),
          note: 'rows shipped from 3 operators and consolidated; baseline: the same select on one database',
        });
      } else {
        jsonLine(`network-query-${name}`, ms, 'ms', baseMs, {
          total_rows: ROWS,
          operators: 3,
          note: 'latency, lower is better; baseline: the same query on one database holding all rows',
        });
      }
    }
  } finally {
    one.close();
    await qn.stop();
    for (const op of ops) await op.stop();
  }
}

await main();
