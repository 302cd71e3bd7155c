// Replaying the journal: entries above a table's recorded position that the ring path did not apply (all of
// them at start; later those still unapplied a grace period after a pass first saw them), applied through
// applyTracked in the same exactly-once way, plus the lag gauges of what is acknowledged and not yet applied.
import { applyTracked, partOf, type ApplyContext, type Part } from './apply.js';
import { entryId } from './retry.js';

export interface ReconcileOptions {
  /** Entries younger than this (since a pass first saw them) are left to the ring path. */
  graceMs: number;
  /** Rows per table per pass at most. */
  maxRows: number;
  /** Bytes of row text per table per pass at most (default: no bound but maxRows). */
  maxBytes?: number;
  /** Only this table (a retry pass). */
  only?: { dbms: string; table: string };
  /** After each table's transaction: entries and rows it applied (the start replay's progress). */
  onApplied?: (entries: number, rows: number) => void;
}

/**
 * Replays journal entries above the recorded positions (all of them at start; later only those
 * still unapplied `graceMs` after a pass first saw them: the ring path has had its chance). Tables
 * waiting out a backoff are skipped. Returns the rows applied and whether a table hit `maxRows`
 * (more to replay now).
 */
export async function reconcile(
  ctx: ApplyContext,
  opts: ReconcileOptions,
): Promise<{ rows: number; more: boolean; tried: number }> {
  const now = Date.now();
  const groups = new Map<
    string,
    { dbms: string; table: string; parts: Part[]; rows: number; bytes: number; full: boolean }
  >();
  const maxBytes = opts.maxBytes ?? Infinity;
  const still = new Set<string>();
  let rows = 0;
  let more = false;
  let tried = 0;
  // Keys only: the rows of an entry are read when it is replayed, not at every pass (under load the
  // journal holds many entries the ring path is about to deliver).
  /** Acknowledged and not applied, including the entries that wait for `connect dbms` (the lag gauges). */
  const unapplied = new Set<string>();
  const lagPass = opts.graceMs > 0 && !opts.only;
  const noteLag = (k: { dbms: string; table: string; stream: string; seq: number }, id: string): void => {
    unapplied.add(id);
    if (lagPass && ctx.lag && !ctx.lag.has(id)) {
      // Read once per entry that outlives a pass (the ring path applies most entries before any pass sees them).
      const e = ctx.journal.get(k.dbms, k.table, k.stream, k.seq);
      if (e) ctx.lag.set(id, { count: e.count, at: e.at });
    }
  };
  for (const k of ctx.journal.keys()) {
    if (opts.only && (k.dbms !== opts.only.dbms || k.table !== opts.only.table)) continue;
    const id = entryId(k.dbms, k.table, k.stream, k.seq);
    const c = ctx.catalog.get(k.dbms) ?? (await ctx.catalog.open(k.dbms));
    if (!c) {
      noteLag(k, id);
      continue; // waits for `connect dbms`
    }
    const at = ctx.catalog.position(c, k.table, k.stream);
    if (k.seq <= at) {
      ctx.trims.add(k.dbms, k.table, k.stream, at);
      continue;
    }
    still.add(id);
    noteLag(k, id);
    if (opts.graceMs > 0) {
      const first = ctx.seen.get(id);
      if (first === undefined) ctx.seen.set(id, now);
      if (first === undefined || now - first < opts.graceMs) continue;
    }
    if (!opts.only && ctx.retries.waiting(k.dbms, k.table, now)) continue;
    const g = groups.get(`${k.dbms}\u0000${k.table}`) ?? {
      dbms: k.dbms,
      table: k.table,
      parts: [],
      rows: 0,
      bytes: 0,
      full: false,
    };
    groups.set(`${k.dbms}\u0000${k.table}`, g);
    if (g.full || g.bytes >= maxBytes) {
      more = true;
      continue;
    }
    const e = ctx.journal.get(k.dbms, k.table, k.stream, k.seq);
    if (!e) continue;
    // The group stops below maxRows rather than one entry past it: past it, the apply would split off a small
    // second transaction (a whole commit and fsync for a few rows; applyParts keeps each at most MAX_TX_ROWS).
    if (g.parts.length > 0 && g.rows + e.count > opts.maxRows) {
      g.full = true;
      more = true;
      continue;
    }
    g.parts.push(partOf(e));
    g.rows += e.count;
    g.bytes += e.rows.length;
  }
  if (!opts.only) for (const id of ctx.seen.keys()) if (!still.has(id)) ctx.seen.delete(id);
  if (lagPass) reportLag(ctx, unapplied);
  for (const g of groups.values()) {
    if (g.parts.length === 0) continue;
    tried += g.parts.length;
    const n = await applyTracked(ctx, g.dbms, g.table, g.parts);
    rows += n;
    // applyTracked answers 0 for a table it put in backoff: those entries are still to do.
    opts.onApplied?.(n > 0 ? g.parts.length : 0, n);
  }
  return { rows, more, tried };
}

/** `/metrics`: journal entries and rows acknowledged but not applied, and the age of the oldest. */
function reportLag(ctx: ApplyContext, unapplied: ReadonlySet<string>): void {
  const lag = ctx.lag;
  if (!ctx.metrics || !lag) return;
  for (const id of lag.keys()) if (!unapplied.has(id)) lag.delete(id);
  let rows = 0;
  let oldest = Infinity;
  for (const v of lag.values()) {
    rows += v.count;
    oldest = Math.min(oldest, v.at);
  }
  ctx.metrics.set('edgelake_rt_journal_unapplied_entries', {}, unapplied.size);
  ctx.metrics.set('edgelake_rt_journal_unapplied_rows', {}, rows);
  ctx.metrics.set('edgelake_rt_journal_oldest_unapplied_age_seconds', {}, lag.size ? (Date.now() - oldest) / 1000 : 0);
}

/**
 * Entries above the recorded positions (keys only): the start replay's N. Opens the connection of each dbms the
 * journal holds entries for, waiting for one another process holds locked (catalog.ts `open`).
 */
export async function countUnapplied(ctx: ApplyContext): Promise<number> {
  let n = 0;
  for (const k of ctx.journal.keys()) {
    const c = ctx.catalog.get(k.dbms) ?? (await ctx.catalog.open(k.dbms, true));
    if (c && k.seq > ctx.catalog.position(c, k.table, k.stream)) n++;
  }
  return n;
}
