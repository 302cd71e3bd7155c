// npm run bench -- ingest-files
// Files dropped into the watch directory (20 files x 5,000 rows, one JSON object per line, renamed
// in, EdgeLake's own benchmark method in spec/edgelake-measured.md 1a) until every row is queryable,
// against raw libsql reading the same files and inserting their rows (json_each, as many files per transaction
// as the operator groups: 50,000 rows, WAL, synchronous=FULL) into a table made by the statements the node's own
// table was made by (its sqlite_master: same columns and the same two indexes), the node stopped; target ratio
// >= 0.6 (issue 14).
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { count, cpuSeconds, rawSqliteRowsPerSecond, sqliteTableDdl, startNode } from './ingest-common.js';
import { jsonLine } from './lib/report.js';

const FILES = Number(process.env['BENCH_FILES'] ?? 40);
const ROWS = Number(process.env['BENCH_FILE_ROWS'] ?? 5000);
/** The operator's bound on one file group's transaction (actors/operator/file-group.ts). */
const GROUP_ROWS = 50_000;

const lines = (f: number): string =>
  Array.from({ length: ROWS }, (_, i) => {
    const k = f * ROWS + i;
    return JSON.stringify({
      timestamp: new Date(Date.UTC(2026, 0, 1) + k).toISOString(),
      device: `dev-${k % 16}`,
      value: k * 0.25,
      count: k,
      ok: k % 2 === 0,
    });
  }).join('\n') + '\n';

const texts = Array.from({ length: FILES }, (_, f) => lines(f));
const total = FILES * ROWS;
const node = await startNode('  bench:\n    type: sqlite\n');
let value = 0;
/** CPU seconds (all threads) the node's process used in the timed part: less swayed by the machine's load than the rate. */
let nodeCpu = 0;
try {
  const watch = join(node.root, 'data', 'watch');
  const stage = join(node.root, 'data', 'tmp');
  writeFileSync(join(stage, 'warm.json'), lines(9999).split('\n').slice(0, 10).join('\n') + '\n');
  renameSync(join(stage, 'warm.json'), join(watch, 'bench.warm.json'));
  while ((await count(node.port, 'bench', 'warm')) < 10) await new Promise((r) => setTimeout(r, 20));
  texts.forEach((t, i) => writeFileSync(join(stage, `f${i}.json`), t));
  const cpu0 = cpuSeconds(node.proc.pid!);
  const t0 = performance.now();
  for (let i = 0; i < FILES; i++) renameSync(join(stage, `f${i}.json`), join(watch, `bench.readings.${i}.json`));
  let n = 0;
  const deadline = Date.now() + 300_000;
  while ((n = await count(node.port, 'bench', 'readings')) < total) {
    if (Date.now() > deadline) throw new Error(`${n} of ${total} rows landed within 300 s`);
    await new Promise((r) => setTimeout(r, 20));
  }
  value = total / ((performance.now() - t0) / 1000);
  nodeCpu = cpuSeconds(node.proc.pid!) - cpu0;
  if (n !== total) throw new Error(`expected ${total} rows, found ${n}`);
} finally {
  await node.stop();
}
try {
  const table = sqliteTableDdl(join(node.root, 'data', 'dbms', 'bench.dbms'), 'readings');
  // The baseline reads the same files (timed, as the node reads them) and commits as many per transaction as the
  // operator's file groups take (actors/operator/file-group.ts: up to 50,000 rows), so neither side has fewer fsyncs.
  const raw = join(node.root, 'raw-files');
  mkdirSync(raw);
  const paths = texts.map((t, i) => {
    const p = join(raw, `f${i}.json`);
    writeFileSync(p, t);
    return p;
  });
  const perTx = Math.max(1, Math.floor(GROUP_ROWS / ROWS));
  const rawCpu0 = process.cpuUsage();
  const baseline = rawSqliteRowsPerSecond(paths, ROWS, perTx, table, (p) => {
    const body = readFileSync(p, 'utf8').trim();
    return `[${body.split('\n').join(',')}]`;
  });
  // The baseline runs synchronously in this process, which does nothing else meanwhile.
  const rawCpuUs = process.cpuUsage(rawCpu0);
  jsonLine('ingest-files', value, 'rows/s', baseline, {
    baselineIs: `raw libsql reading the same files and inserting their rows (INSERT ... SELECT FROM json_each), ${perTx} files (${perTx * ROWS} rows) per transaction as the operator groups them, WAL, synchronous=FULL, into the node's table DDL (same columns and indexes), node stopped`,
    target: 'ratio >= 0.6',
    files: FILES,
    rows: total,
    table_indexes: table.ddl.length - 1,
    node_cpu_s: Number(nodeCpu.toFixed(2)),
    raw_cpu_s: Number(((rawCpuUs.user + rawCpuUs.system) / 1e6).toFixed(2)),
  });
} finally {
  rmSync(node.root, { recursive: true, force: true });
}
