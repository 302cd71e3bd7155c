// The restart-replay scenario (bench/restart-replay.ts, bench/restart-replay-25m.ts): a node (dist CLI in a child
// process: REST, streamer, operator, SQLite WAL, synchronous=FULL) with a table of `tableRows` rows gets an
// unapplied journal tail of `tailRows` rows (acknowledged while the operator was stopped with `exit operator`, so
// the tail is exactly known), is killed with SIGKILL and started again; measured: the time from the start to the
// REST port answering, and to every acknowledged row being queryable.
// The table is filled through REST PUTs up to PUT_FILL_MAX rows; a bigger one gets its first rows through PUTs
// (the node creates the table and its indexes) and the rest straight into the SQLite file while the node is
// stopped, in transactions of FILL_CHUNK rows (25M rows through PUTs would take ~10 minutes per round here;
// the restart that is measured does not know how the rows got there). The file is checkpointed and its WAL
// truncated after the direct fill, as a node's own checkpoints leave it.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'libsql';
import { CLI, bodies, count, freePort, get, pool, put } from '../ingest-common.js';
import { ensureBuilt } from './build.js';
import { jsonLine, note } from './report.js';
import { readWalIndex, validWalMb } from '../../harness/wal-index.js';

const H = { type: 'json', dbms: 'bench', table: 'rr', mode: 'streaming' };
const PUT_FILL_MAX = 2_000_000;
const FILL_CHUNK = 1_000_000;

export interface RestartFigures {
  startMs: number;
  backMs: number;
  /** The database file's size when the node was killed (MB). */
  dbMb: number;
  /** Its write-ahead log's file size then (MB): the log's high-water mark, stale frames included. */
  walMb: number;
  /** The log's valid frames then (MB, from the WAL-index): what SQLite's recovery reads back at the next open. */
  walValidMb: number;
  /** The most valid frames the log held while the table was filled (MB, sampled every 50 ms). */
  walValidMaxMb: number;
}

function spawnNode(yaml: string): ChildProcess {
  // BENCH_NODE_ARGS: node options for the restarted node (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`).
  const args = (process.env['BENCH_NODE_ARGS'] ?? '').split(' ').filter((a) => a !== '');
  return spawn(process.execPath, [...args, CLI, 'start', yaml], { stdio: ['ignore', 'ignore', 'inherit'] });
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

/** Waits until the table holds `rows` rows (the operator applied what was acknowledged). */
async function landed(port: number, rows: number): Promise<void> {
  const end = Date.now() + 300_000;
  let have = 0;
  while ((have = await count(port, 'bench', 'rr')) < rows) {
    if (Date.now() > end) throw new Error(`${have} of ${rows} acknowledged rows landed within 300 s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Rows above the first `after` (row_id is SQLite's rowid, assigned in insert order). */
async function rowsAfter(port: number, after: number): Promise<number> {
  try {
    const r = await get(port, `sql bench format = json "select count(*) as n from rr where row_id > ${after}"`);
    return Number((JSON.parse(r) as { Query: { n: number }[] }).Query[0]?.n ?? 0);
  } catch (err) {
    if (/no such table|not connected|not open/i.test((err as Error).message)) return 0;
    throw err;
  }
}

/**
 * Adds `rows` rows to table rr of the stopped node's file: the columns the node created, values derived from the
 * row number (the bench rows' shape: timestamps 1 ms apart, 16 devices, counts, values, flags).
 */
function directFill(file: string, from: number, rows: number): void {
  const db = new Database(file);
  try {
    db.exec('PRAGMA journal_mode=WAL');
    db.exec('PRAGMA synchronous=OFF');
    const cols = (db.prepare('PRAGMA table_info(rr)').all() as { name: string }[])
      .map((c) => c.name)
      .filter((c) => c !== 'row_id');
    const value = (c: string): string => {
      switch (c) {
        case 'insert_timestamp':
          return `strftime('%Y-%m-%d %H:%M:%f', 'now')`;
        case 'tsd_name':
          return `'0'`;
        case 'tsd_id':
          return '0';
        case 'timestamp':
          return `strftime('%Y-%m-%d %H:%M:%f', ${Date.UTC(2026, 0, 1) / 1000} + k / 1000.0, 'unixepoch')`;
        case 'device':
          return `'dev-' || (k % 16)`;
        case 'value':
          return 'k * 0.25';
        case 'count':
          return 'k';
        case 'ok':
          return '(k % 2 = 0)';
        default:
          throw new Error(`restart-replay: table rr has a column '${c}' the direct fill does not know`);
      }
    };
    const quoted = cols.map((c) => `"${c}"`).join(', ');
    for (let at = from; at < from + rows; at += FILL_CHUNK) {
      const n = Math.min(FILL_CHUNK, from + rows - at);
      db.exec(
        `INSERT INTO rr (${quoted}) WITH RECURSIVE s(k) AS (SELECT ${at} UNION ALL SELECT k + 1 FROM s WHERE k < ${at + n - 1}) ` +
          `SELECT ${cols.map(value).join(', ')} FROM s`,
      );
      note(`restart-replay: ${at + n - from} of ${rows} rows filled directly`);
    }
    db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
}

/**
 * Starts the node for the setup (not timed) and waits for its operator to run. On this shared machine a loaded
 * moment can keep a new operator worker from being ready within the supervisor's start timeout (the node then
 * goes on without it and no row would land): such a start is stopped and made once more.
 */
async function startForSetup(yaml: string, port: number): Promise<ChildProcess> {
  for (let attempt = 1; ; attempt++) {
    const proc = spawnNode(yaml);
    await waitUp(port).catch(async (err: unknown) => {
      await stop(proc, 'SIGKILL');
      throw err;
    });
    const end = Date.now() + 60_000;
    let status = '';
    while (Date.now() < end) {
      status = /Operator\s*\|(\w[\w ]*?)\s*\|/.exec(await get(port, 'get processes'))?.[1] ?? '';
      // Until boot has started it the operator shows as not declared: only Running ends the wait.
      if (status === 'Running') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    if (status === 'Running') return proc;
    await stop(proc, 'SIGTERM');
    if (attempt === 2) throw new Error(`restart-replay: the operator did not start twice (status '${status}')`);
    note(`restart-replay: the operator did not start (status '${status}'); starting the node again`);
  }
}

async function stop(proc: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  await new Promise<void>((r) => {
    proc.once('exit', () => r());
    proc.kill(signal);
  });
}

export async function restartScenario(tableRows: number, tail: number): Promise<RestartFigures> {
  ensureBuilt();
  const root = mkdtempSync(join(tmpdir(), 'elrt-rr-'));
  const port = await freePort();
  const yaml = join(root, 'node.yaml');
  // The node's default place for database `bench` (node/layout.ts dbms_dir, storage/dbms/open.ts).
  const file = join(root, 'data', 'dbms', 'bench.dbms');
  writeFileSync(
    yaml,
    `node:\n  name: rr\n  root: ${root}\n  log_level: warn\ndbms:\n  bench:\n    type: sqlite\nservices:\n` +
      `  rest_server:\n    internal_ip: 127.0.0.1\n    internal_port: ${port}\n  streamer: {}\n  operator: {}\n`,
  );
  let proc: ChildProcess | undefined;
  try {
    proc = await startForSetup(yaml, port);
    const viaPut = Math.min(tableRows, PUT_FILL_MAX);
    note(`restart-replay: filling ${viaPut} rows through PUTs`);
    let walValidMaxMb = 0;
    const sampler = setInterval(() => {
      const w = readWalIndex(file);
      if (w) walValidMaxMb = Math.max(walValidMaxMb, validWalMb(w));
    }, 50);
    try {
      await fill(port, 0, viaPut);
      await landed(port, viaPut);
    } finally {
      clearInterval(sampler);
    }
    if (tableRows > viaPut) {
      await stop(proc, 'SIGTERM');
      directFill(file, viaPut, tableRows - viaPut);
      proc = await startForSetup(yaml, port);
      await landed(port, tableRows);
    }
    await post(port, 'exit operator');
    note(`restart-replay: ${tail} rows acknowledged with the operator stopped, then kill -9`);
    await fill(port, tableRows, tail);
    const total = tableRows + tail;
    if ((await count(port, 'bench', 'rr')) !== tableRows) throw new Error('the tail landed with the operator stopped');
    const dbMb = Math.round(statSync(file).size / 1e6);
    const walMb = existsSync(`${file}-wal`) ? Math.round(statSync(`${file}-wal`).size / 1e6) : 0;
    const atKill = readWalIndex(file);
    await stop(proc, 'SIGKILL');
    const t0 = performance.now();
    proc = spawnNode(yaml);
    await waitUp(port);
    const startMs = performance.now() - t0;
    // Polled by row_id (the rowid: a range read), not count(*), whose full scan would grow with the table and be
    // measured as restart time; the full count is checked once at the end.
    const end = Date.now() + 120_000;
    let n = 0;
    while ((n = await rowsAfter(port, tableRows)) < tail) {
      if (Date.now() > end) throw new Error(`${n} of ${tail} tail rows back after 120 s`);
      await new Promise((r) => setTimeout(r, 25));
    }
    const backMs = performance.now() - t0;
    const all = await count(port, 'bench', 'rr');
    if (all !== total) throw new Error(`${all} rows after the restart, expected ${total}`);
    return {
      startMs,
      backMs,
      dbMb,
      walMb,
      walValidMb: atKill ? Math.round(validWalMb(atKill) * 10) / 10 : 0,
      walValidMaxMb: Math.round(walValidMaxMb * 10) / 10,
    };
  } finally {
    if (proc) await stop(proc, 'SIGTERM');
    rmSync(root, { recursive: true, force: true });
  }
}

/**
 * One restart-replay bench: the `bigRows` table against a BENCH_SMALL_ROWS (10k) one in the same run, both with
 * the same BENCH_TAIL_ROWS (50k) tail; one JSON line named `name`, ratio = big / small.
 */
export async function restartReplayBench(name: string, bigRows: number): Promise<void> {
  const tail = Number(process.env['BENCH_TAIL_ROWS'] ?? 50_000);
  const smallRows = Number(process.env['BENCH_SMALL_ROWS'] ?? 10_000);
  const small = await restartScenario(smallRows, tail);
  note(
    `${name}: small table: start ${Math.round(small.startMs)} ms, all rows back ${Math.round(small.backMs)} ms, ` +
      `valid WAL at the kill ${small.walValidMb} MB`,
  );
  const big = await restartScenario(bigRows, tail);
  jsonLine(name, big.backMs, 'ms', small.backMs, {
    baselineIs: `the same restart with a ${smallRows}-row table and the same tail`,
    note: 'lower is better; ratio = big table / small table (about 1: depends on the tail, not the table)',
    table_rows: bigRows,
    tail_rows: tail,
    db_mb: big.dbMb,
    wal_mb: big.walMb,
    wal_valid_mb: big.walValidMb,
    wal_valid_max_mb: big.walValidMaxMb,
    small_wal_valid_mb: small.walValidMb,
    start_ms: Math.round(big.startMs),
    small_start_ms: Math.round(small.startMs),
  });
}
