// The node's logical databases (`connect dbms`), on the main thread. Each has a read-only
// connection here for `get tables`, `get columns` and the node's own reads; `sql` runs in the Query Pool's
// workers on their own connections (node/query.ts); the operator opens its own writing connection from the same
// config (it asks the node for the list).
// A SQLite dbms is checked at `connect` without SQLite (sqlite-file.ts) and its reader opens at its first use, so
// that the main thread of a node whose commands read no database never loads libsql (bench/README.md, memory);
// PostgreSQL's reader connects at `connect`, which is its check.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { DbmsError, errorMessage } from '../base/errors.js';
import type { Logger } from '../base/log.js';
import { checkDbmsName, openDbms, type OpenOptions } from './dbms/open.js';
import { OnDemandAdapter } from './dbms/on-demand.js';
import { checkSqliteFile } from './dbms/sqlite-file.js';
import type { ConnectionConfig, DbmsAdapter } from './dbms/types.js';
import { Status } from '../base/status.js';

export interface DbmsEntry {
  name: string;
  config: ConnectionConfig;
}

export class DbmsRegistry {
  private readonly entries = new Map<string, { config: ConnectionConfig; reader: DbmsAdapter }>();

  constructor(
    private readonly dbmsDir: string,
    private readonly tmpDir: string,
    private readonly log: Logger,
  ) {}

  /**
   * `memory = true` (EdgeLake: an in-memory SQLite) becomes a file under tmp_dir that is emptied on
   * connect: an in-memory database cannot be shared between the operator's thread and this one.
   */
  async connect(name: string, requested: ConnectionConfig): Promise<void> {
    if (this.entries.has(name))
      throw new DbmsError(`dbms '${name}' is already connected`, { code: Status.CommandStructure });
    let config = requested;
    if (config.type === 'sqlite' && config.memory) {
      const file = join(this.tmpDir, `${name}.mem.dbms`);
      for (const f of [file, `${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
      config = { type: 'sqlite', file };
    }
    const onIdleError = (err: Error): void =>
      this.log.warn('dbms connection dropped', { dbms: name, error: err.message });
    // A database file another process holds locked is waited for (bounded), not a failed start.
    const onLocked = (attempt: number, err: unknown): void =>
      this.log.warn('dbms locked by another process; waiting', { dbms: name, attempt, error: errorMessage(err) });
    const opts: OpenOptions = { dbmsDir: this.dbmsDir, onIdleError, onLocked };
    if (config.type === 'psql') {
      this.entries.set(name, { config, reader: await openDbms(name, config, opts) });
      return;
    }
    checkDbmsName(name);
    checkSqliteFile(name, config.file ?? join(this.dbmsDir, `${name}.dbms`));
    const sqlite = config;
    const reader = new OnDemandAdapter(name, 'sqlite', async () => {
      // A writable open writes the header of a new file and edgelake-rt's internal tables; the reader cannot.
      const writer = await openDbms(name, sqlite, opts);
      await writer.close();
      return openDbms(name, sqlite, { ...opts, queryOnly: true });
    });
    this.entries.set(name, { config, reader });
  }

  async disconnect(name: string): Promise<boolean> {
    const e = this.entries.get(name);
    if (!e) return false;
    this.entries.delete(name);
    try {
      await e.reader.close();
    } catch (err) {
      this.log.warn('dbms close failed', { dbms: name, error: errorMessage(err) });
    }
    return true;
  }

  /**
   * Runs DDL on a connected database through a writing connection of its own, closed after (the node's reader is
   * read-only): `create table` of EdgeLake's system tables and of table policies.
   */
  async ddl(name: string, statements: readonly string[]): Promise<void> {
    const e = this.entries.get(name);
    if (!e)
      throw new DbmsError(`dbms '${name}' is not connected`, {
        code: Status.DbmsNotOpened,
      });
    const writer = await openDbms(name, e.config, {
      dbmsDir: this.dbmsDir,
      onIdleError: (err: Error): void => this.log.warn('dbms connection dropped', { dbms: name, error: err.message }),
    });
    try {
      await writer.execDDL(statements);
    } finally {
      await writer.close();
    }
  }

  /** Runs parameterised writes on a connected database through a writing connection of its own, closed after. */
  async write(name: string, statements: readonly { sql: string; params: readonly unknown[] }[]): Promise<void> {
    const e = this.entries.get(name);
    if (!e) throw new DbmsError(`dbms '${name}' is not connected`, { code: Status.DbmsNotOpened });
    const writer = await openDbms(name, e.config, {
      dbmsDir: this.dbmsDir,
      onIdleError: (err: Error): void => this.log.warn('dbms connection dropped', { dbms: name, error: err.message }),
    });
    try {
      for (const st of statements) await writer.modify(st.sql, st.params);
    } finally {
      await writer.close();
    }
  }

  list(): DbmsEntry[] {
    return [...this.entries]
      .map(([name, e]) => ({ name, config: e.config }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  reader(name: string): DbmsAdapter {
    const e = this.entries.get(name);
    if (!e)
      throw new DbmsError(`dbms '${name}' is not connected (use 'connect dbms ${name} where type = sqlite')`, {
        code: Status.DbmsNotOpened,
      });
    return e.reader;
  }

  async closeAll(): Promise<void> {
    for (const name of [...this.entries.keys()]) await this.disconnect(name);
  }
}
