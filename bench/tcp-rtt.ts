// npm run bench -- tcp-rtt
// Command round trips/s between two nodes on loopback: node A (this process) asks node B (a child process) for
// `get status` and waits for the answer, which B sends to A's TCP server. Two figures, each against a raw
// node:net echo of the same 2048-byte block in EdgeLake's pattern (connect, write, close; the answer on a new
// connection to the port in the header) between this process and a child process, measured in the same run:
//   tcp-rtt-edgelake  the runtime's peer path (A's reply registry -> B's dispatch actor -> ring -> command worker
//                     -> B's dispatcher -> answer -> A's dispatch actor -> registry), in EdgeLake's pattern both
//                     ways (unmarked requests: what an EdgeLake peer gets); driven by PeerNetwork.request, i.e.
//                     `run client` without its command parsing
//   tcp-rtt           the full `run client (B) get status` command between edgelake-rt nodes, which use the
//                     persistent-connection fast path (peer/wire.ts), against a raw echo on one persistent
//                     connection (the same transport shape)
// Closed loop with BENCH_CONCURRENCY requests in flight; BENCH_MS per figure after a discarded warm-up.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { commandMessage } from '../protocols/tcp/builders.js';
import { jsonLine } from './lib/report.js';
import { closedLoop, note, startLocal, startPeer } from './tcp-common.js';

const MS = Number(process.env['BENCH_MS'] ?? 4000);
const WARMUP_MS = 800;
const CONCURRENCY = Number(process.env['BENCH_CONCURRENCY'] ?? 64);

const ECHO_CHILD = `
const net = require('node:net');
const persistent = process.argv[1] === 'persistent';
const srv = net.createServer((s) => {
  s.setNoDelay(true);
  if (persistent) {
    let pending = Buffer.alloc(0);
    s.on('data', (c) => {
      pending = pending.length ? Buffer.concat([pending, c]) : c;
      let n = Math.floor(pending.length / 2048) * 2048;
      if (n > 0) { s.write(pending.subarray(0, n)); pending = pending.subarray(n); }
    });
    s.on('error', () => {});
    return;
  }
  const chunks = [];
  s.on('data', (c) => chunks.push(c));
  s.on('end', () => {
    const b = Buffer.concat(chunks);
    const c = net.connect(b.readUInt32BE(201), '127.0.0.1', () => c.end(b));
    c.on('error', () => {});
  });
  s.on('error', () => {});
});
srv.listen({ port: 0, host: '127.0.0.1', backlog: 511 }, () => process.stdout.write(srv.address().port + '\\n'));
`;

/** CPU seconds of a process (all its threads): ours from the OS, the peer's from /proc (Linux; NaN elsewhere). */
function cpuSeconds(pid?: number): number {
  if (pid === undefined) {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime + stime in clock ticks (USER_HZ = 100)
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return NaN;
    throw err;
  }
}

/** Round trips/s of `one`, and the CPU both nodes spent per round trip (µs), which the machine's load does not inflate. */
async function measure(one: () => Promise<void>, peerPid: number): Promise<{ rate: number; cpuUs: number }> {
  const a0 = cpuSeconds();
  const b0 = cpuSeconds(peerPid);
  const t0 = performance.now();
  const rate = await closedLoop(CONCURRENCY, MS, one);
  const trips = (rate * (performance.now() - t0)) / 1000;
  return { rate, cpuUs: Math.round(((cpuSeconds() - a0 + cpuSeconds(peerPid) - b0) * 1e6) / trips) };
}

async function echoChild(mode: 'edgelake' | 'persistent'): Promise<{ port: number; stop(): void }> {
  const p = spawn(process.execPath, ['-e', ECHO_CHILD, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve) =>
    p.stdout!.setEncoding('utf8').once('data', (d: string) => resolve(Number(d.trim()))),
  );
  return { port, stop: () => p.kill('SIGKILL') };
}

/** One round trip: a copy of `block` with a fresh job id (header byte 52) is written; resolves on its answer. */
function roundTrip(block: Buffer, waiters: Map<number, () => void>, write: (b: Buffer) => void): () => Promise<void> {
  let job = 0;
  return () =>
    new Promise((resolve) => {
      const id = ++job;
      waiters.set(id, () => {
        waiters.delete(id);
        resolve();
      });
      const b = Buffer.from(block);
      b.writeUInt32BE(id, 52);
      write(b);
    });
}

/** Raw EdgeLake-pattern round trips/s: a new connection per request and per answer, matched by job id. */
async function rawEdgeLake(ms: number): Promise<number> {
  const echo = await echoChild('edgelake');
  const waiters = new Map<number, () => void>();
  const server = createServer({ backlog: 511 } as never, (s) => {
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('end', () => {
      const b = Buffer.concat(chunks);
      waiters.get(b.readUInt32BE(52))?.();
    });
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen({ port: 0, host: '127.0.0.1', backlog: 511 }, r));
  const replyPort = (server.address() as { port: number }).port;
  const block = Buffer.from(
    commandMessage('get status', { source: { ip: '127.0.0.1', port: replyPort }, jobId: 1 })[0]!,
  );
  const one = roundTrip(block, waiters, (b) => {
    const c = connect(echo.port, '127.0.0.1', () => c.end(b));
    c.on('error', () => undefined);
  });
  await closedLoop(CONCURRENCY, WARMUP_MS, one);
  const rate = await closedLoop(CONCURRENCY, ms, one);
  echo.stop();
  server.close();
  return rate;
}

/** Raw round trips/s on one persistent connection (requests pipelined, answers on the same socket). */
async function rawPersistent(ms: number): Promise<number> {
  const echo = await echoChild('persistent');
  const sock: Socket = await new Promise((resolve) => {
    const s = connect(echo.port, '127.0.0.1', () => resolve(s));
  });
  sock.setNoDelay(true);
  const waiters = new Map<number, () => void>();
  let pending: Buffer = Buffer.alloc(0);
  sock.on('data', (c: Buffer) => {
    pending = pending.length ? Buffer.concat([pending, c]) : c;
    while (pending.length >= 2048) {
      waiters.get(pending.readUInt32BE(52))?.();
      pending = pending.subarray(2048);
    }
  });
  const block = Buffer.from(commandMessage('get status', { source: { ip: '127.0.0.1', port: 9 }, jobId: 1 })[0]!);
  const one = roundTrip(block, waiters, (b) => sock.write(b));
  await closedLoop(CONCURRENCY, WARMUP_MS, one);
  const rate = await closedLoop(CONCURRENCY, ms, one);
  sock.destroy();
  echo.stop();
  return rate;
}

const b = await startPeer('node-b');
const a = await startLocal('node-a');
try {
  const [ip, port] = [b.addr.slice(0, b.addr.lastIndexOf(':')), Number(b.addr.slice(b.addr.lastIndexOf(':') + 1))];
  const target = { ip, port, label: b.addr };
  const expected = `\r\n[From Node ${b.addr}] node-b@${b.addr} running`;
  const check = (text: string): void => {
    if (text !== expected) throw new Error(`unexpected answer ${JSON.stringify(text)}`);
  };
  check(await a.running.node.command(`run client (${b.addr}) get status`, { source: 'bench' }));

  note(`tcp-rtt: raw EdgeLake-pattern echo, ${CONCURRENCY} in flight, ${MS} ms`);
  const raw = await rawEdgeLake(MS);
  note(`tcp-rtt: edgelake-rt peer path in EdgeLake's pattern`);
  const peers = a.running.node.peers;
  const viaPattern = async (): Promise<void> => {
    const [o] = await peers.request([target], 'get status', { timeoutMs: 10_000, oneShot: true });
    if (o?.kind !== 'text') throw new Error(`round trip failed: ${JSON.stringify(o)}`);
  };
  await closedLoop(CONCURRENCY, WARMUP_MS, viaPattern);
  const pattern = await measure(viaPattern, b.proc.pid!);
  jsonLine('tcp-rtt-edgelake', pattern.rate, 'round trips/s', raw, {
    baselineIs: 'raw node:net echo in EdgeLake pattern (a connection per message both ways)',
    concurrency: CONCURRENCY,
    cpu_us_per_trip: pattern.cpuUs,
    path: 'PeerNetwork.request, one connection per message both ways',
  });

  note(`tcp-rtt: run client between edgelake-rt nodes (persistent fast path)`);
  const viaCommand = async (): Promise<void> =>
    check(await a.running.node.command(`run client (${b.addr}) get status`, { source: 'bench' }));
  await closedLoop(CONCURRENCY, WARMUP_MS, viaCommand);
  const fast = await measure(viaCommand, b.proc.pid!);
  const rawP = await rawPersistent(MS);
  // The baseline is the raw echo over one persistent connection: the same transport shape as the fast path
  // (issue 14: dividing by the one-connection-per-message echo flattered it 10x).
  jsonLine('tcp-rtt', fast.rate, 'round trips/s', rawP, {
    baselineIs: 'raw node:net echo of the same 2048-byte block on one persistent connection',
    concurrency: CONCURRENCY,
    cpu_us_per_trip: fast.cpuUs,
    raw_edgelake_pattern: Math.round(raw),
    path: 'run client command, persistent edgelake-rt connections',
  });
} finally {
  await a.stop();
  await b.stop();
}
