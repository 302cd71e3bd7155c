// npm run bench -- ingest-edgelake
// The same streaming PUT work to a real EdgeLake 1.4 node and to an edgelake-rt node in one run: 500 PUTs of
// 1,000 unique JSON rows, rows/s from the first PUT until every row is queryable, in two phases: 1 PUT in flight
// (`ingest-edgelake`) and 16 (`ingest-edgelake.c16`; BENCH_CONCURRENCY=1,16), each on a new table; each node is
// alone on the machine while it is measured. Value: edgelake-rt; baseline: EdgeLake; target ratio >= 12
// (issue 14). EdgeLake's method is spec/edgelake-measured.md 2g (its 25.6k rows/s): operator on SQLite, threads = 1,
// streamer, `set buffer threshold where time = 1 second` with the volume at EdgeLake's default 10,000 bytes, so
// every 1,000-row PUT (86 KB) is flushed to a file at once. Both nodes get that same threshold command.
// Needs EDGELAKE_SRC (and the launcher, harness/edgelake.ts); without it, one skip line on stderr and exit 0.
// The ceiling, in the same run: raw libsql fed the same PUTs at the same concurrency into the node's own table DDL
// (bench/lib/raw-sqlite-server.ts, ingest-sqlite's baseline). `raw_libsql_rows_per_s` / EdgeLake's rate is how
// many times EdgeLake any SQLite writer could be on this machine (`ceiling_ratio`): the target is only reachable
// where that ceiling is above it.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { http } from '../harness/test-node.js';
import { edgeLakeSkip, elCmd, startEdgeLake, type EdgeLake } from '../harness/edgelake.js';
import { join } from 'node:path';
import { bodies, count, pool, put, sqliteTableDdl, startNode, startRawSqliteServer } from './ingest-common.js';
import { jsonLine, note, percentile } from './lib/report.js';

const BODIES = Number(process.env['BENCH_BODIES'] ?? 500);
// 1 in flight is the measured doc's method; 16 is ingest-sqlite's load. EdgeLake's rate does not change with
// its clients (spec/edgelake-measured.md 2a-2c), edgelake-rt's does: a durable PUT waits for its journal fsync.
const CONCURRENCIES = (process.env['BENCH_CONCURRENCY'] ?? '1,16').split(',').map(Number);
// The same count(*) poll for both nodes: each poll costs the node under test some CPU, EdgeLake more (Python).
const POLL_MS = 100;
const LAND_TIMEOUT_MS = 300_000;
// EdgeLake's default volume (10,000 bytes) spelled out, so both nodes flush each 86 KB PUT at once.
const THRESHOLD = 'set buffer threshold where time = 1 second and volume = 10000';
const HEADERS = { 'User-Agent': 'AnyLog/1.23', type: 'json', dbms: 'test', mode: 'streaming' };

interface Run {
  rowsPerS: number;
  putRowsPerS: number;
  p50: number;
  p99: number;
}

if (edgeLakeSkip) {
  note(`ingest-edgelake skipped: ${edgeLakeSkip}`);
  process.exit(0);
}

// Each phase its own bodies (timestamps a day apart), and the warm-up one more: no body repeats one EdgeLake has
// seen (it drops a body identical to an earlier one, spec/edgelake-measured.md caveat 1). Both nodes get the same.
const DAY = 86_400_000;
const phases = CONCURRENCIES.map((c, i) => ({
  c,
  table: `readings_c${c}`,
  data: bodies(BODIES, 1000, Date.UTC(2026, 0, 1) + i * DAY),
}));
const warm = bodies(1, 1000, Date.UTC(2025, 0, 1))[0]!;
const total = BODIES * 1000;

/** Times the PUTs of a phase and the wait until `rows(table)` reaches every row. */
async function measure(
  port: number,
  phase: (typeof phases)[number],
  rows: (table: string) => Promise<number>,
  // EdgeLake and edgelake-rt answer a stored PUT with Success; the raw server with {"ok":true}.
  ok = (reply: string) => reply.includes('Success'),
): Promise<Run> {
  const t0 = performance.now();
  const latencies = await pool(
    phase.c,
    phase.data.map((d) => async () => {
      const s = performance.now();
      const r = await put(port, { ...HEADERS, table: phase.table }, d.text);
      if (!ok(r)) throw new Error(`PUT answered ${r.slice(0, 200)}`);
      return performance.now() - s;
    }),
  );
  const acked = (performance.now() - t0) / 1000;
  const n = await landed(() => rows(phase.table), total);
  const secs = (performance.now() - t0) / 1000;
  if (n !== total) throw new Error(`expected ${total} rows, found ${n}`);
  return {
    rowsPerS: total / secs,
    putRowsPerS: total / acked,
    p50: Number(percentile(latencies, 50).toFixed(2)),
    p99: Number(percentile(latencies, 99).toFixed(2)),
  };
}

/** A command by POST (EdgeLake takes `set` commands only by POST; edgelake-rt the same). */
const post = (port: number, command: string) =>
  http(port, 'POST', { 'User-Agent': 'AnyLog/1.23', command, 'content-length': '0' });

/** Polls until `rows()` is at least `want` (bounded); returns the count seen. */
async function landed(rows: () => Promise<number>, want: number): Promise<number> {
  const deadline = Date.now() + LAND_TIMEOUT_MS;
  for (;;) {
    const n = await rows();
    if (n >= want) return n;
    if (Date.now() > deadline) throw new Error(`${n} of ${want} rows queryable within ${LAND_TIMEOUT_MS} ms`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** count(*) on EdgeLake's own database through its REST API; 0 until the operator created the table. */
async function elCount(el: EdgeLake, table: string): Promise<number> {
  const r = await elCmd(el, `sql test format = json "select count(*) as n from ${table}"`);
  if (r.status === 200) {
    const m = /"n"\s*:\s*(\d+)/.exec(r.body);
    if (m) return Number(m[1]);
  }
  // Before the operator's first insert EdgeLake does not know the table (an error reply, or no rows).
  if (/not recogni[sz]ed|no such table|does not exist|Failed to|err_code|"Query"\s*:\s*\[\s*\]/i.test(r.body)) return 0;
  throw new Error(`EdgeLake count(*) of ${table}: ${r.status} ${r.body.slice(0, 300)}`);
}

async function runEdgeLake(): Promise<{ runs: Run[]; commit: string }> {
  const cleanups: (() => void)[] = [];
  try {
    const el = await startEdgeLake({ after: (fn: () => void) => cleanups.push(fn) }, true, 'el-ingest');
    const th = await elCmd(el, THRESHOLD, 'POST');
    if (th.status !== 200) throw new Error(`EdgeLake ${THRESHOLD}: ${th.status} ${th.body}`);
    await put(el.rest, { ...HEADERS, table: 'warm' }, warm.text);
    await landed(() => elCount(el, 'warm'), 1000);
    const runs: Run[] = [];
    for (const p of phases) {
      note(`EdgeLake: ${BODIES} PUTs x 1,000 rows, ${p.c} in flight`);
      runs.push(await measure(el.rest, p, (t) => elCount(el, t)));
    }
    const commit = execFileSync('git', ['rev-parse', '--short=8', 'HEAD'], {
      cwd: process.env['EDGELAKE_SRC']!,
      encoding: 'utf8',
    }).trim();
    return { runs, commit };
  } finally {
    for (const fn of cleanups) fn();
  }
}

async function runOurs(): Promise<{ runs: Run[]; ddl: string[][] }> {
  const node = await startNode('  test:\n    type: sqlite\n');
  try {
    const runs: Run[] = [];
    try {
      const th = await post(node.port, THRESHOLD);
      if (th.status !== 200) throw new Error(`edgelake-rt ${THRESHOLD}: ${th.status} ${th.body}`);
      await put(node.port, { ...HEADERS, table: 'warm' }, warm.text);
      await landed(() => count(node.port, 'test', 'warm'), 1000);
      for (const p of phases) {
        note(`edgelake-rt: ${BODIES} PUTs x 1,000 rows, ${p.c} in flight`);
        runs.push(await measure(node.port, p, (t) => count(node.port, 'test', t)));
      }
    } finally {
      await node.stop();
    }
    // The raw ceiling writes into the same tables as the node made them (columns, types, indexes).
    const file = join(node.root, 'data', 'dbms', 'test.dbms');
    return { runs, ddl: phases.map((p) => [...sqliteTableDdl(file, p.table).ddl]) };
  } finally {
    rmSync(node.root, { recursive: true, force: true });
  }
}

/** The same phases into raw libsql, one server (and one new database) per phase, each on the node's table DDL. */
async function runRaw(ddl: string[][]): Promise<Run[]> {
  const runs: Run[] = [];
  for (const [i, p] of phases.entries()) {
    const raw = await startRawSqliteServer(p.table, ddl[i]!);
    try {
      await put(raw.port, { ...HEADERS, table: p.table }, warm.text);
      await landed(() => rawCount(raw.port), 1000);
      note(`raw libsql: ${BODIES} PUTs x 1,000 rows, ${p.c} in flight`);
      // Its warm-up's 1,000 rows are in the same table.
      runs.push(
        await measure(
          raw.port,
          p,
          async () => (await rawCount(raw.port)) - 1000,
          (r) => r === '{"ok":true}',
        ),
      );
    } finally {
      await raw.stop();
    }
  }
  return runs;
}

/** Rows the raw server has committed (its GET answers its counter). */
async function rawCount(port: number): Promise<number> {
  const r = await http(port, 'GET', {});
  return Number(r.body);
}

// EdgeLake first and stopped before edgelake-rt starts: neither node's idle threads run beside the other's load.
const el = await runEdgeLake();
const rt = await runOurs();
const raw = await runRaw(rt.ddl);
phases.forEach((p, i) => {
  const [ours, theirs, ceiling] = [rt.runs[i]!, el.runs[i]!, raw[i]!];
  jsonLine(p.c === 1 ? 'ingest-edgelake' : `ingest-edgelake.c${p.c}`, ours.rowsPerS, 'rows/s', theirs.rowsPerS, {
    baselineIs: `EdgeLake ${el.commit} (operator threads = 1, SQLite), the same PUTs, ${p.c} in flight, rows/s until queryable`,
    target: 'ratio >= 12',
    rows: total,
    concurrency: p.c,
    threshold: THRESHOLD,
    put_rows_per_s: Math.round(ours.putRowsPerS),
    put_p50_ms: ours.p50,
    put_p99_ms: ours.p99,
    edgelake_put_rows_per_s: Math.round(theirs.putRowsPerS),
    edgelake_put_p50_ms: theirs.p50,
    edgelake_put_p99_ms: theirs.p99,
    raw_libsql_rows_per_s: Math.round(ceiling.rowsPerS),
    ceiling_ratio: Number((ceiling.rowsPerS / theirs.rowsPerS).toFixed(3)),
    of_raw: Number((ours.rowsPerS / ceiling.rowsPerS).toFixed(3)),
  });
});
