// Shared pieces of the TCP benchmarks (tcp-rtt, tcp-transfer): a peer node in a child process (the compiled
// CLI, as users run it), a node in this process (compiled modules, so its workers run JS as in production),
// and a closed-loop load driver.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlClient } from '../runtime/control/client.js';
import { socketPath } from '../node/layout.js';
import { REPO, note } from './lib/report.js';
import { distUrl, ensureBuilt } from './lib/build.js';
import type { RunningNode } from '../main/boot.js';

export function nodeYaml(name: string, root: string, extra = ''): string {
  return `node:\n  name: ${name}\n  root: ${root}\n  log_level: warn\nservices:\n  tcp_server:\n    internal_ip: 127.0.0.1\n    internal_port: 0\n${extra}`;
}

export interface PeerProcess {
  addr: string;
  root: string;
  proc: ChildProcess;
  client: ControlClient;
  stop(): Promise<void>;
}

/** A node in a child process (dist CLI) with a TCP server on loopback. */
export async function startPeer(name: string, extra = ''): Promise<PeerProcess> {
  ensureBuilt();
  const root = mkdtempSync(join(tmpdir(), `elrt-bench-${name}-`));
  const yaml = join(root, 'node.yaml');
  writeFileSync(yaml, nodeYaml(name, root, extra));
  // BENCH_PEER_NODE_ARGS: extra node options for the peer (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`).
  const nodeArgs = (process.env['BENCH_PEER_NODE_ARGS'] ?? '').split(' ').filter((a) => a !== '');
  const proc = spawn(
    process.execPath,
    [...nodeArgs, join(REPO, 'dist/main/cli/main.js'), 'start', yaml, '--root', root],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, EDGELAKE_RT_LOG: 'warn' },
    },
  );
  await new Promise<void>((resolve, reject) => {
    let out = '';
    proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (/control: /.test(out)) resolve();
    });
    proc.once('exit', (code) => reject(new Error(`peer node exited with ${code}`)));
  });
  const client = await ControlClient.connect(socketPath(root));
  const addr = (JSON.parse(await client.cmd('get connections where format = json')) as { TCP: { external: string } })
    .TCP.external;
  return {
    addr,
    root,
    proc,
    client,
    async stop() {
      client.close();
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** A node in this process, from the compiled modules. */
export async function startLocal(name: string): Promise<{ running: RunningNode; root: string; stop(): Promise<void> }> {
  ensureBuilt();
  const { bootNode } = (await import(distUrl('main/boot.js'))) as typeof import('../main/boot.js');
  const { MemorySink } = (await import(distUrl('base/log.js'))) as typeof import('../base/log.js');
  const root = mkdtempSync(join(tmpdir(), `elrt-bench-${name}-`));
  const file = join(root, 'node.yaml');
  writeFileSync(file, nodeYaml(name, root));
  const running = await bootNode({ file, root, logSink: new MemorySink(1000).sink, output: () => undefined });
  return {
    running,
    root,
    async stop() {
      await running.stop('bench done');
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Runs `one` from `concurrency` loops for `ms`; returns completions per second. */
export async function closedLoop(concurrency: number, ms: number, one: () => Promise<void>): Promise<number> {
  let done = 0;
  const t0 = performance.now();
  const end = t0 + ms;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        await one();
        done++;
      }
    }),
  );
  return done / ((performance.now() - t0) / 1000);
}

export { note };
