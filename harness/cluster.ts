// Multi-node tests' harness: nodes as child processes (`edgelake-rt start`) on loopback, each with a TCP server
// on a free port, a control client, and cleanup in one `after` hook.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { ControlClient } from '../runtime/control/client.js';
import { socketPath } from '../node/layout.js';
import { startCli, type CliProcess } from './cli.js';
import { freePort } from './child-node.js';

export interface Child {
  name: string;
  root: string;
  file: string;
  port: number;
  p: CliProcess;
  client: ControlClient;
  addr: string;
}

function yaml(name: string, port: number, dbms: boolean): string {
  return [
    'node:',
    `  name: ${name}`,
    '  log_level: warn',
    ...(dbms ? ['dbms:', '  test:', '    type: sqlite'] : []),
    'services:',
    '  tcp_server:',
    '    external_ip: 127.0.0.1',
    `    external_port: ${port}`,
    '    internal_ip: 127.0.0.1',
    `    internal_port: ${port}`,
    '',
  ].join('\n');
}

/** What the test started, released in one `after` hook: processes first, then their roots. */
export interface Started {
  procs: CliProcess[];
  clients: ControlClient[];
  roots: string[];
}

export function cleanup(t: TestContext): Started {
  const s: Started = { procs: [], clients: [], roots: [] };
  t.after(async () => {
    for (const c of s.clients) c.close();
    for (const p of s.procs) {
      if (p.child.exitCode !== null || p.child.signalCode !== null) continue;
      p.child.kill('SIGKILL');
      await p.exited(10_000);
    }
    for (const r of s.roots) rmSync(r, { recursive: true, force: true });
  });
  return s;
}

export async function launch(s: Started, c: Omit<Child, 'p' | 'client' | 'addr'>): Promise<Child> {
  const p = startCli(['start', c.file, '--root', c.root]);
  s.procs.push(p);
  await p.waitForStdout(/control: .*edgelake-rt\.sock\r\n/, 60_000);
  const client = await ControlClient.connect(socketPath(c.root));
  s.clients.push(client);
  const addr = (JSON.parse(await client.cmd('get connections where format = json')) as { TCP: { external: string } })
    .TCP.external;
  return { ...c, p, client, addr };
}

export async function child(s: Started, name: string, dbms = false, prefix = 'elrt-node'): Promise<Child> {
  const root = mkdtempSync(join(tmpdir(), `${prefix}-${name}-`));
  s.roots.push(root);
  const port = await freePort();
  const file = join(root, 'node.yaml');
  writeFileSync(file, yaml(name, port, dbms));
  return launch(s, { name, root, file, port });
}
