// A connection opened at its first use: the main thread's SQLite reader (storage/registry.ts), so that a node whose
// commands never read a database never loads libsql on the main thread. An open that fails fails that call and
// is tried again by the next one (a database another process held locked may be free by then).
import type { DbmsAdapter, Engine } from './types.js';

export class OnDemandAdapter implements DbmsAdapter {
  private opening: Promise<DbmsAdapter> | undefined;
  private ready: DbmsAdapter | undefined;

  constructor(
    readonly name: string,
    readonly engine: Engine,
    private readonly open: () => Promise<DbmsAdapter>,
  ) {}

  private conn(): Promise<DbmsAdapter> {
    if (!this.opening) {
      const p = this.open().then(
        (conn) => (this.ready = conn),
        (err: unknown) => {
          // Thrown to the call that opened; the next call opens again.
          if (this.opening === p) this.opening = undefined;
          throw err;
        },
      );
      this.opening = p;
    }
    return this.opening;
  }

  async listTables(): Promise<string[]> {
    return (await this.conn()).listTables();
  }
  async describe(table: string): ReturnType<DbmsAdapter['describe']> {
    return (await this.conn()).describe(table);
  }
  async execDDL(statements: readonly string[]): Promise<void> {
    return (await this.conn()).execDDL(statements);
  }
  async write(...a: Parameters<DbmsAdapter['write']>): ReturnType<DbmsAdapter['write']> {
    return (await this.conn()).write(...a);
  }
  async positions(): ReturnType<DbmsAdapter['positions']> {
    return (await this.conn()).positions();
  }
  async fileProgress(name: string): ReturnType<DbmsAdapter['fileProgress']> {
    return (await this.conn()).fileProgress(name);
  }
  async modify(sql: string, params: readonly unknown[]): Promise<unknown[][]> {
    return (await this.conn()).modify(sql, params);
  }
  async select(sql: string, params?: readonly unknown[]): ReturnType<DbmsAdapter['select']> {
    return (await this.conn()).select(sql, params);
  }
  /** Upkeep of an opened connection only: one never used needs none. */
  async idle(): Promise<void> {
    await this.ready?.idle?.();
  }
  /** Closes the connection if it was opened; an open still running is waited for (one that fails has nothing). */
  async close(): Promise<void> {
    const p = this.opening;
    this.opening = undefined;
    if (!p) return;
    const [r] = await Promise.allSettled([p]);
    this.ready = undefined;
    if (r.status === 'fulfilled') await r.value.close();
  }
}
