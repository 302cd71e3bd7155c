// Helpers for the network tests: node.yaml of a node with a TCP server on loopback, and a hand-made peer that
// speaks the block format over raw sockets (protocols/tcp), for the cases a real node never produces.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { commandMessage } from '../../protocols/tcp/builders.js';
import { readMessage, type TcpMessage } from '../../protocols/tcp/assembler.js';
import type { TestContext } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootNode, type RunningNode } from '../../main/boot.js';
import { MemorySink } from '../../base/log.js';

export function tcpNodeYaml(name: string, opts: { rest?: boolean; threads?: number; dbms?: boolean } = {}): string {
  return [
    'node:',
    `  name: ${name}`,
    ...(opts.dbms ? ['dbms:', '  test:', '    type: sqlite'] : []),
    'services:',
    '  tcp_server:',
    '    internal_ip: 127.0.0.1',
    '    internal_port: 0',
    ...(opts.threads ? [`    threads: ${opts.threads}`] : []),
    ...(opts.rest ? ['  rest_server:', '    internal_ip: 127.0.0.1', '    internal_port: 0'] : []),
    '',
  ].join('\n');
}

export function listen(handler: (s: Socket) => void): Promise<{ server: Server; port: number }> {
  return new Promise((resolve, reject) => {
    const server = createServer(handler);
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port }));
  });
}

export function close(server: Server): Promise<void> {
  return new Promise((r) => server.close(() => r()));
}

/** Connects, writes `bytes`, and resolves when the server closes the connection (or after `ms`). */
export function writeRaw(
  port: number,
  bytes: Uint8Array,
  opts: { end?: boolean; ms?: number } = {},
): Promise<'closed' | 'open'> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => {
      if (opts.end === false) s.write(bytes);
      else s.end(bytes);
    });
    const t = setTimeout(() => {
      s.destroy();
      resolve('open');
    }, opts.ms ?? 3000);
    s.resume();
    s.on('close', () => {
      clearTimeout(t);
      resolve('closed');
    });
    s.on('error', (err) => {
      if ((err as { code?: string }).code === 'ECONNRESET') return;
      clearTimeout(t);
      reject(err);
    });
  });
}

/**
 * A peer made by hand: listens for the answer, sends `command` with the given job id as one EdgeLake message
 * (connect, blocks, close) and resolves with the answer the server sends on a new connection.
 */
export async function askRaw(port: number, command: string, jobId = 7, timeoutMs = 5000): Promise<TcpMessage> {
  let answer: (m: TcpMessage) => void = () => undefined;
  let failed: (e: Error) => void = () => undefined;
  const got = new Promise<TcpMessage>((resolve, reject) => {
    answer = resolve;
    failed = reject;
  });
  const { server, port: replyPort } = await listen((s) => readMessage(s).then(answer, failed));
  try {
    const blocks = commandMessage(command, { source: { ip: '127.0.0.1', port: replyPort }, jobId });
    await writeRaw(port, Buffer.concat(blocks));
    const timer = setTimeout(() => failed(new Error(`no answer to '${command}' within ${timeoutMs} ms`)), timeoutMs);
    try {
      return await got;
    } finally {
      clearTimeout(timer);
    }
  } finally {
    await close(server);
  }
}

export function tcpPort(external: string): number {
  return Number(external.slice(external.lastIndexOf(':') + 1));
}

export interface TcpTestNode {
  running: RunningNode;
  cmd: (s: string) => Promise<string>;
  root: string;
  port: number;
}

/** An in-process node named `name` (no services), stopped and removed after the test. */
export async function commandTestNode(t: TestContext, name: string): Promise<Omit<TcpTestNode, 'port'>> {
  const root = mkdtempSync(join(tmpdir(), `elrt-node-${name}-`));
  const running = await bootNode({ root, logSink: new MemorySink(1000).sink, output: () => undefined });
  t.after(async () => {
    await running.stop('test done');
    rmSync(root, { recursive: true, force: true });
  });
  const cmd = (s: string): Promise<string> => running.node.command(s, { source: 'test' });
  await cmd(`set node name ${name}`);
  return { running, cmd, root };
}

/** An in-process node named `name` with a TCP server on a loopback port of its own, stopped after the test. */
export async function tcpTestNode(t: TestContext, name: string): Promise<TcpTestNode> {
  const { running, cmd, root } = await commandTestNode(t, name);
  await cmd(
    'run tcp server where external_ip = 127.0.0.1 and external_port = 0 and internal_ip = 127.0.0.1 and internal_port = 0',
  );
  return { running, cmd, root, port: tcpPort(running.node.connections.get('TCP')!.external) };
}
