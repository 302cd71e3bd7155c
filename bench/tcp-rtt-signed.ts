// npm run bench -- tcp-rtt-signed
// What signed peer messages cost (issue 13, peer/sign.ts): `run client (B) get status` round trips/s between two
// edgelake-rt nodes on loopback (B a child process), on the persistent fast path, first with neither node
// signing (the baseline, same run), then with both nodes signing every message and checking each one they get
// (`set node authentication on`: signature, time window, nonce, member key on the ledger, and on B the
// permission; each node is the other's root member, so that check is the cheapest one). Also the CPU both nodes
// spent per round trip.
// Closed loop with BENCH_CONCURRENCY requests in flight; BENCH_MS per figure after a discarded warm-up.
import { readFileSync } from 'node:fs';
import { jsonLine } from './lib/report.js';
import { closedLoop, note, startLocal, startPeer } from './tcp-common.js';

const MS = Number(process.env['BENCH_MS'] ?? 4000);
const WARMUP_MS = 800;
const CONCURRENCY = Number(process.env['BENCH_CONCURRENCY'] ?? 64);

/** CPU seconds of a process: ours from the OS, the peer's from /proc (Linux). */
function cpuSeconds(pid?: number): number {
  if (pid === undefined) {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  }
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function measure(one: () => Promise<void>, peerPid: number): Promise<{ rate: number; cpuUs: number }> {
  await closedLoop(CONCURRENCY, WARMUP_MS, one);
  const a0 = cpuSeconds();
  const b0 = cpuSeconds(peerPid);
  const t0 = performance.now();
  const rate = await closedLoop(CONCURRENCY, MS, one);
  const trips = (rate * (performance.now() - t0)) / 1000;
  return { rate, cpuUs: Math.round(((cpuSeconds() - a0 + cpuSeconds(peerPid) - b0) * 1e6) / trips) };
}

const b = await startPeer('node-b');
const a = await startLocal('node-a');
try {
  const expected = `\r\n[From Node ${b.addr}] node-b@${b.addr} running`;
  const one = async (): Promise<void> => {
    const text = await a.running.node.command(`run client (${b.addr}) get status`, { source: 'bench' });
    if (text !== expected) throw new Error(`unexpected answer ${JSON.stringify(text)}`);
  };
  note(`tcp-rtt-signed: unsigned run client, ${CONCURRENCY} in flight, ${MS} ms`);
  const plain = await measure(one, b.proc.pid!);

  note('tcp-rtt-signed: both nodes sign, B checks (node authentication on)');
  const cmd = (text: string) => a.running.node.command(text, { source: 'bench' });
  await cmd('id create keys for node where password = bench-a');
  await b.client.cmd('id create keys for node where password = bench-b');
  await cmd('amember = {"member": {"type": "root", "name": "node-a"}}');
  await cmd('asigned = id sign !amember where password = bench-a');
  await b.client.cmd(`amember = ${await cmd('get dictionary value where key = asigned')}`);
  await b.client.cmd('blockchain insert where policy = !amember and local = true');
  await b.client.cmd('set node authentication on where allow = 127.0.0.2');
  // And A checks B's answers: B is a member (root) on A's ledger.
  await b.client.cmd('bmember = {"member": {"type": "root", "name": "node-b"}}');
  await b.client.cmd('bsigned = id sign !bmember where password = bench-b');
  await cmd(`bmember = ${await b.client.cmd('get dictionary value where key = bsigned')}`);
  await cmd('blockchain insert where policy = !bmember and local = true');
  await cmd('set node authentication on where allow = 127.0.0.2');
  await one();
  const signed = await measure(one, b.proc.pid!);
  for (const [who, text] of [
    ['B', await b.client.cmd('get authentication')],
    ['A', await cmd('get authentication')],
  ] as const) {
    const refused = /Peer messages refused\s*\|\s*([^\n|]*)/.exec(text)?.[1];
    if (refused?.trim() !== '0') throw new Error(`${who} refused messages during the run: ${refused}`);
  }

  jsonLine('tcp-rtt-signed', signed.rate, 'round trips/s', plain.rate, {
    baselineIs: 'the same run client round trips, unsigned, measured first in the same run',
    concurrency: CONCURRENCY,
    cpu_us_per_trip: signed.cpuUs,
    baseline_cpu_us_per_trip: plain.cpuUs,
    path: 'run client command, persistent edgelake-rt connections, request and answer signed and checked',
  });
} finally {
  await a.stop();
  await b.stop();
}
