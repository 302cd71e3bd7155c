// npm run bench -- tcp-transfer
// File transfer bytes/s between two nodes on loopback: node A (this process) runs
// `run client (<B>) file copy <file> !tmp_dir/<name>`, EdgeLake's `file write` in 2048-byte blocks
// (peer/file-send.ts), and node B (a child process) appends the blocks to `<name>.transfer` in a TCP
// worker and renames it on the last block (actors/tcp-server/file-receive.ts); the time runs until the file is
// in place. Baseline, same run: a raw socket copy of the same file (fs read stream -> socket -> fs write stream in
// a child process) until the receiver has closed the file. Rounds alternate; the figure is the median round.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createReadStream } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { jsonLine, median } from './lib/report.js';
import { note, startLocal, startPeer } from './tcp-common.js';

const MB = Number(process.env['BENCH_MB'] ?? 128);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);

const RAW_RECEIVER = `
const net = require('node:net');
const fs = require('node:fs');
let n = 0;
const srv = net.createServer((s) => {
  const out = fs.createWriteStream(process.argv[1] + '.' + (++n));
  s.pipe(out);
  out.on('close', () => process.stdout.write('done\\n'));
});
srv.listen(0, '127.0.0.1', () => process.stdout.write(srv.address().port + '\\n'));
`;

const dir = mkdtempSync(join(tmpdir(), 'elrt-bench-transfer-'));
const src = join(dir, 'src.bin');
// Incompressible, and each 1 MiB different, so nothing along the way can shortcut it.
writeFileSync(src, Buffer.concat(Array.from({ length: MB }, () => randomBytes(1 << 20))));
const bytes = statSync(src).size;

const recv = spawn(process.execPath, ['-e', RAW_RECEIVER, join(dir, 'raw')], { stdio: ['ignore', 'pipe', 'inherit'] });
const lines: string[] = [];
let wake: (() => void) | undefined;
recv.stdout!.setEncoding('utf8').on('data', (d: string) => {
  lines.push(...d.split('\n').filter((l) => l !== ''));
  wake?.();
});
const nextLine = async (): Promise<string> => {
  while (lines.length === 0) await new Promise<void>((r) => (wake = r));
  return lines.shift()!;
};
const rawPort = Number(await nextLine());

async function rawRound(): Promise<number> {
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    const s = connect(rawPort, '127.0.0.1', () => createReadStream(src).pipe(s));
    s.on('error', reject);
    s.on('close', () => resolve());
  });
  if ((await nextLine()) !== 'done') throw new Error('raw receiver failed');
  return bytes / ((performance.now() - t0) / 1000);
}

const b = await startPeer('node-b');
const a = await startLocal('node-a');
let round = 0;
async function ourRound(): Promise<number> {
  const name = `bench-${++round}.bin`;
  const dest = join(b.root, 'data', 'tmp', name);
  const t0 = performance.now();
  await a.running.node.command(`run client (${b.addr}) file copy ${src} !tmp_dir/${name}`, { source: 'bench' });
  while (!existsSync(dest)) await new Promise((r) => setTimeout(r, 2));
  const secs = (performance.now() - t0) / 1000;
  if (statSync(dest).size !== bytes) throw new Error(`${dest}: ${statSync(dest).size} bytes, expected ${bytes}`);
  rmSync(dest);
  return bytes / secs;
}

try {
  note(`tcp-transfer: ${MB} MiB, ${ROUNDS} rounds each (after a warm-up round each)`);
  await rawRound();
  await ourRound();
  const raw: number[] = [];
  const ours: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    raw.push(await rawRound());
    ours.push(await ourRound());
    rmSync(join(dir, `raw.${i + 2}`), { force: true });
  }
  const mbps = (x: number): number => x / 1e6;
  jsonLine('tcp-transfer', mbps(median(ours)), 'MB/s', mbps(median(raw)), {
    file_mb: MB,
    rounds: ROUNDS,
    path: 'run client file copy -> file write blocks -> tcp worker',
  });
} finally {
  recv.kill('SIGKILL');
  await a.stop();
  await b.stop();
  rmSync(dir, { recursive: true, force: true });
}
