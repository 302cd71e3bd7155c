// npm run bench -- distributor
// HA replication between two nodes on loopback: node A (this process, compiled modules) runs `run data distributor`
// with node B (a child process, compiled CLI) as the other member of its cluster (a cluster policy and B's operator
// policy in A's metadata); a batch of operator-named JSON files is moved into A's distr_dir and the time runs until
// every file is in B's watch directory (EdgeLake's `file write` with flag 1, received by B's TCP workers,
// decompressed there when sent compressed). Baseline, same run: a raw socket copy of the same files (one
// connection per file carrying its name and bytes, as many in flight as the distributor's lanes, into a receiver
// process that writes each file and renames it in place). Rounds alternate; the figure is the median round.
// Two lines: `compress = true` (the default, seed 003: files are compressed before the copy) and `compress = false`.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { jsonLine, median } from './lib/report.js';
import { note, startLocal, startPeer } from './tcp-common.js';

const FILES = Number(process.env['BENCH_FILES'] ?? 1000);
const ROWS = Number(process.env['BENCH_ROWS'] ?? 100);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
/** The distributor's files in flight per member (actors/data-distributor/send.ts SEND_CONCURRENCY). */
const LANES = 4;

const RAW_RECEIVER = `
const net = require('node:net');
const fs = require('node:fs');
const dir = process.argv[1];
const srv = net.createServer((s) => {
  const parts = [];
  s.on('data', (d) => parts.push(d));
  s.on('end', () => {
    const buf = Buffer.concat(parts);
    const n = buf.readUInt16BE(0);
    const name = buf.subarray(2, 2 + n).toString();
    fs.writeFileSync(dir + '/.' + name + '.part', buf.subarray(2 + n));
    fs.renameSync(dir + '/.' + name + '.part', dir + '/' + name);
    s.end();
  });
});
srv.listen(0, '127.0.0.1', () => process.stdout.write(srv.address().port + '\\n'));
`;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const count = (dir: string, suffix: string): number => readdirSync(dir).filter((f) => f.endsWith(suffix)).length;

async function waitFor(dir: string, suffix: string, n: number, what: string): Promise<void> {
  const end = Date.now() + 60_000;
  while (count(dir, suffix) < n) {
    if (Date.now() > end) throw new Error(`${what}: ${count(dir, suffix)} of ${n} files after 60 s`);
    await sleep(5);
  }
}

const a = await startLocal('distr-a');
const b = await startPeer('distr-b');
const rawDir = join(a.root, 'data', 'tmp', 'raw');
const stage = join(a.root, 'data', 'tmp', 'stage');
mkdirSync(rawDir, { recursive: true });
const recv = spawn(process.execPath, ['-e', RAW_RECEIVER, rawDir], { stdio: ['ignore', 'pipe', 'inherit'] });
const rawPort = await new Promise<number>((resolve) =>
  recv.stdout!.setEncoding('utf8').once('data', (d: string) => resolve(Number(d.trim()))),
);
const cmd = (text: string): Promise<string> => a.running.node.command(text, { source: 'bench' });
const watchB = join(b.root, 'data', 'watch');
const distrA = join(a.root, 'data', 'distr');

let round = 0;
let lastBytes = 0;
/** A fresh batch of operator-named files (member 1, new row ids) in the staging directory; returns total bytes. */
function makeBatch(): { names: string[]; bytes: number } {
  round++;
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(stage, { recursive: true });
  const date = new Date().toISOString().replace(/[-:T]/g, '').slice(2, 14);
  const names: string[] = [];
  let bytes = 0;
  for (let i = 0; i < FILES; i++) {
    const rows = Array.from({ length: ROWS }, (_, r) =>
      JSON.stringify({
        timestamp: new Date(1767225600000 + r * 1000).toISOString(),
        device: `d${i % 17}`,
        value: (round * 1e6 + i * ROWS + r) / 7,
      }),
    ).join('\n');
    const hash = createHash('md5').update(`bench.t${rows}`).digest('hex');
    const name = `bench.t.0.${hash}.0.1.${round * 100_000 + i + 1}.${date}.json`;
    writeFileSync(join(stage, name), rows + '\n');
    names.push(name);
    bytes += rows.length + 1;
  }
  lastBytes = bytes;
  return { names, bytes };
}

async function ourRound(): Promise<{ files: number; bytes: number }> {
  const { names, bytes } = makeBatch();
  for (const f of readdirSync(watchB)) rmSync(join(watchB, f), { force: true });
  const t0 = performance.now();
  for (const n of names) renameSync(join(stage, n), join(distrA, n));
  await waitFor(watchB, '.json', names.length, 'distributor');
  const secs = (performance.now() - t0) / 1000;
  // The distributor archives them once B has them all: not timed, but done before the next round.
  const end = Date.now() + 60_000;
  while (readdirSync(distrA).length > 0 && Date.now() < end) await sleep(20);
  return { files: names.length / secs, bytes: bytes / secs };
}

function rawSend(name: string): Promise<void> {
  const body = readFileSync(join(stage, name));
  const head = Buffer.alloc(2 + Buffer.byteLength(name));
  head.writeUInt16BE(Buffer.byteLength(name), 0);
  head.write(name, 2);
  return new Promise((resolve, reject) => {
    const s = connect(rawPort, '127.0.0.1', () => s.end(Buffer.concat([head, body])));
    s.resume();
    s.on('error', reject);
    s.on('close', () => resolve());
  });
}

async function rawRound(): Promise<{ files: number; bytes: number }> {
  const { names, bytes } = makeBatch();
  for (const f of readdirSync(rawDir)) rmSync(join(rawDir, f), { force: true });
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: LANES }, async () => {
      while (next < names.length) await rawSend(names[next++]!);
    }),
  );
  await waitFor(rawDir, '.json', names.length, 'raw copy');
  const secs = (performance.now() - t0) / 1000;
  return { files: names.length / secs, bytes: bytes / secs };
}

try {
  await cmd('blockchain insert where policy = {"cluster": {"name": "bench", "company": "Co"}} and local = true');
  const cluster = await cmd('blockchain get cluster where name = bench bring.first [*][id]');
  const port = Number(b.addr.split(':')[1]);
  await cmd(
    `blockchain insert where policy = {"operator": {"name": "b", "company": "Co", "ip": "127.0.0.1", "port": ${port}, "cluster": "${cluster}"}} and local = true`,
  );
  for (const compress of [true, false]) {
    await cmd(`run data distributor where cluster_id = ${cluster} and compress = ${compress}`);
    note(
      `distributor: ${FILES} files of ${ROWS} rows, compress = ${compress}, ${ROUNDS} rounds each (after a warm-up round each)`,
    );
    await rawRound();
    await ourRound();
    const raw: { files: number; bytes: number }[] = [];
    const ours: { files: number; bytes: number }[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      raw.push(await rawRound());
      ours.push(await ourRound());
    }
    await cmd('exit distributor');
    jsonLine('distributor', median(ours.map((x) => x.files)), 'files/s', median(raw.map((x) => x.files)), {
      bytes_per_s: Math.round(median(ours.map((x) => x.bytes))),
      baseline_bytes_per_s: Math.round(median(raw.map((x) => x.bytes))),
      files: FILES,
      rows_per_file: ROWS,
      compress,
      rounds: ROUNDS,
      file_bytes: Math.round(lastBytes / FILES),
      path: 'distr_dir -> data distributor -> file write flag 1 -> tcp worker -> watch_dir',
    });
  }
} finally {
  recv.kill('SIGKILL');
  await a.stop();
  await b.stop();
}
