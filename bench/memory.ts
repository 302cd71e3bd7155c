// npm run bench -- memory
// RSS of an idle node running EdgeLake's five usual services (TCP, REST, Operator, Streamer,
// Blockchain Sync; plus the Scheduler, which EdgeLake always runs), 5 s after start, measured with
// `ps` like spec/edgelake-measured.md 6c (EdgeLake 1.4: 72.7 MB). Baseline, same run: a plain `node`
// process with the same number of idle worker threads, i.e. the floor Node.js itself costs.
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, freePort, get } from './ingest-common.js';
import { ensureBuilt } from './lib/build.js';
import { jsonLine, note } from './lib/report.js';

const rssKb = (pid: number): number =>
  Number(
    execFileSync('ps', ['-o', 'rss=', '-p', String(pid)])
      .toString()
      .trim(),
  );

/** Seconds after start of the second, settled sample (V8's memory reducer has run in every isolate by then). */
const SETTLED_S = 15;

async function idleNode(withScheduler: boolean): Promise<{ rss: number; settled: number; workers: number }> {
  const root = mkdtempSync(join(tmpdir(), 'elrt-mem-'));
  const [tcp, rest] = [await freePort(), await freePort()];
  const yaml = join(root, 'node.yaml');
  writeFileSync(
    yaml,
    `node:\n  name: mem\n  root: ${root}\n  log_level: warn\ndbms:\n  edge:\n    type: sqlite\nservices:\n` +
      `  tcp_server:\n    internal_ip: 127.0.0.1\n    internal_port: ${tcp}\n` +
      `  rest_server:\n    internal_ip: 127.0.0.1\n    internal_port: ${rest}\n` +
      `  operator: {}\n  streamer: {}\n` +
      `  blockchain_sync:\n    source: master\n    connection: 127.0.0.1:${tcp}\n    time: 30 seconds\n    dest: file\n` +
      (withScheduler ? `commands:\n  - run scheduler 1\n` : ''),
  );
  const proc = spawn(process.execPath, [CLI, 'start', yaml], { stdio: ['ignore', 'ignore', 'inherit'] });
  const t0 = performance.now();
  try {
    for (let i = 0; ; i++) {
      try {
        await get(rest, 'get status');
        break;
      } catch (err) {
        if (i > 200) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    await new Promise((r) => setTimeout(r, 5000));
    const rss = rssKb(proc.pid!);
    // One heap gauge per actor worker (services and their helpers, e.g. TCP's command worker, which
    // `get processes` does not list as a thread of its own).
    const metrics = await (await fetch(`http://127.0.0.1:${rest}/metrics`)).text();
    const workers = metrics.split('\n').filter((l) => l.startsWith('edgelake_rt_worker_heap_used_bytes{')).length;
    // The 5 s sample still holds start-up garbage; an idle isolate's heap shrinks a few seconds later (the
    // memory reducer runs after a while without allocation), so a second sample shows what an idle node keeps.
    await new Promise((r) => setTimeout(r, Math.max(0, SETTLED_S * 1000 - (performance.now() - t0))));
    return { rss, settled: rssKb(proc.pid!), workers };
  } finally {
    proc.kill('SIGTERM');
    await new Promise((r) => proc.once('exit', r));
    rmSync(root, { recursive: true, force: true });
  }
}

async function bareNode(workers: number): Promise<number> {
  const code = `const { Worker } = require('node:worker_threads');
    for (let i = 0; i < ${workers}; i++) new Worker('setInterval(() => {}, 1000)', { eval: true });
    setInterval(() => {}, 1000);`;
  const proc = spawn(process.execPath, ['-e', code], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 5000));
  const rss = rssKb(proc.pid!);
  proc.kill('SIGTERM');
  await new Promise((r) => proc.once('exit', r));
  return rss;
}

ensureBuilt();
const five = await idleNode(false);
const bare5 = await bareNode(five.workers);
jsonLine('memory.idle-five', five.rss / 1024, 'MB RSS', bare5 / 1024, {
  services: 'TCP, REST, Operator, Streamer, Blockchain Sync',
  workers: five.workers,
  baselineIs: `node with ${five.workers} idle worker threads`,
  target: '< 110 MB',
  edgelake_mb: 72.7,
  note: 'lower is better; ratio = value / baseline',
});
jsonLine('memory.idle-five-settled', five.settled / 1024, 'MB RSS', bare5 / 1024, {
  services: 'TCP, REST, Operator, Streamer, Blockchain Sync',
  workers: five.workers,
  baselineIs: `node with ${five.workers} idle worker threads`,
  sampledAfterS: SETTLED_S,
  note: 'lower is better; ratio = value / baseline; the same node as memory.idle-five, sampled later',
});
const six = await idleNode(true);
const bare6 = await bareNode(six.workers);
jsonLine('memory.idle-five-plus-scheduler', six.rss / 1024, 'MB RSS', bare6 / 1024, {
  workers: six.workers,
  baselineIs: `node with ${six.workers} idle worker threads`,
  note: 'lower is better; ratio = value / baseline',
});
note('memory: RSS includes the node binary pages (~47 MB here) that every Node.js process maps');
