// A connection that runs the `sql` command's queries (the query pool's workers own one per dbms): one query at a
// time, read-only and sandboxed by the engine, and interrupted when it runs past its time (sqlite-query.ts,
// pg-query.ts). Internal queries the node writes itself keep using DbmsAdapter.select.
import { join } from 'node:path';
import { DbmsError } from '../../base/errors.js';
import { Status } from '../../base/status.js';
import { DBMS_NAME } from './open.js';
import type { ConnectionConfig, SelectResult } from './types.js';
import type { CatalogRead } from './partition-query.js';

export interface QueryConnection {
  readonly name: string;
  /** Runs one read-only query; rejects with a DbmsError (code Timeout when it ran past `timeoutMs`). */
  run(sql: string, timeoutMs: number): Promise<SelectResult>;
  /**
   * The same, with `sql` first rewritten by `rewrite`, which may read the catalog on the query's own connection
   * (partition-query.ts `withPartitions`). Absent: rewrite with `sandboxedCatalog` and `run`.
   */
  runRewritten?(sql: string, timeoutMs: number, rewrite: (read: CatalogRead) => Promise<string>): Promise<SelectResult>;
  /**
   * Stops the query in progress now (the worker is stopping): its `run` rejects soon after. The worker's thread must
   * not end while libsql works for it (libsql-js aborts the process then), so a stop interrupts and waits.
   */
  interrupt(): void;
  close(): Promise<void>;
}

export function timeoutError(name: string, timeoutMs: number): DbmsError {
  return new DbmsError(`sql ${name}: query interrupted after ${timeoutMs} ms (the query timeout)`, {
    code: Status.Timeout,
  });
}

/** The most bytes of rows a query returns unless told (the query pool's `max_result_mb`). */
export const DEFAULT_MAX_RESULT_MB = 64;

/**
 * Counts a result's size as its rows are read; past `max` the query fails (error 9) before more rows are held. A
 * result is held several times over on its way out (the rows on the query worker, their copy on the main thread, the
 * reply text): one REST `sql` of 400 MB of rows took the node to 1.9 GB RSS. The count is of what the reply prints:
 * a string's length, 8 for a number, a blob's bytes, plus a little for each row.
 */
export class ResultBudget {
  private used = 0;

  constructor(
    private readonly name: string,
    private readonly max: number,
  ) {}

  add(row: readonly unknown[]): void {
    let n = 8;
    for (const v of row) n += valueBytes(v);
    this.used += n;
    if (this.used > this.max)
      throw new DbmsError(
        `sql ${this.name}: the result is larger than ${Math.round(this.max / 2 ** 20)} MB (the query pool's max_result_mb): ask for fewer rows or columns (where, limit, an aggregate)`,
        { code: Status.DataSizeLargerThanBuffer },
      );
  }
}

function valueBytes(v: unknown): number {
  if (typeof v === 'string') return v.length;
  if (v === null || v === undefined || typeof v !== 'object') return 8;
  if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer) return v.byteLength;
  if (v instanceof Date) return 24;
  // PostgreSQL json, arrays and other parsed values: the text they print as.
  return JSON.stringify(v)?.length ?? 8;
}

/**
 * The most disk a query's temporary files may take unless told (the query pool's `max_temp_mb`). SQLite: the temp
 * files opened in the process while it runs (sqlite-temp.ts says why); PostgreSQL: its temp_file_limit (pg-query.ts).
 */
export const DEFAULT_MAX_TEMP_MB = 1024;

export async function openQuery(
  name: string,
  cfg: ConnectionConfig,
  dbmsDir: string,
  /**
   * A connection's failure that is no query's answer (PostgreSQL: an idle client dropped; SQLite: a closed query's
   * cache not released).
   */
  onAsideError: (err: Error) => void,
  maxResultBytes = DEFAULT_MAX_RESULT_MB * 2 ** 20,
  maxTempBytes = DEFAULT_MAX_TEMP_MB * 2 ** 20,
): Promise<QueryConnection> {
  if (!DBMS_NAME.test(name))
    throw new DbmsError(`dbms name '${name}': use letters, digits and _ (up to 63)`, { code: Status.CommandStructure });
  switch (cfg.type) {
    case 'sqlite': {
      const { SqliteQuery } = await import('./sqlite-query.js');
      // `memory = true` is a file under tmp_dir by now (storage/registry.ts).
      return SqliteQuery.open(
        name,
        cfg.file ?? join(dbmsDir, `${name}.dbms`),
        onAsideError,
        maxResultBytes,
        maxTempBytes,
      );
    }
    case 'psql': {
      const { PgQuery } = await import('./pg-query.js');
      return PgQuery.open(name, cfg, onAsideError, maxResultBytes, maxTempBytes);
    }
  }
}
