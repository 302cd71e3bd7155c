// Queries go to the Query Pool (actors/query-pool/): worker threads that each run one query at a time, so no
// query runs on the main thread. The node picks the least busy worker and asks it; a caller on a worker thread asks
// the node (`node.query`, node/messages.ts), which does the same. The pool's mailbox lives above node/, so its
// members the node sends are declared here (as node/notices.ts does for other services).
import { AskTimeoutError, DbmsError, EdgeRtError, errorMessage } from '../base/errors.js';
import { Status } from '../base/status.js';
import { actorAddress, type Ask, type AskMessage, type ReplyOf } from '../runtime/address.js';
import type { QueryPlan } from '../protocols/sql/plan.js';
import type { Consolidated } from './query/consolidate.js';
import type { RowsPart } from './query/network-query.js';
import type { ConnectionConfig } from '../storage/dbms/types.js';
import type { NodeApi, ServiceInstance } from './service.js';

/** The result of one query: column names and rows (values as the engine gave them), and its time on the worker. */
export interface QueryResult {
  columns: string[];
  rows: unknown[][];
  ms: number;
}

/**
 * What the node asks a query worker: run `sql` on `dbms` (whose connection config it passes) within `timeoutMs`,
 * counted from `askedAt` (Date.now() when the node was asked): the time it waited in a busy worker's mailbox counts, so
 * a query whose caller has given up is answered at once instead of holding the worker for a full timeout.
 */
export type QueryRun = Ask<
  { type: 'query.run'; dbms: string; config: ConnectionConfig; sql: string; timeoutMs: number; askedAt: number },
  QueryResult
>;

/**
 * The query pool's actor kinds: the service's own actor (`query-pool`, worker 1, started at the first query) and its
 * helpers (`query-worker-<n>`, started when every running worker is busy).
 */
export const QUERY_POOL_KIND = 'query-pool';
export const QUERY_WORKER_KIND = 'query-worker';

/**
 * What the node asks a query worker besides a query: the second pass of a network query (`consolidate`, pure: the
 * plan and the operators' answers in, the consolidated rows out), within `timeoutMs` from `askedAt`.
 */
export type QueryConsolidate = Ask<
  { type: 'query.consolidate'; plan: QueryPlan; parts: RowsPart[]; timeoutMs: number; askedAt: number },
  Consolidated
>;

/** Every ask the node sends a query worker. */
export type QueryAsk = QueryRun | QueryConsolidate;

export const queryWorkerAt = (id: string) => actorAddress<QueryAsk>(id);

/**
 * Time the node waits beyond a query's own timeout for its worker's answer (the worker interrupts it first). Past it
 * the caller is answered with the timeout (error 26) whatever the worker does: a query waiting behind a longer one
 * in a busy worker's mailbox was answered only when that worker was free, after its caller (a REST client) had gone.
 */
const ANSWER_GRACE_MS = 1000;

export interface QueryRequest {
  dbms: string;
  sql: string;
  /** Per-call timeout; absent: the pool's `timeout` (node default). */
  timeoutMs?: number;
  /**
   * The caller is not the node's owner (a REST client, a TCP peer): its `timeoutMs` may shorten the pool's timeout,
   * not lengthen it. `timeout = 2000000` by REST held a worker for 23 days, and three such calls every query.
   */
  fromOutside?: boolean;
}

/** The longest delay a Node.js timer takes (a longer one fires at once): the owner's longest per-call timeout. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export function queryWorkers(node: NodeApi): ServiceInstance[] {
  return [...node.instances(QUERY_POOL_KIND), ...node.instances(QUERY_WORKER_KIND)];
}

/** The pool's configured size (`threads`): workers 2..n start on demand, so fewer may run. */
export function queryPoolSize(node: NodeApi): number {
  const pool = node.instances(QUERY_POOL_KIND)[0];
  return pool ? Number(pool.config['threads'] ?? 3) : 0;
}

/** Worker ids being started for a query, per node: concurrent queries each start a different one. */
const growing = new WeakMap<NodeApi, Set<string>>();

/**
 * Starts the next query worker when every running one is busy and the pool has fewer than `threads` (workers 2..n
 * are on-demand helpers, actors/query-pool/service.ts: an idle worker costs 8-14 MB). Resolves with it, or with
 * undefined when the pool is full or the start failed (the query then waits for a busy worker).
 */
async function grow(node: NodeApi, started: ServiceInstance[]): Promise<ServiceInstance | undefined> {
  const size = queryPoolSize(node);
  if (!node.startHelper || started.length >= size) return undefined;
  const pending = growing.get(node) ?? new Set<string>();
  growing.set(node, pending);
  if (started.length + pending.size >= size) return undefined;
  const have = new Set([...started.map((w) => w.id), ...pending]);
  let id: string | undefined;
  for (let n = 2; n <= size && id === undefined; n++)
    if (!have.has(`${QUERY_WORKER_KIND}-${n}`)) id = `${QUERY_WORKER_KIND}-${n}`;
  if (id === undefined) return undefined;
  pending.add(id);
  try {
    await node.startHelper(QUERY_POOL_KIND, id);
    return node.instances(QUERY_WORKER_KIND).find((w) => w.id === id && w.status === 'running');
  } catch (err) {
    // The pool was stopped or resized meanwhile, or the thread failed to start: the query goes to a busy worker.
    node.log.warn('query worker not started on demand', { id, error: errorMessage(err) });
    return undefined;
  } finally {
    pending.delete(id);
  }
}

/**
 * Queries sent to each worker and not answered yet, per node: a worker's mailbox depth may not show a query sent in
 * the same turn (two first queries resume together once the lazy worker 1 runs, and the second must see the first).
 */
const inFlight = new WeakMap<NodeApi, Map<string, number>>();

function flightsOf(node: NodeApi): Map<string, number> {
  let flights = inFlight.get(node);
  if (!flights) inFlight.set(node, (flights = new Map()));
  return flights;
}

function load(node: NodeApi, w: ServiceInstance): number {
  return Math.max(w.mailboxDepth ?? 0, inFlight.get(node)?.get(w.id) ?? 0);
}

/** Runs one query in the pool: on the running worker with the fewest messages waiting (a new one if all are busy). */
export async function runQuery(node: NodeApi, q: QueryRequest): Promise<QueryResult> {
  // The timeout counts from here: a worker's start on demand and the wait for a busy one are part of it.
  const askedAt = Date.now();
  const entry = node.dbms.list().find((d) => d.name === q.dbms);
  if (!entry)
    throw new DbmsError(`dbms '${q.dbms}' is not connected (use 'connect dbms ${q.dbms} where type = sqlite')`, {
      code: Status.DbmsNotOpened,
    });
  const label = `sql ${q.dbms}`;
  const worker = await pickWorker(node, label);
  const poolMs = Number(worker.config['timeout'] ?? 30) * 1000;
  const timeoutMs = Math.min(
    q.timeoutMs === undefined ? poolMs : q.fromOutside ? Math.min(q.timeoutMs, poolMs) : q.timeoutMs,
    MAX_TIMER_MS,
  );
  return askWorker(
    node,
    worker,
    label,
    { type: 'query.run', dbms: q.dbms, config: entry.config, sql: q.sql, timeoutMs, askedAt },
    askedAt,
    timeoutMs,
  );
}

/**
 * The second pass of a network query (node/query/network-query.ts `consolidate`: the operators' rows into an
 * in-memory SQLite table, the plan's local query over it) on a query worker, not on the node's thread: a large
 * answer or a costly local query holds a worker, never the control socket. Its time is the pool's query timeout,
 * from when it is asked (the query's own timeout is the peers': the time they have to answer).
 */
export async function consolidateInPool(node: NodeApi, plan: QueryPlan, parts: RowsPart[]): Promise<Consolidated> {
  const label = 'run client: query consolidation';
  const worker = await pickWorker(node, label);
  const timeoutMs = Math.min(Number(worker.config['timeout'] ?? 30) * 1000, MAX_TIMER_MS);
  const askedAt = Date.now();
  return askWorker(
    node,
    worker,
    label,
    { type: 'query.consolidate', plan, parts, timeoutMs, askedAt },
    askedAt,
    timeoutMs,
  );
}

/**
 * The running worker with the fewest messages waiting, started when none runs (the pool's first worker starts at
 * the first query) and a new one when all are busy and the pool has room.
 */
async function pickWorker(node: NodeApi, label: string): Promise<ServiceInstance> {
  let all = queryWorkers(node);
  let running = all.filter((w) => w.status === 'running');
  // `starting`: a concurrent first query is starting it (startHelper then waits for the same start).
  const idle = all.find((w) => w.status === 'idle' || w.status === 'starting');
  if (running.length === 0 && idle && node.startHelper) {
    // The pool's first worker starts at the first query (actors/query-pool/service.ts `lazy`); the node's thread
    // only creates the worker and waits for its `ready` message, so the control socket keeps answering.
    await node.startHelper(idle.id, idle.id).catch((err: unknown) => {
      throw new DbmsError(`${label}: the query pool's worker did not start: ${errorMessage(err)}`, {
        code: Status.ProcessFailure,
        cause: err,
        retriable: true,
      });
    });
    all = queryWorkers(node);
    running = all.filter((w) => w.status === 'running');
  }
  if (running.length === 0)
    throw new DbmsError(
      all.length === 0 ? "Query Pool is not running (use 'set query pool <n>')" : 'Query Pool is restarting',
      // The node cannot serve queries now: not the caller's mistake (REST answers 503).
      { code: Status.ProcessFailure, retriable: true },
    );
  let worker = running.reduce((a, b) => (load(node, b) < load(node, a) ? b : a));
  if (load(node, worker) > 0) worker = (await grow(node, all)) ?? worker;
  // Counted in flight at once, in the same turn as the choice: a query picked next sees this one (askWorker ends it).
  const flights = flightsOf(node);
  flights.set(worker.id, (flights.get(worker.id) ?? 0) + 1);
  return worker;
}

/**
 * Asks `worker` (counted in flight by `pickWorker`; no longer once answered); its failures as the caller's errors
 * (timeout 26, crash 100).
 */
async function askWorker<T extends QueryAsk['type']>(
  node: NodeApi,
  worker: ServiceInstance,
  label: string,
  msg: AskMessage<QueryAsk, T>,
  askedAt: number,
  timeoutMs: number,
): Promise<ReplyOf<QueryAsk, T>> {
  const flights = flightsOf(node);
  const id = worker.id;
  return node
    .ask(queryWorkerAt(worker.id), msg, Math.max(0, askedAt + timeoutMs - Date.now()) + ANSWER_GRACE_MS)
    .catch((err: unknown) => {
      if (err instanceof EdgeRtError && err.code !== undefined) throw err;
      // The worker did not answer in time: busy with another query (this one is answered unrun when its turn
      // comes, its answer dropped), or stuck in an interrupt.
      if (err instanceof AskTimeoutError)
        throw new DbmsError(`${label}: no answer within the query timeout (${timeoutMs} ms): ${worker.id} is busy`, {
          code: Status.Timeout,
          cause: err,
        });
      // The worker crashed, stopped or did not answer: the query fails with the reason, the pool replaces it.
      throw new DbmsError(`${label}: ${worker.id}: ${errorMessage(err)}`, {
        code: Status.ProcessFailure,
        cause: err,
        retriable: true,
      });
    })
    .finally(() => {
      const n = (flights.get(id) ?? 1) - 1;
      if (n > 0) flights.set(id, n);
      else flights.delete(id);
    });
}
