// The `sql` command on PostgreSQL (storage/dbms/query.ts). Each query runs in a READ ONLY transaction with a
// `statement_timeout`: past it, the server cancels the query itself (PostgreSQL's query cancel, SQLSTATE 57014).
// Before it runs, the planner's own rendering of it (EXPLAIN VERBOSE, which executes nothing) is checked for the
// functions that reach the server's files, programs or other sessions, or that show its configuration files (the
// views pg_hba_file_rules, pg_file_settings, pg_ident_file_mappings, pg_config are function scans in the plan):
// refused even for a superuser role. Run the
// node as a non-superuser role (without pg_read_server_files, pg_write_server_files, pg_execute_server_program):
// then PostgreSQL itself refuses those functions and COPY to or from files as well.
// A query's temporary files (sorts, hashes past work_mem) are bounded by the server's `temp_file_limit`, which only a
// superuser may set: for a superuser role each query's transaction sets it to the pool's `max_temp_mb`; for any other
// role it is the server's setting (`ALTER ROLE <role> SET temp_file_limit = '1GB'`, run by a superuser; README).
import pg from 'pg';
import { DbmsError, errorMessage } from '../../base/errors.js';
import { Status } from '../../base/status.js';
import { assertReadOnly } from './sql-text.js';
import { ResultBudget, timeoutError, type QueryConnection } from './query.js';
import type { ConnectionConfig, SelectResult } from './types.js';

const REFUSED =
  /\b(pg_read_file|pg_read_binary_file|pg_ls_\w+|pg_stat_file|lo_import|lo_export|lo_get|lo_open|lo_read|loread|lo_from_bytea|pg_file_\w+|dblink\w*|pg_terminate_backend|pg_cancel_backend|pg_reload_conf|pg_rotate_logfile|pg_promote|pg_sleep\w*|set_config|query_to_xml\w*|cursor_to_xml\w*|table_to_xml\w*|schema_to_xml\w*|database_to_xml\w*|pg_logical_\w+|pg_replication_\w+|pg_create_\w+|pg_drop_\w+|pg_switch_wal|pg_backup_\w+|pg_advisory_\w+|pg_notify|currval|nextval|setval|pg_hba_file_rules|pg_ident_file_mappings|pg_show_all_file_settings|pg_current_logfile|pg_config)\s*\(/i;

/** The first refused function named in EXPLAIN (FORMAT JSON)'s plan, if any. */
export function refusedFunction(plan: unknown): string | undefined {
  if (typeof plan === 'string') return REFUSED.exec(plan)?.[1];
  if (Array.isArray(plan)) {
    for (const v of plan) {
      const r = refusedFunction(v);
      if (r) return r;
    }
  } else if (plan && typeof plan === 'object') {
    for (const v of Object.values(plan)) {
      const r = refusedFunction(v);
      if (r) return r;
    }
  }
  return undefined;
}

export class PgQuery implements QueryConnection {
  private constructor(
    readonly name: string,
    private readonly pool: pg.Pool,
    private readonly maxResultBytes: number,
    private readonly maxTempBytes: number,
  ) {}

  /** Whether the role may set temp_file_limit (a superuser): read at the first query. */
  private superuser: boolean | undefined;

  static async open(
    name: string,
    cfg: ConnectionConfig,
    onIdleError: (err: Error) => void,
    maxResultBytes: number,
    maxTempBytes: number,
  ): Promise<PgQuery> {
    const config: pg.PoolConfig = {
      host: cfg.ip ?? '127.0.0.1',
      port: cfg.port ?? 5432,
      user: cfg.user ?? process.env['PGUSER'] ?? 'postgres',
      database: cfg.database ?? name,
      // One query at a time per worker: one connection, reopened by the pool when the server dropped it.
      max: 1,
      options: '-c TimeZone=UTC',
      connectionTimeoutMillis: 5000,
      idleTimeoutMillis: 30_000,
    };
    if (cfg.password !== undefined) config.password = cfg.password;
    const pool = new pg.Pool(config);
    // An idle connection's error (server restart) is reported, not this worker's crash: the next query reconnects.
    pool.on('error', onIdleError);
    return new PgQuery(name, pool, maxResultBytes, maxTempBytes);
  }

  async run(sql: string, timeoutMs: number): Promise<SelectResult> {
    const text = assertReadOnly(sql);
    let c: pg.PoolClient;
    try {
      c = await this.pool.connect();
    } catch (err) {
      throw new DbmsError(`psql ${this.name}: ${errorMessage(err)}`, { cause: err, retriable: true });
    }
    let broken: Error | undefined;
    try {
      await c.query('BEGIN READ ONLY');
      await c.query(`SET LOCAL statement_timeout = ${Math.max(1, Math.round(timeoutMs))}`);
      this.superuser ??= (await c.query<{ is_superuser: string }>('SHOW is_superuser')).rows[0]?.is_superuser === 'on';
      if (this.superuser) await c.query(`SET LOCAL temp_file_limit = '${Math.ceil(this.maxTempBytes / 1024)}kB'`);
      const plan = await c.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (VERBOSE, FORMAT JSON) ${text}`);
      const refused = refusedFunction(plan.rows[0]?.['QUERY PLAN']);
      if (refused)
        throw new DbmsError(`sql: function '${refused.toLowerCase()}' is not allowed in queries`, {
          code: Status.SqlNotSupported,
        });
      const r = await c.query({ text, rowMode: 'array' });
      await c.query('COMMIT');
      // pg hands the rows over whole: the limit is checked before they leave this worker (no copy on the main thread,
      // no reply text); a cursor would bound the worker's share too.
      const budget = new ResultBudget(this.name, this.maxResultBytes);
      for (const row of r.rows as unknown[][]) budget.add(row);
      return { columns: r.fields.map((f) => f.name), rows: r.rows as unknown[][] };
    } catch (err) {
      broken = await rollback(c);
      if ((err as { code?: unknown }).code === '57014') throw timeoutError(this.name, timeoutMs);
      // 53400 configuration_limit_exceeded: "temporary file size exceeds temp_file_limit".
      if ((err as { code?: unknown }).code === '53400' && /temp_file_limit/.test(errorMessage(err)))
        throw new DbmsError(
          `sql ${this.name}: query cancelled: its temporary files passed ${Math.round(this.maxTempBytes / 2 ** 20)} MB (the query pool's max_temp_mb, PostgreSQL's temp_file_limit): sort, group or join fewer rows (where, limit)`,
          { cause: err, code: Status.DataSizeLargerThanBuffer },
        );
      if (err instanceof DbmsError) throw err;
      throw new DbmsError(`psql ${this.name}: ${errorMessage(err)}`, { cause: err, code: Status.SqlFailure });
    } finally {
      c.release(broken);
    }
  }

  /** pg is JavaScript only: a stopping worker may end during a query; the server cancels it when the socket closes. */
  interrupt(): void {}

  async close(): Promise<void> {
    await this.pool.end();
  }
}

async function rollback(c: pg.PoolClient): Promise<Error | undefined> {
  try {
    await c.query('ROLLBACK');
    return undefined;
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}
