// The Query Pool as the node sees it (EdgeLake cmd/member_cmd.py set_query_pool L18123, get_query_pool_info L207,
// get_pool_status L17582):
//   set query pool <n>             (re)starts the pool with n worker threads
//   get query pool [where details = true]
//   run query pool [where threads = <n> and timeout = <seconds>]   exit query pool
// The pool is declared at boot (main/boot.ts) with node.yaml's `services: query_pool:` options or the defaults; its
// first worker starts at the first query, the others when every running one is busy (node/query.ts).
// Deviation: EdgeLake refuses `set query pool` while a pool is defined ("use 'exit workers'"); here it restarts
// the pool with the new size, and a query in progress then is answered with an error.
import { CommandError } from '../../base/errors.js';
import { Status } from '../../base/status.js';
import { formatTable } from '../../protocols/format/table.js';
import { argWords, whereObject } from '../../node/commands/args.js';
import { actorEntry, type CommandSpec, type HelperSpec, type ServiceDescriptor } from '../../node/service.js';
import { QUERY_POOL_KIND, QUERY_WORKER_KIND, queryPoolSize, queryWorkers } from '../../node/query.js';
import { queryPoolSchema, queryWorkerSchema } from './config.js';
import { queryWorkerIn, type QueryWorkerInfo } from './messages.js';

/** Workers 2..n (worker 1 is the service's own actor, `query-pool`). */
export const queryWorkerService: ServiceDescriptor = {
  kind: QUERY_WORKER_KIND,
  process: 'Query Pool',
  run: [],
  exit: [],
  yaml: 'query_worker',
  schema: queryWorkerSchema,
  entry: actorEntry(import.meta.url),
  restart: 'permanent',
  shutdownMs: 5000,
};

const setPool: CommandSpec = {
  words: ['set', 'query', 'pool'],
  method: 'post',
  usage: 'set query pool <n>',
  async run(inv, node) {
    const [n, extra] = argWords(inv, node);
    const threads = Number(n);
    if (n === undefined || extra !== undefined || !Number.isInteger(threads) || threads < 1 || threads > 64)
      throw new CommandError("Missing number of threads for 'query pool' (set query pool <1..64>)", {
        code: Status.CommandStructure,
      });
    const running = node.instances(QUERY_POOL_KIND)[0];
    const config = running ? { ...running.config, threads } : { threads };
    if (running) await node.stopService(running.id, 'set query pool');
    await node.startService(queryPoolService, config, inv.env);
    return '';
  },
};

const getPool: CommandSpec = {
  words: ['get', 'query', 'pool'],
  method: 'get',
  usage: 'get query pool [where details = true]',
  async run(inv, node) {
    const workers = queryWorkers(node);
    if (workers.length === 0) return 'Query Pool is not declared';
    // Workers not started yet (on demand) count as idle slots of the configured size.
    const size = Math.max(queryPoolSize(node), workers.length);
    const infos = await Promise.all(
      workers.map((w) =>
        w.status === 'running'
          ? node.ask(queryWorkerIn(w.id), { type: 'query.info' }, 2000)
          : Promise.resolve<QueryWorkerInfo | undefined>(undefined),
      ),
    );
    const calls = infos.reduce((s, i) => s + (i?.handled ?? 0) + (i?.failed ?? 0), 0);
    const busy = (i: number): boolean => (workers[i]!.mailboxDepth ?? 0) > 0;
    const details = String(whereObject(inv, node)['details'] ?? 'false').toLowerCase() === 'true';
    if (!details) {
      const slots = workers.map((w, i) => (w.status === 'idle' ? 0 : w.status !== 'running' ? -1 : busy(i) ? 1 : 0));
      while (slots.length < size) slots.push(0);
      return `${`Query Pool with ${size} threads:`.padEnd(60)}[${slots.join(', ')}] (${calls.toLocaleString('en-US')})`;
    }
    return formatTable(
      ['Thread', 'Status', 'Calls', 'Failed', 'Timed out', 'Restarts'],
      workers
        .map((w, n) => [
          n + 1,
          w.status === 'idle' ? 'Not started' : w.status !== 'running' ? 'Restarting' : busy(n) ? 'Busy' : 'Idle',
          (infos[n]?.handled ?? 0) + (infos[n]?.failed ?? 0),
          infos[n]?.failed ?? 0,
          infos[n]?.timedOut ?? 0,
          w.restarts,
        ])
        .concat(
          Array.from({ length: size - workers.length }, (_, i) => [workers.length + i + 1, 'Not started', 0, 0, 0, 0]),
        ),
    );
  },
};

export const queryPoolService: ServiceDescriptor = {
  kind: QUERY_POOL_KIND,
  process: 'Query Pool',
  run: [['query', 'pool']],
  exit: ['query pool'],
  yaml: 'query_pool',
  schema: queryPoolSchema,
  entry: actorEntry(import.meta.url),
  restart: 'permanent',
  shutdownMs: 5000,
  // Worker 1 starts at the first query: an idle node runs no query worker (bench/README.md memory).
  lazy: true,
  helpers(config): HelperSpec[] {
    const threads = Number(config['threads'] ?? 3);
    return Array.from({ length: threads - 1 }, (_, n) => ({
      id: `${QUERY_WORKER_KIND}-${n + 2}`,
      desc: queryWorkerService,
      config: { ...config, index: n + 2 },
      // Started when every running worker is busy (node/query.ts `grow`): an idle node runs worker 1 only.
      onDemand: true,
    }));
  },
  details(_instances, node) {
    return `Threads Pool: ${queryPoolSize(node)}`;
  },
  commands: [setPool, getPool],
};
