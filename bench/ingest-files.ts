// npm run bench -- ingest-files
// Files dropped into the watch directory (20 files x 5,000 rows, one JSON object per line, renamed
// in, EdgeLake's own benchmark method in spec/edgelake-measured.md 1a) until every row is queryable,
// against raw libsql inserting the same rows (json_each per 5,000 rows, WAL, synchronous=FULL).
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { count, rawSqliteRowsPerSecond, startNode } from './ingest-common.js';
import { jsonLine } from './lib/report.js';

const FILES = Number(process.env['BENCH_FILES'] ?? 40);
const ROWS = Number(process.env['BENCH_FILE_ROWS'] ?? 5000);

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
const node = await startNode('  bench:\n    type: sqlite\n');
try {
  const watch = join(node.root, 'data', 'watch');
  const stage = join(node.root, 'data', 'tmp');
  writeFileSync(join(stage, 'warm.json'), lines(9999).split('\n').slice(0, 10).join('\n') + '\n');
  renameSync(join(stage, 'warm.json'), join(watch, 'bench.warm.json'));
  while ((await count(node.port, 'bench', 'warm')) < 10) await new Promise((r) => setTimeout(r, 20));
  texts.forEach((t, i) => writeFileSync(join(stage, `f${i}.json`), t));
  const t0 = performance.now();
  for (let i = 0; i < FILES; i++) renameSync(join(stage, `f${i}.json`), join(watch, `bench.readings.${i}.json`));
  const total = FILES * ROWS;
  let n = 0;
  while ((n = await count(node.port, 'bench', 'readings')) < total) await new Promise((r) => setTimeout(r, 20));
  const value = total / ((performance.now() - t0) / 1000);
  if (n !== total) throw new Error(`expected ${total} rows, found ${n}`);
  // One file's rows per transaction in the baseline, as the operator commits them.
  const baseline = rawSqliteRowsPerSecond(
    texts.map((t) => `[${t.trim().split('\n').join(',')}]`),
    ROWS,
    1,
  );
  jsonLine('ingest-files', value, 'rows/s', baseline, { files: FILES, rows: total });
} finally {
  await node.stop();
  rmSync(node.root, { recursive: true, force: true });
}
