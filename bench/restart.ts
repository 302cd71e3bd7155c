// npm run bench -- restart
// Restart latency: from WorkerActor.kill() to the supervisor's `started` event for the new incarnation
// (exit seen, worker spawned, host loaded, handshake and init done), p50 and p99 over N kills, against
// the time to spawn a fresh bare worker thread and get one message back (the baseline: what any
// restart pays at least). Measured on the compiled runtime (dist/, as the CLI runs it; built first
// when stale) in a plain `node` process, and, for comparison, from the TypeScript sources under tsx.
// The measuring runs in bench/fixtures/restart-probe.js, a child process: a worker inherits its
// parent's --import flags, so measuring the compiled path inside this (tsx) process would load tsx
// into every compiled worker.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ensureBuilt } from './lib/build.js';
import { REPO, jsonLine, note, percentile } from './lib/report.js';

const N = Number(process.env['BENCH_KILLS'] ?? 100);
const N_TSX = Number(process.env['BENCH_KILLS_TSX'] ?? 30);
const PROBE = fileURLToPath(new URL('./fixtures/restart-probe.js', import.meta.url));

interface ProbeResult {
  restart: number[];
  bare: number[];
}

function probe(nodeArgs: string[], runtime: 'dist' | 'src', kills: number, bare: number): Promise<ProbeResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, PROBE, runtime, String(kills), String(bare)], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`restart probe (${runtime}) exited with ${code}`));
      else resolve(JSON.parse(out) as ProbeResult);
    });
  });
}

function show(what: string, xs: number[]): void {
  note(
    `${what}: p50 ${percentile(xs, 50).toFixed(1)} ms, p99 ${percentile(xs, 99).toFixed(1)} ms, ` +
      `max ${Math.max(...xs).toFixed(1)} ms (n=${xs.length})`,
  );
}

async function main(): Promise<void> {
  ensureBuilt();
  const compiled = await probe([], 'dist', N, N);
  show('bare worker spawn + one message', compiled.bare);
  show('restart, compiled (dist/, plain node)', compiled.restart);
  const tsx = await probe(['--import', 'tsx'], 'src', N_TSX, 0);
  show('restart, TypeScript sources (tsx)', tsx.restart);
  const b50 = percentile(compiled.bare, 50);
  const b99 = percentile(compiled.bare, 99);
  const common = {
    note: 'latency: lower is better; ratio = value / baseline',
    baselineIs: 'bare worker spawn + one message (plain node)',
  };
  jsonLine('restart.p50', percentile(compiled.restart, 50), 'ms', b50, { path: 'compiled', kills: N, ...common });
  jsonLine('restart.p99', percentile(compiled.restart, 99), 'ms', b99, {
    path: 'compiled',
    kills: N,
    target: '<= 100 ms',
    ...common,
  });
  jsonLine('restart-tsx.p50', percentile(tsx.restart, 50), 'ms', b50, { path: 'tsx', kills: N_TSX, ...common });
  jsonLine('restart-tsx.p99', percentile(tsx.restart, 99), 'ms', b99, { path: 'tsx', kills: N_TSX, ...common });
}

await main();
