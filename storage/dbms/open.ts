// Opens the adapter for a logical dbms from its connection config.
import { join } from 'node:path';
import { DbmsError } from '../../base/errors.js';
import type { ConnectionConfig, DbmsAdapter } from './types.js';
import { Status } from '../../base/status.js';

export interface OpenOptions {
  /** `<root>/data/dbms`: where SQLite files live (`<name>.dbms`, as EdgeLake names them). */
  dbmsDir: string;
  queryOnly?: boolean;
  /** An idle PostgreSQL connection failed (the next query reconnects): report it. */
  onIdleError: (err: Error) => void;
}

export const DBMS_NAME = /^[a-z_][a-z0-9_]{0,62}$/i;

export async function openDbms(name: string, cfg: ConnectionConfig, opts: OpenOptions): Promise<DbmsAdapter> {
  if (!DBMS_NAME.test(name))
    throw new DbmsError(`dbms name '${name}': use letters, digits and _ (up to 63)`, { code: Status.CommandStructure });
  switch (cfg.type) {
    // Engines load on first use: a thread that never talks to PostgreSQL never loads `pg`.
    case 'sqlite': {
      const { SqliteAdapter } = await import('./sqlite.js');
      const path = cfg.memory ? ':memory:' : (cfg.file ?? join(opts.dbmsDir, `${name}.dbms`));
      return new SqliteAdapter(name, path, opts.queryOnly ? { queryOnly: true } : {});
    }
    case 'psql': {
      const { PostgresAdapter } = await import('./postgres.js');
      return PostgresAdapter.connect(name, cfg, opts.onIdleError);
    }
  }
}
