// The operator's retry state, per dbms.table: a table whose last batch failed waits out a backoff
// (100 ms doubling to 5 s) before its journal entries are tried again; meanwhile its ring frames are
// left to the journal (they are durable there) and the periodic replay skips it, so a table the
// database refuses costs no CPU between attempts. Per journal entry it counts the permanent failures,
// so a poison entry goes to the error directory after MAX_ATTEMPTS (apply.ts). Shown by
// `get operator retry` (and in `get operator` while a table is waiting).
import type { FailureKind } from './failures.js';

export const MAX_ATTEMPTS = 3;
const FIRST_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 5000;

export interface TableRetry {
  dbms: string;
  table: string;
  kind: FailureKind;
  /** Failed attempts in a row. */
  attempts: number;
  /** When the first failure of this run happened (ms since epoch). */
  since: number;
  /** Not tried again before this. */
  nextAt: number;
  lastError: string;
}

export const entryId = (dbms: string, table: string, stream: string, seq: number): string =>
  `${dbms}/${table}/${stream}/${seq}`;

export class RetryBook {
  private readonly tables = new Map<string, TableRetry>();
  private readonly entries = new Map<string, number>();

  private static key(dbms: string, table: string): string {
    return `${dbms}\u0000${table}`;
  }

  /** Is the table waiting out a backoff at `now`? */
  waiting(dbms: string, table: string, now: number): boolean {
    const r = this.tables.get(RetryBook.key(dbms, table));
    return r !== undefined && now < r.nextAt;
  }

  /** Records a failed attempt for the table; returns its state (with the next attempt's time). */
  failed(dbms: string, table: string, kind: FailureKind, error: string, now: number): TableRetry {
    const k = RetryBook.key(dbms, table);
    const r = this.tables.get(k) ?? { dbms, table, kind, attempts: 0, since: now, nextAt: now, lastError: '' };
    r.attempts++;
    r.kind = kind;
    r.lastError = error;
    r.nextAt = now + Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** Math.min(r.attempts - 1, 16));
    this.tables.set(k, r);
    return r;
  }

  /** The table took rows again: forget its retry state. Returns the state it had, if any. */
  succeeded(dbms: string, table: string): TableRetry | undefined {
    const k = RetryBook.key(dbms, table);
    const r = this.tables.get(k);
    this.tables.delete(k);
    return r;
  }

  /** Counts a permanent failure of one journal entry; returns how many it has had. */
  entryFailed(id: string): number {
    const n = (this.entries.get(id) ?? 0) + 1;
    this.entries.set(id, n);
    return n;
  }

  entryFailures(id: string): number {
    return this.entries.get(id) ?? 0;
  }

  entryDone(id: string): void {
    this.entries.delete(id);
  }

  /** Tables whose backoff is over, to try now. */
  due(now: number): TableRetry[] {
    return [...this.tables.values()].filter((r) => now >= r.nextAt);
  }

  /** Milliseconds until the next table is due, or undefined when none waits. */
  nextIn(now: number): number | undefined {
    let best: number | undefined;
    for (const r of this.tables.values()) best = Math.min(best ?? Infinity, Math.max(0, r.nextAt - now));
    return best;
  }

  list(): TableRetry[] {
    return [...this.tables.values()];
  }
}
