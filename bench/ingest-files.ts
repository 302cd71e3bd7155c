// npm run bench -- ingest-files
// Files dropped into the watch directory (20 files x 5,000 rows, one JSON object per line, renamed
// in, EdgeLake's own benchmark method in spec/edgelake-measured.md 1a) until every row is queryable,
// against raw libsql inserting the same rows (json_each per 5,000 rows, WAL, synchronous=FULL).
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'libsql';
import { count, gitSha, startNode } from './ingest-common.js';

const FILES = Number(process.env['BENCH_FILES'] ?? 40);
const ROWS = Number(process.env['BENCH_FILE_ROWS'] ?? 5000);

const lines = (f: number): string =>
  Array.from({ length: ROWS }, (_, i) => {
    const k = f * ROWS + i;
    return JSON.stringify({ timestamp: new Date(Date.UTC(2026, 0, 1) + k).toISOString(), device: `dev-${k % 16}`, value: k * 0.25, count: k, ok: k % 2 === 0 });
  }).join('\n') + '\n';

function rawBaseline(texts: string[]): number {
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
  for (const text of texts) tx(`[${text.trim().split('\n').join(',')}]`);
  const secs = (performance.now() - t0) / 1000;
  db.close();
  rmSync(dir, { recursive: true, force: true });
  return (texts.length * ROWS) / secs;
}

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
  const baseline = rawBaseline(texts);
  process.stdout.write(
    JSON.stringify({ bench: 'ingest-files', value: Math.round(value), unit: 'rows/s', baseline: Math.round(baseline), ratio: Number((value / baseline).toFixed(3)), cores: availableParallelism(), node: process.version, git: gitSha(), files: FILES, rows: total }) + '\n',
  );
} finally {
  await node.stop();
  rmSync(node.root, { recursive: true, force: true });
}
