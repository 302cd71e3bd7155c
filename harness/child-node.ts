// A node in a child process, for tests that kill it: the compiled CLI when dist/ is up to date
// (what users run, and fast to start), else the TypeScript sources through tsx.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { SOURCE_DIRS } from './source-dirs.js';

const ROOT = new URL('..', import.meta.url).pathname;
const DIST_CLI = join(ROOT, 'dist/main/cli/main.js');

function newestSource(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (e.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/** The command that starts the CLI: dist if it is newer than every source, else tsx. */
export function cliCommand(): string[] {
  if (existsSync(DIST_CLI)) {
    const built = statSync(DIST_CLI).mtimeMs;
    const newest = Math.max(...SOURCE_DIRS.map((d) => newestSource(join(ROOT, d))));
    if (built >= newest) return [DIST_CLI];
  }
  return ['--import', 'tsx', join(ROOT, 'main/cli/main.ts')];
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
    s.on('error', reject);
  });
}

export interface ChildNode {
  proc: ChildProcess;
  exited: Promise<number | null>;
  stderr: () => string;
}

export function spawnNode(args: string[], env: Record<string, string> = {}): ChildNode {
  const proc = spawn(process.execPath, [...cliCommand(), ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let err = '';
  proc.stderr!.setEncoding('utf8');
  proc.stderr!.on('data', (c: string) => {
    err += c;
    if (err.length > 200_000) err = err.slice(-100_000);
  });
  proc.stdout!.resume();
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  return { proc, exited, stderr: () => err };
}
