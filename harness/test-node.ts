// An in-process node for tests: bootNode on a temporary root with the given node.yaml text, real
// workers (TypeScript sources through tsx), REST on 127.0.0.1:0. Released by `stop()`.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootNode, type RunningNode } from '../main/boot.js';
import { MemorySink } from '../base/log.js';

export interface TestNode {
  running: RunningNode;
  root: string;
  logs: MemorySink;
  /** REST port, when the node runs a REST server. */
  port: number;
  cmd(text: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startTestNode(yaml: string, opts: { keepRoot?: string } = {}): Promise<TestNode> {
  const root = opts.keepRoot ?? mkdtempSync(join(tmpdir(), 'elrt-test-'));
  const file = join(root, 'node.yaml');
  writeFileSync(file, yaml);
  const logs = new MemorySink(5000);
  const running = await bootNode({ file, root, logSink: logs.sink, output: () => undefined });
  const rest = running.node.connections.get('REST');
  const port = rest ? Number(rest.internal.split(':').pop()) : 0;
  return {
    running,
    root,
    logs,
    port,
    cmd: (text) => running.node.command(text, { source: 'test' }),
    stop: async () => {
      await running.stop('test done');
      if (!opts.keepRoot) rmSync(root, { recursive: true, force: true });
    },
  };
}

export interface HttpReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** Sockets `http` already listens on for a write error after the reply. */
const listened = new WeakSet<object>();

export function http(
  port: number,
  method: string,
  headers: Record<string, string>,
  body?: string,
  path = '/',
): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const h: Record<string, string | number> = { ...headers };
    if (body !== undefined) h['content-length'] = Buffer.byteLength(body);
    const req = request({ host: '127.0.0.1', port, method, path, headers: h }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (data += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: data }));
    });
    req.on('error', reject);
    // A server that answers before it read the whole body (413) may close while this side still writes: the write's
    // EPIPE can come after the reply ended, when the request no longer listens on its socket, and would be uncaught.
    // The reply settled its promise then; before it, the request's own listener answers. One listener a socket (the
    // global agent keeps sockets alive for later requests).
    req.on('socket', (s) => {
      if (listened.has(s)) return;
      listened.add(s);
      s.on('error', () => undefined);
    });
    req.end(body);
  });
}

/** Polls `fn` until it returns true (bounded). */
/** Rows in `table` of `dbms` by the node's `sql` command; 0 while the table does not exist yet. */
export async function tableCount(n: Pick<TestNode, 'cmd'>, table: string, dbms = 'test'): Promise<number> {
  try {
    return (
      JSON.parse(await n.cmd(`sql ${dbms} format = json "select count(*) as n from ${table}"`)) as {
        Query: { n: number }[];
      }
    ).Query[0]!.n;
  } catch (err) {
    if (/no such table/.test((err as Error).message)) return 0;
    throw err;
  }
}

export async function until(fn: () => Promise<boolean> | boolean, timeoutMs = 10_000, stepMs = 20): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await fn()) return;
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/**
 * Waits until a node's REST port answers `get processes` with the Operator running (`operator`), or answers
 * `get status` at all; a refused connection means it is not listening yet.
 */
export async function restUp(port: number, o: { operator?: boolean; timeoutMs?: number } = {}): Promise<void> {
  const command = o.operator ? 'get processes' : 'get status';
  await until(
    async () => {
      try {
        const r = await http(port, 'GET', { command, 'User-Agent': 'AnyLog/1.23' });
        return r.status === 200 && (!o.operator || /Operator\s*\|\s*Running/.test(r.body));
      } catch {
        return false; // not listening yet
      }
    },
    o.timeoutMs ?? 30_000,
    50,
  );
}

/** A node with REST, streamer and operator; one query worker unless asked (each worker is a thread to start). */
export const REST_NODE = (dbms = '  test:\n    type: sqlite\n', operator = '{}', queryThreads = 1) =>
  `node:\n  name: test-node\ndbms:\n${dbms}services:\n  rest_server:\n    internal_ip: 127.0.0.1\n    internal_port: 0\n  streamer: {}\n  operator: ${operator}\n  query_pool:\n    threads: ${queryThreads}\n`;
