// The PostgreSQL that tests and benchmarks use: 127.0.0.1:5432, database `test`, trust auth, user PGUSER or
// `postgres` (the machine's own server). A test that cannot reach it skips with `pgSkip`'s message.
import pg from 'pg';

export const PG_USER = process.env['PGUSER'] ?? 'postgres';

/** A client of the test server (not connected yet). */
export function pgClient(database = 'test'): pg.Client {
  return new pg.Client({ host: '127.0.0.1', port: 5432, user: PG_USER, database, connectionTimeoutMillis: 2000 });
}

/** Why the test server cannot be used (its error message), or undefined when it answers a query. */
export async function pgUnreachable(): Promise<string | undefined> {
  const c = pgClient();
  try {
    await c.connect();
    await c.query('SELECT 1');
    return undefined;
  } catch (err) {
    return (err as Error).message;
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** `skip` for node:test: false when the server answers, else the message. */
export const pgSkip = (why: string | undefined): string | false =>
  why === undefined ? false : `PostgreSQL at 127.0.0.1:5432 not reachable: ${why}`;
