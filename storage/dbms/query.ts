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

export async function openQuery(
  name: string,
  cfg: ConnectionConfig,
  dbmsDir: string,
  onIdleError: (err: Error) => void,
): Promise<QueryConnection> {
  if (!DBMS_NAME.test(name))
    throw new DbmsError(`dbms name '${name}': use letters, digits and _ (up to 63)`, { code: Status.CommandStructure });
  switch (cfg.type) {
    case 'sqlite': {
      const { SqliteQuery } = await import('./sqlite-query.js');
      // `memory = true` is a file under tmp_dir by now (storage/registry.ts).
      return SqliteQuery.open(name, cfg.file ?? join(dbmsDir, `${name}.dbms`));
    }
    case 'psql': {
      const { PgQuery } = await import('./pg-query.js');
      return PgQuery.open(name, cfg, onIdleError);
    }
  }
}
