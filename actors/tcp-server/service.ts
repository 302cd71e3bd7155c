// The TCP service as the node sees it: the dispatch actor (`tcp-server`) and its command workers
// (`tcp-worker-1..threads`, helpers linked by a ring each, started at their first command), `get processes` details (`Listening on:
// 127.0.0.1:32148, Threads Pool: 1`), the TCP row of `get connections` (which `get status` names the node by),
// `get tcp pool`, `get tcp server info`, and `run client`, whose answers come back to this server.
import { formatTable } from '../../protocols/format/table.js';
import { whereObject } from '../../node/commands/args.js';
import { runClient } from '../../node/commands/run-client.js';
import {
  actorEntry,
  type CommandSpec,
  type HelperSpec,
  type NodeApi,
  type ServiceDescriptor,
  runningInstance,
} from '../../node/service.js';
import { tcpServerSchema, tcpWorkerSchema } from './config.js';
import { tcpWorkerAt, TCP_SERVER, WORKER_PREFIX, type TcpInfo, type TcpWorkerInfo } from './messages.js';

const KIND = 'tcp-server';
/** Per worker: commands are one block; file transfers pass in pieces of 256 KiB (inbound.ts). */
const WORKER_RING_BYTES = 2 << 20;

function running(node: NodeApi): string | undefined {
  return runningInstance(node, KIND)?.id;
}

async function tcpInfo(node: NodeApi, timeoutMs = 2000): Promise<TcpInfo | undefined> {
  const id = running(node);
  return id ? node.ask(TCP_SERVER, { type: 'tcp.info' }, timeoutMs) : undefined;
}

/** The configured number of command workers (started or not: they start at their first command). */
function poolSize(node: NodeApi): number {
  const server = node.instances(KIND)[0];
  return Math.max(Number(server?.config['threads'] ?? 1), node.instances(tcpWorkerService.kind).length);
}

/** Per configured worker: its counters, `idle` when not started yet, undefined when it is down (restarting). */
async function workerInfos(node: NodeApi): Promise<(TcpWorkerInfo | 'idle' | undefined)[]> {
  const byId = new Map(node.instances(tcpWorkerService.kind).map((w) => [w.id, w]));
  return Promise.all(
    Array.from({ length: poolSize(node) }, (_, n) => {
      const w = byId.get(`${WORKER_PREFIX}${n + 1}`);
      if (!w) return Promise.resolve('idle' as const);
      return w.status === 'running'
        ? node.ask(tcpWorkerAt(w.id), { type: 'tcp.worker.info' }, 2000)
        : Promise.resolve(undefined);
    }),
  );
}

const handled = (i: TcpWorkerInfo | 'idle' | undefined): number => (typeof i === 'object' ? i.handled : 0);

const pool: CommandSpec = {
  words: ['get', 'tcp', 'pool'],
  method: 'get',
  usage: 'get tcp pool [where details = true]',
  async run(inv, node) {
    // EdgeLake utils_threads.get_info: `TCP Pool with N threads:` padded to 60, then 0 idle / 1 busy per thread.
    if (!running(node)) return 'Tcp Pool is not declared';
    // A worker not started yet (on demand) is an idle slot, as EdgeLake shows an idle thread.
    const infos = await workerInfos(node);
    const calls = infos.reduce((n, i) => n + handled(i), 0);
    const details = String(whereObject(inv, node)['details'] ?? 'false').toLowerCase() === 'true';
    if (!details) {
      const slots = infos.map((i) => (i === undefined ? -1 : i !== 'idle' && i.inflight > 0 ? 1 : 0));
      return `${`TCP Pool with ${infos.length} threads:`.padEnd(60)}[${slots.join(', ')}] (${calls.toLocaleString('en-US')})`;
    }
    return formatTable(
      ['Thread', 'Status', 'Calls', 'Percentage'],
      infos.map((i, n) => [
        n + 1,
        i === undefined ? 'Ended' : i === 'idle' ? 'Not started' : i.inflight > 0 ? 'Busy' : 'Idle',
        handled(i),
        calls ? `${((handled(i) * 100) / calls).toFixed(2)}%` : '0.00%',
      ]),
    );
  },
};

const serverInfo: CommandSpec = {
  words: ['get', 'tcp', 'server', 'info'],
  method: 'get',
  usage: 'get tcp server info',
  async run(_inv, node) {
    const i = await tcpInfo(node);
    if (!i) return 'TCP server not running';
    const s = i.stats;
    return formatTable(
      ['Attribute', 'Value'],
      [
        ['connection', `${i.host}:${i.port}`],
        ['external', i.external],
        ['internal', i.internal],
        ['workers_count', i.threads],
        ['connections', s.connections],
        ['open', s.open],
        ['commands', s.commands],
        ['commands_answered_here', s.local],
        ['answers', s.answers],
        ['file_transfers', s.files],
        ['malformed', s.malformed],
        ['rejected', s.rejected],
        ['last_malformed', s.lastMalformed],
        [
          'auth_refused',
          Object.entries(s.refused)
            .map(([k, v]) => `${k} ${v}`)
            .join(', '),
        ],
        ['last_refused', s.lastRefused],
      ],
    );
  },
};

/** A command worker: started by the TCP service only (no `run` of its own). */
export const tcpWorkerService: ServiceDescriptor = {
  kind: 'tcp-worker',
  process: 'TCP',
  run: [],
  exit: [],
  yaml: 'tcp_worker',
  schema: tcpWorkerSchema,
  entry: actorEntry(import.meta.url, 'worker'),
  restart: 'permanent',
  shutdownMs: 3000,
};

export const tcpServerService: ServiceDescriptor = {
  kind: KIND,
  process: 'TCP',
  run: [['tcp', 'server']],
  exit: ['tcp'],
  yaml: 'tcp_server',
  schema: tcpServerSchema,
  entry: actorEntry(import.meta.url),
  positional: ['external_ip', 'external_port', 'internal_ip', 'internal_port', 'threads'],
  restart: 'permanent',
  shutdownMs: 3000,
  helpers(config): HelperSpec[] {
    const threads = Number(config['threads'] ?? 1);
    return Array.from({ length: threads }, (_, n) => ({
      id: `${WORKER_PREFIX}${n + 1}`,
      desc: tcpWorkerService,
      config: { index: n + 1, command_timeout: config['command_timeout'] ?? 300 },
      ringBytes: WORKER_RING_BYTES,
      // Started at the first command or file transfer pushed into its ring (rings.ts `startWorker`): an idle node
      // runs no command worker (an idle worker is ~8 MB of RSS, bench/README.md memory). Commands from
      // edgelake-rt peers run in the dispatch actor (duplex.ts) and need none.
      onDemand: true,
    }));
  },
  async details(instances, node) {
    if (!instances[0]) return '';
    const i = await node.ask(TCP_SERVER, { type: 'tcp.info' }, 2000);
    // EdgeLake net_utils.get_connection_info + tcpip_server.get_info.
    const where = i.internal === i.external ? i.external : `${i.external} and ${i.internal}`;
    return `Listening on: ${where}, Threads Pool: ${poolSize(node)}`;
  },
  async afterStart(_inst, node) {
    const i = await node.ask(TCP_SERVER, { type: 'tcp.info' }, 5000);
    node.connections.register('TCP', i);
  },
  afterStop(_id, node) {
    node.connections.unregister('TCP');
  },
  commands: [runClient, pool, serverInfo],
};
