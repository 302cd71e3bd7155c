// PostgreSQL through `pg`. A logical dbms maps to a PostgreSQL database of the same name (EdgeLake's
// convention; `database` overrides it); when it does not exist yet it is created through the
// `postgres` maintenance database. Rows go in with COPY FROM STDIN (pg-copy.ts), which measured
// fastest against json_to_recordset and multi-row VALUES (bench/ingest-pg.ts). Identifiers are quoted;
// values travel as COPY data or bound parameters, never as SQL text.
import pg from 'pg';
import { DbmsError, errorMessage } from '../../base/errors.js';
import { assertReadOnly, quoteIdent } from './sql-text.js';
import { copyBatch } from './pg-copy.js';
import {
  FILES_TABLE,
  POSITIONS_TABLE,
  positionKey,
  type ColumnInfo,
  type ConnectionConfig,
  type DbmsAdapter,
  type FileRecord,
  type InsertBatch,
  type JournalPosition,
  type SelectResult,
} from './types.js';
import { Status } from '../../base/status.js';

export class PostgresAdapter implements DbmsAdapter {
  readonly engine = 'psql' as const;

  private constructor(
    readonly name: string,
    private readonly pool: pg.Pool,
  ) {}

  /** `onIdleError`: an idle pooled connection failed (server restart); the next query reconnects. */
  static async connect(
    name: string,
    cfg: ConnectionConfig,
    onIdleError: (err: Error) => void,
  ): Promise<PostgresAdapter> {
    const database = cfg.database ?? name;
    const base: pg.PoolConfig = {
      host: cfg.ip ?? '127.0.0.1',
      port: cfg.port ?? 5432,
      user: cfg.user ?? process.env['PGUSER'] ?? 'postgres',
      max: 4,
      // EdgeLake's times are UTC: NOW() defaults and offset-less text must not follow the server's zone.
      options: '-c TimeZone=UTC',
      connectionTimeoutMillis: 5000,
      idleTimeoutMillis: 30_000,
    };
    if (cfg.password !== undefined) base.password = cfg.password;
    let pool = new pg.Pool({ ...base, database });
    // An idle client's error (server restart) must not crash the worker: report it and go on.
    pool.on('error', onIdleError);
    try {
      await pool.query('SELECT 1');
    } catch (err) {
      await pool.end();
      if ((err as { code?: string }).code !== '3D000')
        throw new DbmsError(
          `psql ${name}: cannot connect to ${base.host}:${base.port}/${database}: ${errorMessage(err)}`,
          { cause: err, retriable: true },
        );
      // 3D000: the database does not exist yet.
      const admin = new pg.Client({ ...base, database: 'postgres' });
      try {
        await admin.connect();
        await admin.query(`CREATE DATABASE ${quoteIdent(database)}`);
      } catch (e) {
        throw new DbmsError(`psql ${name}: cannot create database ${database}: ${errorMessage(e)}`, { cause: e });
      } finally {
        await admin.end();
      }
      pool = new pg.Pool({ ...base, database });
      pool.on('error', onIdleError);
    }
    const a = new PostgresAdapter(name, pool);
    await a.pool.query(
      `CREATE TABLE IF NOT EXISTS ${POSITIONS_TABLE} (tbl TEXT NOT NULL, stream TEXT NOT NULL, seq BIGINT NOT NULL, PRIMARY KEY (tbl, stream));` +
        `CREATE TABLE IF NOT EXISTS ${FILES_TABLE} (name TEXT PRIMARY KEY, hash TEXT NOT NULL, rows INTEGER NOT NULL, done BOOLEAN NOT NULL, at TIMESTAMP NOT NULL DEFAULT NOW());`,
    );
    return a;
  }

  async listTables(): Promise<string[]> {
    const r = await this.pool.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`,
    );
    return r.rows.map((x) => x.table_name);
  }

  async describe(table: string): Promise<ColumnInfo[] | undefined> {
    const r = await this.pool.query<{
      column_name: string;
      data_type: string;
      character_maximum_length: number | null;
      is_nullable: string;
    }>(
      `SELECT column_name, data_type, character_maximum_length, is_nullable FROM information_schema.columns
       WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position`,
      [table],
    );
    if (r.rows.length === 0) return undefined;
    return r.rows.map((c) => ({
      name: c.column_name,
      type:
        c.data_type === 'character' && c.character_maximum_length
          ? `char(${c.character_maximum_length})`
          : c.data_type.toLowerCase(),
      notNull: c.is_nullable === 'NO',
    }));
  }

  async execDDL(statements: readonly string[]): Promise<void> {
    await this.tx(async (c) => {
      for (const s of statements) await c.query(s);
    });
  }

  private async tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const c = await this.pool.connect();
    let broken: Error | undefined;
    // A checked-out client whose connection dies (pg_terminate_backend, a server restart) emits
    // 'error'; the pool listens only to idle clients, so without this the worker would crash. The
    // query in flight fails with the same error, which is what the caller gets.
    const lost = (err: Error): void => {
      broken = err;
    };
    c.on('error', lost);
    try {
      await c.query('BEGIN');
      const r = await fn(c);
      await c.query('COMMIT');
      return r;
    } catch (err) {
      broken ??= await rollback(c);
      throw new DbmsError(`psql ${this.name}: ${errorMessage(err)}`, { cause: err, retriable: true });
    } finally {
      c.off('error', lost);
      // A connection whose rollback failed (or that died) is destroyed, not returned to the pool.
      c.release(broken);
    }
  }

  async write(
    batches: readonly InsertBatch[],
    positions: readonly JournalPosition[],
    files: readonly FileRecord[],
  ): Promise<number> {
    return this.tx(async (c) => {
      let rows = 0;
      for (const b of batches) rows += await copyBatch(c, b, quoteIdent);
      for (const p of positions) {
        await c.query(
          `INSERT INTO ${POSITIONS_TABLE} (tbl, stream, seq) VALUES ($1, $2, $3) ON CONFLICT (tbl, stream) DO UPDATE SET seq = GREATEST(${POSITIONS_TABLE}.seq, excluded.seq)`,
          [p.table, p.stream, p.seq],
        );
      }
      for (const f of files) {
        await c.query(
          `INSERT INTO ${FILES_TABLE} (name, hash, rows, done) VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO UPDATE SET rows = excluded.rows, done = excluded.done, at = NOW()`,
          [f.name, f.hash, f.rows, f.done],
        );
      }
      return rows;
    });
  }

  async positions(): Promise<Map<string, number>> {
    const r = await this.pool.query<{ tbl: string; stream: string; seq: string }>(
      `SELECT tbl, stream, seq FROM ${POSITIONS_TABLE}`,
    );
    return new Map(r.rows.map((x) => [positionKey(x.tbl, x.stream), Number(x.seq)]));
  }

  async fileProgress(name: string): Promise<{ rows: number; done: boolean } | undefined> {
    const r = await this.pool.query<{ rows: number; done: boolean }>(
      `SELECT rows, done FROM ${FILES_TABLE} WHERE name = $1`,
      [name],
    );
    return r.rows[0];
  }

  async modify(sql: string, params: readonly unknown[]): Promise<unknown[][]> {
    try {
      const r = await this.pool.query({ text: sql, values: [...params], rowMode: 'array' });
      return r.rows as unknown[][];
    } catch (err) {
      throw new DbmsError(`psql ${this.name}: ${errorMessage(err)}`, { cause: err, retriable: true });
    }
  }

  async select(sql: string, params: readonly unknown[] = []): Promise<SelectResult> {
    const text = assertReadOnly(sql);
    const c = await this.pool.connect();
    let broken: Error | undefined;
    const lost = (err: Error): void => {
      broken = err;
    };
    c.on('error', lost);
    try {
      await c.query('BEGIN READ ONLY');
      const r = await c.query({ text, values: [...params], rowMode: 'array' });
      await c.query('COMMIT');
      return { columns: r.fields.map((f) => f.name), rows: r.rows as unknown[][] };
    } catch (err) {
      broken ??= await rollback(c);
      throw new DbmsError(`psql ${this.name}: ${errorMessage(err)}`, { cause: err, code: Status.SqlFailure });
    } finally {
      c.off('error', lost);
      c.release(broken);
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** Rolls back; returns the error if even that failed (the connection is then unusable). */
async function rollback(c: pg.PoolClient): Promise<Error | undefined> {
  try {
    await c.query('ROLLBACK');
    return undefined;
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}
