// A query worker (EdgeLake's Query Pool thread): runs one `sql` query at a time on its own read-only connections,
// one per dbms, opened at the first query (storage/dbms/query.ts: the sandbox and the timeout are there). The
// mailbox hands the queries over one by one; the node sends each to the least busy worker (node/query.ts).
// A crash fails the query in progress (and those waiting in this worker's mailbox) with an error, and the
// supervisor replaces the worker. Stopping interrupts the query in progress and waits for it: libsql-js aborts the
// whole process when a thread ends while the library works for it.
import { defineActor } from '../../runtime/actor.js';
import { isolateGc } from '../../runtime/gc.js';
import { DbmsError, EdgeRtError, assertNever, errorMessage } from '../../base/errors.js';
import { Status } from '../../base/status.js';
import { openQuery, type QueryConnection } from '../../storage/dbms/query.js';
import type { SelectResult } from '../../storage/dbms/types.js';
import type { QueryResult } from '../../node/query.js';
import { queryWorkerSchema, type QueryWorkerConfig } from './config.js';
import type { QueryWorkerIn, QueryWorkerInfo } from './messages.js';
import { CollectSchedule } from './release.js';
import { sandboxedCatalog, withPartitions } from '../../storage/dbms/partition-query.js';
import { consolidate } from '../../node/query/network-query.js';

/** This isolate's `gc` (workers start with it exposed: runtime/spawn-host.ts); undefined elsewhere. */
const gc = isolateGc();

/** 50 ms rounds of interrupts at stop: 4 s, within the 5 s the supervisor gives a stopping worker. */
const STOP_ROUNDS = 80;

interface Open {
  /** The connection config it was opened with (a dbms reconnected with another config gets a new one). */
  key: string;
  conn: QueryConnection;
}

interface State {
  cfg: QueryWorkerConfig;
  conns: Map<string, Open>;
  /** The query in progress, for `stop` to wait on. */
  current: Promise<SelectResult> | undefined;
  handled: number;
  failed: number;
  timedOut: number;
  /** When the full collection after SQLite queries is due (release.ts). */
  collect: CollectSchedule;
}

export default defineActor<QueryWorkerConfig, State, QueryWorkerIn>({
  kind: 'query-worker',
  config: (raw) => queryWorkerSchema.parse(raw),
  init(ctx, cfg) {
    return {
      cfg,
      conns: new Map(),
      current: undefined,
      handled: 0,
      failed: 0,
      timedOut: 0,
      collect: new CollectSchedule(ctx.clock, () => ctx.send(ctx.self, { type: 'query.collect' })),
    };
  },
  async handle(state, msg, ctx) {
    switch (msg.type) {
      case 'query.run': {
        const t0 = performance.now();
        const key = JSON.stringify(msg.config);
        let open = state.conns.get(msg.dbms);
        // What is left of the query's timeout after its wait in this mailbox (node/query.ts `QueryRun`).
        const leftMs = msg.timeoutMs - (Date.now() - msg.askedAt);
        try {
          if (leftMs <= 0)
            throw new DbmsError(
              `sql ${msg.dbms}: not run: the query waited ${msg.timeoutMs - leftMs} ms for a busy query worker, past its timeout of ${msg.timeoutMs} ms`,
              { code: Status.Timeout },
            );
          if (!open || open.key !== key) {
            if (open) await open.conn.close();
            state.conns.delete(msg.dbms);
            const conn = await openQuery(
              msg.dbms,
              msg.config,
              ctx.node.dirs['dbms_dir']!,
              (err) =>
                ctx.log.warn("query connection error beside a query's answer", { dbms: msg.dbms, error: err.message }),
              state.cfg.max_result_mb * 2 ** 20,
              state.cfg.max_temp_mb * 2 ** 20,
            );
            open = { key, conn };
            state.conns.set(msg.dbms, open);
          }
          // A partitioned table is read with its partition tables (storage/dbms/partition-query.ts).
          const conn = open.conn;
          const engine = msg.config.type;
          state.current = conn.runRewritten
            ? conn.runRewritten(msg.sql, leftMs, (read) => withPartitions(read, engine, msg.sql))
            : withPartitions(sandboxedCatalog(conn, engine, leftMs), engine, msg.sql).then((sql) =>
                conn.run(sql, leftMs),
              );
          const r = await state.current;
          state.handled++;
          return { columns: r.columns, rows: r.rows, ms: performance.now() - t0 } satisfies QueryResult;
        } catch (err) {
          state.failed++;
          if (err instanceof DbmsError && err.code === Status.Timeout) {
            state.timedOut++;
            ctx.log.warn('query timed out', { dbms: msg.dbms, timeoutMs: msg.timeoutMs, sql: msg.sql.slice(0, 200) });
            // The connection counted from the query's start, with what was left of the timeout: name the caller's
            // (a wait under 100 ms is the message's way here, and the connection's own text says as much).
            const waited = Math.round(msg.timeoutMs - leftMs);
            if (leftMs > 0 && waited >= 100)
              throw new DbmsError(
                `sql ${msg.dbms}: query interrupted at its timeout of ${msg.timeoutMs} ms (${waited} ms of it waiting for a query worker)`,
                { code: Status.Timeout, cause: err },
              );
          }
          throw err;
        } finally {
          state.current = undefined;
          // Its closed connections keep their descriptors until their statements are collected (release.ts): a young
          // collection once the answer is on its way, a full one within a second.
          if (msg.config.type === 'sqlite') {
            setImmediate(() => gc?.({ type: 'minor' }));
            state.collect.afterQuery();
          }
        }
      }
      case 'query.consolidate': {
        // The operators' rows into an in-memory SQLite table and the plan's local query over it: synchronous, so
        // this worker is busy until it ends (the node answers the caller at the timeout, then this answer is dropped).
        if (Date.now() - msg.askedAt >= msg.timeoutMs)
          throw new DbmsError(
            `run client: query consolidation not run: it waited ${Date.now() - msg.askedAt} ms for a busy query worker, past the timeout of ${msg.timeoutMs} ms`,
            { code: Status.Timeout },
          );
        try {
          const out = consolidate(msg.plan, msg.parts);
          state.handled++;
          return out;
        } catch (err) {
          state.failed++;
          // A peer's answer or the local query failed: that query's error, never this worker's crash (an untyped
          // error would end the worker and every query waiting in its mailbox).
          if (err instanceof EdgeRtError && err.code !== undefined) throw err;
          throw new DbmsError(`run client: query consolidation: ${errorMessage(err)}`, {
            code: Status.SqlFailure,
            cause: err,
          });
        } finally {
          // The in-memory database is closed; its statements go with the next collections (as a query's).
          setImmediate(() => gc?.({ type: 'minor' }));
          state.collect.afterQuery();
        }
      }
      case 'query.info':
        return {
          id: ctx.self,
          handled: state.handled,
          failed: state.failed,
          timedOut: state.timedOut,
          open: [...state.conns.keys()],
        } satisfies QueryWorkerInfo;
      case 'query.collect':
        // `gc()`, not `gc({ type: 'major' })`: in this V8 only the former let libsql's closed connections go (a probe
        // of 20 queries with promoted statements: 12 descriptors after each `gc()`; 18 growing to 50 with the latter,
        // which did not run their native finalizers).
        gc?.();
        state.collect.collected();
        return undefined;
      case 'query.fault':
        throw new Error('query worker fault injected');
      default:
        return assertNever(msg, 'query worker message');
    }
  },
  async stop(state, _reason, ctx) {
    // Interrupt until the query in progress settles (an interrupt before its step started is dropped by SQLite).
    let settled = state.current === undefined;
    void state.current?.then(
      () => (settled = true),
      () => (settled = true),
    );
    for (let i = 0; !settled && i < STOP_ROUNDS; i++) {
      for (const o of state.conns.values()) o.conn.interrupt();
      await new Promise((r) => setTimeout(r, 50));
    }
    if (!settled) ctx.log.error('query still running after interrupts: the worker ends under it', {});
    state.collect.stop();
    for (const [dbms, o] of state.conns) {
      try {
        await o.conn.close();
      } catch (err) {
        ctx.log.warn('query connection close failed', { dbms, error: errorMessage(err) });
      }
    }
  },
});
