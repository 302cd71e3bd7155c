// Opens the adapter for a logical dbms from its connection config.
import { join } from 'node:path';
import { DbmsError } from '../../base/errors.js';
import type { ConnectionConfig, DbmsAdapter } from './types.js';
import { Status } from '../../base/status.js';
import type { SqliteOpenOptions, SqliteOptions } from './sqlite.js';

export interface OpenOptions {
  /** `<root>/data/dbms`: where SQLite files live (`<name>.dbms`, as EdgeLake names them). */
  dbmsDir: string;
  queryOnly?: boolean;
  /** An idle PostgreSQL connection failed (the next query reconnects): report it. */
  onIdleError: (err: Error) => void;
  /** SQLite busy timeout (ms, default 5000): how long one statement waits for another connection's lock. */
  busyTimeoutMs?: number;
  /** A SQLite file another process holds locked: told of each retry of the open (bounded, see sqlite.ts). */
  onLocked?: (attempt: number, err: unknown) => void;
  /** How long the open keeps retrying a locked SQLite file (ms, default 60,000). */
  lockWaitMs?: number;
  /** The dbms's writer (the operator's connection): SQLite keeps its write-ahead log bounded (sqlite-wal.ts). */
  onCheckpoint?: SqliteOptions['onCheckpoint'];
  /** With `onCheckpoint`: the log is copied on a thread of its own (sqlite-copier.ts). */
  copyOffThread?: boolean;
}

export const DBMS_NAME = /^[a-z_][a-z0-9_]{0,62}$/i;

/** Throws for a dbms name that is not one (it names a file: `<dbms_dir>/<name>.dbms`). */
export function checkDbmsName(name: string): void {
  if (!DBMS_NAME.test(name))
    throw new DbmsError(`dbms name '${name}': use letters, digits and _ (up to 63)`, { code: Status.CommandStructure });
}

export async function openDbms(name: string, cfg: ConnectionConfig, opts: OpenOptions): Promise<DbmsAdapter> {
  checkDbmsName(name);
  switch (cfg.type) {
    // Engines load on first use: a thread that never talks to PostgreSQL never loads `pg`.
    case 'sqlite': {
      const { SqliteAdapter } = await import('./sqlite.js');
      const path = cfg.memory ? ':memory:' : (cfg.file ?? join(opts.dbmsDir, `${name}.dbms`));
      const o: SqliteOpenOptions = {};
      if (opts.queryOnly) o.queryOnly = true;
      if (opts.busyTimeoutMs !== undefined) o.busyTimeoutMs = opts.busyTimeoutMs;
      if (opts.onLocked) o.onLocked = opts.onLocked;
      if (opts.lockWaitMs !== undefined) o.lockWaitMs = opts.lockWaitMs;
      if (opts.onCheckpoint) o.onCheckpoint = opts.onCheckpoint;
      if (opts.copyOffThread) o.copyOffThread = true;
      return SqliteAdapter.open(name, path, o);
    }
    case 'psql': {
      const { PostgresAdapter } = await import('./postgres.js');
      return PostgresAdapter.connect(name, cfg, opts.onIdleError);
    }
  }
}
