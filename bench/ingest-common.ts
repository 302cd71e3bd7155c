// Shared pieces of the ingest benchmarks: a node in a child process (the compiled CLI, as users run
// it), HTTP PUT load with keep-alive, and the rows (1,000 per body, 5 data columns, every row unique).
import { execSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ROOT = new URL('..', import.meta.url).pathname;
export const CLI = join(ROOT, 'dist/runtime/cli/main.js');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
    s.on('error', reject);
  });
}

export interface BenchNode {
  root: string;
  port: number;
  proc: ChildProcess;
  stop(): Promise<void>;
}

/** Starts a node (dist CLI) with REST, streamer and operator on `dbmsYaml`; resolves when REST answers. */
export async function startNode(dbmsYaml: string, extraServices = ''): Promise<BenchNode> {
  if (!existsSync(CLI)) throw new Error(`build first: npm run build (${CLI} is missing)`);
  const root = mkdtempSync(join(tmpdir(), 'elrt-bench-'));
  const port = await freePort();
  const yaml = join(root, 'node.yaml');
  writeFileSync(
    yaml,
    `node:\n  name: bench\n  root: ${root}\n  log_level: warn\ndbms:\n${dbmsYaml}\nservices:\n  rest_server:\n    internal_ip: 127.0.0.1\n    internal_port: ${port}\n  streamer: {}\n  operator: {}\n${extraServices}`,
  );
  const proc = spawn(process.execPath, [CLI, 'start', yaml], { stdio: ['ignore', 'ignore', 'inherit'] });
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      await get(port, 'get status');
      break;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    root,
    port,
    proc,
    stop: () =>
      new Promise((r) => {
        proc.once('exit', () => r());
        proc.kill('SIGTERM');
      }),
  };
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

export function put(port: number, headers: Record<string, string>, body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'PUT', agent, headers: { 'content-length': Buffer.byteLength(body), ...headers } }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (data += c));
      res.on('end', () => (res.statusCode === 200 ? resolve(data) : reject(new Error(`PUT ${res.statusCode}: ${data}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

export function get(port: number, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'GET', agent, headers: { command, 'User-Agent': 'AnyLog/1.23' } }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (data += c));
      res.on('end', () => (res.statusCode === 200 ? resolve(data) : reject(new Error(`GET ${res.statusCode}: ${data}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

export async function count(port: number, dbms: string, table: string): Promise<number> {
  try {
    const r = await get(port, `sql ${dbms} format = json "select count(*) as n from ${table}"`);
    return Number((JSON.parse(r) as { Query: { n: number | string }[] }).Query[0]?.n ?? 0); // PostgreSQL's count is a bigint string
  } catch (err) {
    if (/no such table|does not exist/.test((err as Error).message)) return 0;
    throw err;
  }
}

export interface Row {
  timestamp: string;
  device: string;
  value: number;
  count: number;
  ok: boolean;
}

/** `n` bodies of `rows` rows; row i of body b is unique (count = b * rows + i). */
export function bodies(n: number, rows = 1000, base = Date.UTC(2026, 0, 1)): { text: string; rows: Row[] }[] {
  return Array.from({ length: n }, (_, b) => {
    const rs = Array.from({ length: rows }, (_, i) => {
      const k = b * rows + i;
      return { timestamp: new Date(base + k).toISOString(), device: `dev-${k % 16}`, value: k * 0.25, count: k, ok: k % 2 === 0 };
    });
    return { text: JSON.stringify(rs), rows: rs };
  });
}

/** Runs `tasks` with at most `c` in flight. */
export async function pool<T>(c: number, tasks: (() => Promise<T>)[]): Promise<T[]> {
  const out: T[] = new Array(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: c }, async () => {
      while (next < tasks.length) {
        const i = next++;
        out[i] = await tasks[i]!();
      }
    }),
  );
  return out;
}

export function gitSha(): string {
  try {
    return execSync('git rev-parse --short HEAD', { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    return 'unknown'; // not a git checkout
  }
}
