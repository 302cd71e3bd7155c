// Applying journal entries (from the streamer's ring, or replayed from the journal) to a dbms.
// Per (table, stream) entries are applied in seq order, exactly once:
//   - an entry at or below the recorded position is already in the database: skipped
//   - an entry above position + 1 means some came another way or not at all: the gap is read
//     from the journal and applied first
//   - rows and the new positions go in one transaction (DbmsAdapter.write)
// A batch the database refuses for its data (not for a lost connection) is split entry by entry;
// an entry that still fails goes to the error directory as a JSON file with a reason file beside it,
// and its position is recorded so it does not block the entries after it.
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DbmsError, errorMessage } from '../../base/errors.js';
import type { Logger } from '../../base/log.js';
import { isoMicros } from '../../protocols/format/time.js';
import { concatJsonArrays, type BatchFrame } from '../../protocols/frames/ingest.js';
import type { Journal } from '../../storage/journal/journal.js';
import type { InsertBatch, JournalPosition } from '../../storage/dbms/types.js';
import { positionKey } from '../../storage/dbms/types.js';
import { inferFrom, type Catalog, type DbmsConn } from './catalog.js';
import { beginBatchFile, type BatchFileContext } from './batch-files.js';
import type { OperatorStats } from './stats.js';
import type { TrimQueue } from './trim.js';
import { Status } from '../../base/status.js';

export type Part = BatchFrame['parts'][number];

export interface ApplyContext extends BatchFileContext {
  catalog: Catalog;
  journal: Journal;
  stats: OperatorStats;
  trims: TrimQueue;
  log: Logger;
  errDir: string;
  createTable: boolean;
  tsd: boolean;
  /** EdgeLake's tsd_name of rows this operator inserts. */
  member: string;
  limitTables: readonly string[] | undefined;
  /** When the replay first saw each not-yet-applied entry (`dbms/table/stream/seq`), for the grace period. */
  seen: Map<string, number>;
}

/** Does this failure come from the data (retrying will not help) rather than the connection? */
export function isDataError(err: unknown): boolean {
  const cause = err instanceof Error ? (err.cause as { code?: unknown } | undefined) : undefined;
  const code = typeof cause?.code === 'string' ? cause.code : '';
  if (/^(22|23|42)/.test(code)) return true; // PostgreSQL data exception, integrity, syntax/name
  if (code.startsWith('SQLITE_')) return !/^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|NOMEM|INTERRUPT)/.test(code);
  return false;
}

/** The operator may not take rows for this table (171 create_table = false, 174 no cluster): retrying will not help. */
const isTableRefused = (err: unknown): boolean =>
  err instanceof DbmsError &&
  (err.code === Status.OperatorNotAllowedWithTable || err.code === Status.NoClusterAssigned);

/**
 * Row text applied in one transaction at most when gaps are filled from the journal: a gap can be a whole large
 * PUT (the streamer dropped its buffers), and reading it all at once held it all in this worker (issue 12, item 6).
 */
const MAX_APPLY_BYTES = 8 << 20;

/**
 * The parts still to apply, in order, with journal gaps filled; at most about MAX_APPLY_BYTES of them. `more`
 * says the list was cut: what follows is a contiguous rest, applied by calling again once these are in.
 */
function pending(
  ctx: ApplyContext,
  c: DbmsConn,
  dbms: string,
  table: string,
  parts: readonly Part[],
): { todo: Part[]; more: boolean } {
  const out: Part[] = [];
  const next = new Map<string, number>();
  let bytes = 0;
  for (const p of parts) {
    const at = next.get(p.stream) ?? ctx.catalog.position(c, table, p.stream);
    if (p.seq <= at) continue;
    if (bytes >= MAX_APPLY_BYTES) return { todo: out, more: true };
    if (p.seq > at + 1) {
      let expect = at + 1;
      for (const e of ctx.journal.range(dbms, table, p.stream, at + 1, p.seq - 1)) {
        if (bytes >= MAX_APPLY_BYTES) return { todo: out, more: true };
        // The gap must be read whole: an entry this thread cannot see yet (another thread's commit newer than
        // this read snapshot) would otherwise be skipped for good once `p` moves the position past it. Seen
        // as 49 of 1,000 acknowledged PUTs missing after the streamer dropped buffers under load.
        if (e.seq !== expect) break;
        out.push({ stream: e.stream, seq: e.seq, count: e.count, rows: e.rows, keys: e.keys, at: e.at });
        bytes += e.rows.length;
        expect++;
      }
      // Not all of the gap is visible: apply what is contiguous; `p` and what follows in this stream wait for
      // the journal replay (reconcile), which reads them again in order.
      if (expect !== p.seq) {
        next.set(p.stream, Number.POSITIVE_INFINITY);
        continue;
      }
    }
    if (next.get(p.stream) === Number.POSITIVE_INFINITY) continue;
    out.push(p);
    bytes += p.rows.length;
    next.set(p.stream, p.seq);
  }
  return { todo: out, more: false };
}

function positionsOf(table: string, parts: readonly Part[]): JournalPosition[] {
  const max = new Map<string, number>();
  for (const p of parts) max.set(p.stream, Math.max(max.get(p.stream) ?? 0, p.seq));
  return [...max].map(([stream, seq]) => ({ table, stream, seq }));
}

function unionKeys(parts: readonly Part[]): string[] {
  const s = new Set<string>();
  for (const p of parts) for (const k of p.keys) s.add(k);
  return [...s];
}

/** Applies the parts; returns the rows inserted. Throws (leaving them to the journal) when the dbms cannot be written. */
export async function applyParts(
  ctx: ApplyContext,
  dbms: string,
  table: string,
  parts: readonly Part[],
): Promise<number> {
  if (ctx.limitTables && !ctx.limitTables.includes(table)) return 0;
  const c = ctx.catalog.get(dbms);
  if (!c)
    throw new DbmsError(`dbms '${dbms}' is not connected: rows wait in the journal`, {
      code: Status.DbmsNotOpened,
      retriable: true,
    });
  let rows = 0;
  for (;;) {
    const { todo, more } = pending(ctx, c, dbms, table, parts);
    if (todo.length === 0) return rows;
    rows += await applyPending(ctx, c, dbms, table, todo);
    if (!more) return rows;
  }
}

/** Applies parts with no gap between them and the recorded positions. */
async function applyPending(
  ctx: ApplyContext,
  c: DbmsConn,
  dbms: string,
  table: string,
  todo: readonly Part[],
): Promise<number> {
  try {
    return await write(ctx, c, dbms, table, todo);
  } catch (err) {
    if (!isDataError(err) && !isTableRefused(err)) throw err;
    if (todo.length === 1) {
      await quarantine(ctx, c, dbms, table, todo[0]!, err);
      return 0;
    }
    let rows = 0;
    for (const p of todo) {
      try {
        rows += await write(ctx, c, dbms, table, [p]);
      } catch (e) {
        if (!isDataError(e) && !isTableRefused(e)) throw e;
        await quarantine(ctx, c, dbms, table, p, e);
      }
    }
    return rows;
  }
}

async function write(
  ctx: ApplyContext,
  c: DbmsConn,
  dbms: string,
  table: string,
  parts: readonly Part[],
): Promise<number> {
  const keys = unionKeys(parts);
  const t = await ctx.catalog.ensure(
    c,
    table,
    keys,
    inferFrom(function* () {
      for (const p of parts) yield* JSON.parse(p.rows) as Record<string, unknown>[];
    }),
    ctx.createTable,
    ctx.tsd,
  );
  const count = parts.reduce((n, p) => n + p.count, 0);
  const rowsJson = parts.length === 1 ? parts[0]!.rows : concatJsonArrays(parts.map((p) => p.rows));
  // tsd_info / HA bookkeeping for streamed rows, as EdgeLake's streamer files would get (batch-files.ts).
  const file = await beginBatchFile(ctx, dbms, table, rowsJson);
  const batch: InsertBatch = {
    table,
    columns: ctx.catalog.insertColumns(t, keys),
    rowsJson,
    rowCount: count,
    insertTimestamp: isoMicros(),
    tsdName: ctx.member,
    tsdId: file?.tsdId ?? 0,
  };
  const positions = positionsOf(table, parts);
  const t0 = performance.now();
  const rows = await c.adapter.write([batch], positions, []);
  ctx.stats.insert(dbms, table, rows, performance.now() - t0, false);
  await file?.finish(rows);
  for (const p of positions) {
    c.positions.set(positionKey(table, p.stream), p.seq);
    ctx.trims.add(dbms, table, p.stream, p.seq);
  }
  return rows;
}

async function quarantine(
  ctx: ApplyContext,
  c: DbmsConn,
  dbms: string,
  table: string,
  p: Part,
  err: unknown,
): Promise<void> {
  const code = err instanceof DbmsError && err.code !== undefined ? err.code : Status.SqlFailure;
  const hash = createHash('md5').update(`${dbms}.${table}`).update(p.rows).digest('hex');
  const name = `${dbms}.${table}.0.${hash}.0.err_${code}.${Math.floor(Date.now() / 1000)}.json`;
  await mkdir(ctx.errDir, { recursive: true });
  const rows = JSON.parse(p.rows) as unknown[];
  await writeFile(join(ctx.errDir, name), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  await writeFile(
    join(ctx.errDir, `${name}.reason.txt`),
    `${errorMessage(err)}\n(journal stream ${p.stream} entry ${p.seq}, ${p.count} rows)\n`,
  );
  ctx.stats.error('JSON Errors', dbms, table, code, errorMessage(err));
  ctx.log.error('rows moved to the error directory', { dbms, table, file: name, error: errorMessage(err) });
  const pos = { table, stream: p.stream, seq: p.seq };
  await c.adapter.write([], [pos], []);
  c.positions.set(positionKey(table, p.stream), p.seq);
  ctx.trims.add(dbms, table, p.stream, p.seq);
}

/**
 * Replays journal entries above the recorded positions (all of them at start; later only those
 * still unapplied `graceMs` after a pass first saw them: the ring path has had its chance). Returns
 * the rows applied.
 */
export async function reconcile(ctx: ApplyContext, graceMs: number, maxRows = 50_000): Promise<number> {
  const now = Date.now();
  const groups = new Map<string, { dbms: string; table: string; parts: Part[]; rows: number }>();
  const still = new Set<string>();
  let rows = 0;
  // Keys only: the rows of an entry are read when it is replayed, not at every pass (under load the
  // journal holds many entries the ring path is about to deliver).
  for (const k of ctx.journal.keys()) {
    const c = ctx.catalog.get(k.dbms);
    if (!c) continue; // waits for `connect dbms`
    const at = ctx.catalog.position(c, k.table, k.stream);
    if (k.seq <= at) {
      ctx.trims.add(k.dbms, k.table, k.stream, at);
      continue;
    }
    const id = `${k.dbms}/${k.table}/${k.stream}/${k.seq}`;
    still.add(id);
    if (graceMs > 0) {
      const first = ctx.seen.get(id);
      if (first === undefined) ctx.seen.set(id, now);
      if (first === undefined || now - first < graceMs) continue;
    }
    const g = groups.get(`${k.dbms}\u0000${k.table}`) ?? { dbms: k.dbms, table: k.table, parts: [], rows: 0 };
    groups.set(`${k.dbms}\u0000${k.table}`, g);
    if (g.rows >= maxRows) continue;
    const e = ctx.journal.get(k.dbms, k.table, k.stream, k.seq);
    if (!e) continue;
    g.parts.push({ stream: e.stream, seq: e.seq, count: e.count, rows: e.rows, keys: e.keys, at: e.at });
    g.rows += e.count;
  }
  for (const id of ctx.seen.keys()) if (!still.has(id)) ctx.seen.delete(id);
  for (const g of groups.values()) {
    if (g.parts.length === 0) continue;
    try {
      rows += await applyParts(ctx, g.dbms, g.table, g.parts);
    } catch (err) {
      ctx.log.warn('journal replay deferred', { dbms: g.dbms, table: g.table, error: errorMessage(err) });
    }
  }
  return rows;
}
