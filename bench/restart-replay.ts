// npm run bench -- restart-replay
// Time from a restart after kill -9 until every acknowledged row is queryable, for a table of BENCH_TABLE_ROWS
// (default 1M) rows and, as the baseline in the same run, a table of BENCH_SMALL_ROWS (10k), each with the same
// unapplied journal tail of BENCH_TAIL_ROWS (50k): rows acknowledged while the operator was stopped
// (`exit operator`), so the tail is exactly known. The ratio is big / small: about 1 when the restart depends on
// the journal's unapplied tail and not on the table's size (issue 14, "Restart"). The node runs from dist/ in a
// child process (REST, streamer, operator, SQLite WAL, synchronous=FULL).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, bodies, count, freePort, get, pool, put } from './ingest-common.js';
import { ensureBuilt } from './lib/build.js';
import { jsonLine, note } from './lib/report.js';

const TABLE_ROWS = Number(process.env['BENCH_TABLE_ROWS'] ?? 1_000_000);
const SMALL_ROWS = Number(process.env['BENCH_SMALL_ROWS'] ?? 10_000);
const TAIL_ROWS = Number(process.env['BENCH_TAIL_ROWS'] ?? 50_000);
const H = { type: 'json', dbms: 'bench', table: 'rr', mode: 'streaming' };

function spawnNode(yaml: string): ChildProcess {
  return spawn(process.execPath, [CLI, 'start', yaml], { stdio: ['ignore', 'ignore', 'inherit'] });
}

async function waitUp(port: number, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      await get(port, 'get status');
      return;
    } catch (err) {
      if (Date.now() > end) throw err;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

function post(port: number, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', headers: { command } }, (res) => {
      let data = '';
      res.setEncoding('utf8').on('data', (c: string) => (data += c));
      res.on('end', () =>
        res.statusCode === 200 ? resolve(data) : reject(new Error(`POST ${res.statusCode}: ${data}`)),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

/** PUTs `rows` rows (1,000 per body, 16 in flight) starting at row `from`; resolves when all are acknowledged. */
async function fill(port: number, from: number, rows: number): Promise<void> {
  const n = Math.ceil(rows / 1000);
  await pool(
    16,
    Array.from(
      { length: n },
      (_, b) => () => put(port, H, bodies(1, 1000, Date.UTC(2026, 0, 1) + from + b * 1000)[0]!.text),
    ),
  );
}

/** Rows above the first `after` (row_id is SQLite's rowid, assigned in insert order). */
async function tailRows(port: number, after: number): Promise<number> {
  try {
    const r = await get(port, `sql bench format = json "select count(*) as n from rr where row_id > ${after}"`);
    return Number((JSON.parse(r) as { Query: { n: number }[] }).Query[0]?.n ?? 0);
  } catch (err) {
    if (/no such table|not connected|not open/i.test((err as Error).message)) return 0;
    throw err;
  }
}

async function scenario(tableRows: number): Promise<{ startMs: number; backMs: number }> {
  ensureBuilt();
  const root = mkdtempSync(join(tmpdir(), 'elrt-rr-'));
  const port = await freePort();
  const yaml = join(root, 'node.yaml');
  writeFileSync(
    yaml,
    `node:\n  name: rr\n  root: ${root}\n  log_level: warn\ndbms:\n  bench:\n    type: sqlite\nservices:\n` +
      `  rest_server:\n    internal_ip: 127.0.0.1\n    internal_port: ${port}\n  streamer: {}\n  operator: {}\n`,
  );
  let proc = spawnNode(yaml);
  try {
    await waitUp(port);
    note(`restart-replay: filling ${tableRows} rows`);
    await fill(port, 0, tableRows);
    while ((await count(port, 'bench', 'rr')) < tableRows) await new Promise((r) => setTimeout(r, 200));
    await post(port, 'exit operator');
    note(`restart-replay: ${TAIL_ROWS} rows acknowledged with the operator stopped, then kill -9`);
    await fill(port, tableRows, TAIL_ROWS);
    const total = tableRows + TAIL_ROWS;
    if ((await count(port, 'bench', 'rr')) !== tableRows) throw new Error('the tail landed with the operator stopped');
    await new Promise<void>((r) => {
      proc.once('exit', () => r());
      proc.kill('SIGKILL');
    });
    const t0 = performance.now();
    proc = spawnNode(yaml);
    await waitUp(port);
    const startMs = performance.now() - t0;
    // Polled by row_id (the rowid: a range read), not count(*), whose full scan would grow with the table and be
    // measured as restart time; the full count is checked once at the end.
    const end = Date.now() + 120_000;
    let n = 0;
    while ((n = await tailRows(port, tableRows)) < TAIL_ROWS) {
      if (Date.now() > end) throw new Error(`${n} of ${TAIL_ROWS} tail rows back after 120 s`);
      await new Promise((r) => setTimeout(r, 25));
    }
    const backMs = performance.now() - t0;
    const all = await count(port, 'bench', 'rr');
    if (all !== total) throw new Error(`${all} rows after the restart, expected ${total}`);
    return { startMs, backMs };
  } finally {
    await new Promise<void>((r) => {
      if (proc.exitCode !== null || proc.signalCode !== null) return r();
      proc.once('exit', () => r());
      proc.kill('SIGTERM');
    });
    rmSync(root, { recursive: true, force: true });
  }
}

const small = await scenario(SMALL_ROWS);
note(
  `restart-replay: small table: start ${Math.round(small.startMs)} ms, all rows back ${Math.round(small.backMs)} ms`,
);
const big = await scenario(TABLE_ROWS);
jsonLine('restart-replay', big.backMs, 'ms', small.backMs, {
  baselineIs: `the same restart with a ${SMALL_ROWS}-row table and the same tail`,
  note: 'lower is better; ratio = big table / small table (about 1: depends on the tail, not the table)',
  table_rows: TABLE_ROWS,
  tail_rows: TAIL_ROWS,
  start_ms: Math.round(big.startMs),
  small_start_ms: Math.round(small.startMs),
});
