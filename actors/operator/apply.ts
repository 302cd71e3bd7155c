// Applying journal entries (named by the streamer's ring, or replayed from the journal) to a dbms.
// A ring frame names its entries without their rows (protocols/frames/ingest.ts): they are read from the journal
// here, on a read snapshot taken after the frame was popped (the producer pushed it after the entry's commit).
// Per (table, stream) entries are applied in seq order, exactly once:
//   - an entry at or below the recorded position is already in the database: skipped
//   - an entry above position + 1 means some came another way or not at all: the gap is read
//     from the journal and applied first; the run must be contiguous (a gap the journal read does not
//     fill stops the stream there: the position never passes an entry not applied). A read can come
//     up short: this thread's LMDB read snapshot may predate entries the ring already delivered later
//     ones of (issue 12: after `database is locked` deferrals, such short gap fills lost 131k of 1.78M
//     acknowledged rows in test/ingest/locked-sqlite.test.ts)
//   - rows and the new positions go in one transaction (DbmsAdapter.write), at most MAX_TX_ROWS rows
// A failure is classified (failures.ts). Transient: thrown, the rows stay pending in the journal and
// the caller retries the table with backoff (retry.ts). Permanent: the batch is split entry by entry;
// the entry that fails is retried (with backoff) up to MAX_ATTEMPTS times, then goes to the error
// directory as a JSON file with a `.reason.txt` beside it, and its position is recorded so it does not
// block the entries after it. Refused (171/174): to the error directory at once.
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeReason } from '../_shared/file-moves.js';
import { DbmsError, errorMessage } from '../../base/errors.js';
import type { Logger } from '../../base/log.js';
import type { ActorMetrics } from '../../runtime/metrics.js';
import { isoMicros } from '../../protocols/format/time.js';
import type { BatchFrame } from '../../protocols/frames/ingest.js';
import { concatJsonArrayBytes, rowsText } from '../../protocols/frames/json-bytes.js';
import type { Journal, JournalEntry } from '../../storage/journal/journal.js';
import type { InsertBatch, JournalPosition } from '../../storage/dbms/types.js';
import { positionKey } from '../../storage/dbms/types.js';
import { inferFrom, type Catalog, type DbmsConn } from './catalog.js';
import { beginBatchFile, keepsBatchFiles, type BatchFileContext, type PendingBatchFile } from './batch-files.js';
import type { OperatorStats } from './stats.js';
import type { TrimQueue } from './trim.js';
import { Status } from '../../base/status.js';
import { classifyFailure } from './failures.js';
import { MAX_ATTEMPTS, entryId, type RetryBook } from './retry.js';
import { isPartitioned, partitionBatches } from './partition.js';
import type { PartitionDecl } from '../../storage/schema/partitions.js';

/** An entry as a ring frame names it: its rows travel along, or are read from the journal. */
export type PartRef = BatchFrame['parts'][number];
/**
 * An entry with its rows; `repeatedKeys` as the journal entry says (journal.ts: absent, not known, for entries of
 * older builds and of producers that do not look, and for rows a frame carried): only `false` skips the walk.
 */
export type Part = PartRef & { rows: Uint8Array; repeatedKeys?: boolean | undefined };

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
  /** `/metrics` (absent in tests that apply without a worker). */
  metrics?: ActorMetrics;
  /** A long task's progress (n of N): told to the node (`node.progress`). Absent in tests without a worker. */
  progress?: (task: string, done: number, total: number, unit: string, finished: boolean) => void;
  /** Rows and append time of the unapplied entries a replay pass saw (read once per entry), for the lag gauges. */
  lag?: Map<string, { count: number; at: number }>;
  retries: RetryBook;
  /** `partition` declarations (node setting `node.partitions`, kept current by `operator.partitions`). */
  partitions?: readonly PartitionDecl[];
}

/** Rows in one transaction at most. */
const MAX_TX_ROWS = 50_000;
/** Rows read from the journal to fill gaps, per call (the rest is applied by the next call). */
const MAX_PENDING_ROWS = 200_000;
/**
 * Row text read from the journal to fill gaps, per call: a gap can be a whole large PUT (the streamer dropped its
 * buffers), and reading it all at once held it all in this worker (issue 12, item 6).
 */
const MAX_PENDING_BYTES = 8 << 20;
/**
 * A seq missing from the journal below an entry appended this long ago is a hole for good (an append
 * that failed, never acknowledged), not an entry this thread's read snapshot does not see yet.
 */
const HOLE_MS = 60_000;

export const partOf = (e: JournalEntry): Part => ({
  stream: e.stream,
  seq: e.seq,
  count: e.count,
  rows: e.rows,
  bytes: e.rows.length,
  keys: e.keys,
  at: e.at,
  repeatedKeys: e.repeatedKeys,
});

/**
 * The parts still to apply, in order, with their rows and journal gaps filled; per stream a contiguous run from the
 * recorded position (a gap the journal does not fill ends that stream's run: its later parts wait, as does a part
 * whose entry the journal does not give).
 */
function pending(ctx: ApplyContext, c: DbmsConn, dbms: string, table: string, parts: readonly PartRef[]): Part[] {
  const out: Part[] = [];
  const last = new Map<string, number>();
  const stopped = new Set<string>();
  let rows = 0;
  let bytes = 0;
  // False when x cannot follow `prev` now (the stream stops there).
  const take = (x: Part, prev: number): boolean => {
    if (x.seq !== prev + 1) {
      if (Date.now() - x.at < HOLE_MS) return false;
      ctx.log.error('journal entries missing below an old entry: skipped as never acknowledged', {
        dbms,
        table,
        stream: x.stream,
        from: prev + 1,
        to: x.seq - 1,
      });
    }
    if ((rows >= MAX_PENDING_ROWS || bytes >= MAX_PENDING_BYTES) && out.length > 0) return false;
    out.push(x);
    rows += x.count;
    bytes += x.rows.length;
    last.set(x.stream, x.seq);
    return true;
  };
  // Entries named by frames were committed before their frames were pushed; this thread's read snapshot can be
  // older than that (lmdb-js keeps one until the event loop's next timer phase, and a pass of frames spans many
  // commits), so a fresh one is taken before they are read.
  if (parts.some((p) => p.rows === undefined)) ctx.journal.freshRead();
  for (const p of parts) {
    if (stopped.has(p.stream)) continue;
    const at = last.get(p.stream) ?? ctx.catalog.position(c, table, p.stream);
    if (p.seq <= at) continue;
    let prev = at;
    let ok = true;
    if (p.seq > at + 1) {
      for (const e of ctx.journal.range(dbms, table, p.stream, at + 1, p.seq - 1)) {
        if (!(ok = take(partOf(e), prev))) break;
        prev = e.seq;
      }
    }
    const full = ok ? withRows(ctx, dbms, table, p) : undefined;
    if (!full || !take(full, prev)) stopped.add(p.stream);
  }
  return out;
}

/** The part with its rows: as the frame carried them, or read from the journal (undefined when it does not hold them). */
function withRows(ctx: ApplyContext, dbms: string, table: string, p: PartRef): Part | undefined {
  if (p.rows !== undefined) return { ...p, rows: p.rows };
  const e = ctx.journal.get(dbms, table, p.stream, p.seq);
  return e ? partOf(e) : undefined;
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

/**
 * Applies the parts; returns the rows inserted. Throws (leaving them pending in the journal) when the
 * dbms cannot take them now, or when an entry failed permanently fewer than MAX_ATTEMPTS times.
 */
export async function applyParts(
  ctx: ApplyContext,
  dbms: string,
  table: string,
  parts: readonly PartRef[],
): Promise<number> {
  if (ctx.limitTables && !ctx.limitTables.includes(table)) return 0;
  const c = ctx.catalog.get(dbms) ?? (await ctx.catalog.open(dbms));
  if (!c) throw ctx.catalog.notOpen(dbms, ': rows wait in the journal');
  const todo = pending(ctx, c, dbms, table, parts);
  let rows = 0;
  const suspects = ctx.retries.anyEntryFailed();
  for (let i = 0; i < todo.length;) {
    // One transaction of up to MAX_TX_ROWS rows; an entry that failed before goes alone.
    const chunk: Part[] = [];
    let n = 0;
    while (i < todo.length) {
      const p = todo[i]!;
      const suspect = suspects && ctx.retries.entryFailures(entryId(dbms, table, p.stream, p.seq)) > 0;
      if (chunk.length > 0 && (suspect || n + p.count > MAX_TX_ROWS)) break;
      chunk.push(p);
      n += p.count;
      i++;
      if (suspect) break;
    }
    rows += await applyChunk(ctx, c, dbms, table, chunk);
  }
  return rows;
}

async function applyChunk(
  ctx: ApplyContext,
  c: DbmsConn,
  dbms: string,
  table: string,
  chunk: readonly Part[],
): Promise<number> {
  try {
    const rows = await write(ctx, c, dbms, table, chunk);
    if (chunk.length === 1 && ctx.retries.anyEntryFailed())
      ctx.retries.entryDone(entryId(dbms, table, chunk[0]!.stream, chunk[0]!.seq));
    return rows;
  } catch (err) {
    const kind = classifyFailure(err);
    if (kind === 'transient') throw err;
    // The failure may come from a stale view of the table (dropped or altered from outside), or of one of its
    // partition tables (`drop partition` runs on the main thread): read again at the retry.
    c.tables.delete(table);
    for (const t of c.tables.keys()) if (t.startsWith(`par_${table}_`)) c.tables.delete(t);
    if (chunk.length > 1) {
      // Find the entry at fault: the others go in, each in its own transaction.
      let rows = 0;
      for (const p of chunk) rows += await applyChunk(ctx, c, dbms, table, [p]);
      return rows;
    }
    const p = chunk[0]!;
    const id = entryId(dbms, table, p.stream, p.seq);
    const attempts = ctx.retries.entryFailed(id);
    if (kind === 'refused' || attempts >= MAX_ATTEMPTS) {
      await quarantine(ctx, c, dbms, table, p, err, attempts);
      ctx.retries.entryDone(id);
      return 0;
    }
    throw new DbmsError(
      `${errorMessage(err)} (journal entry ${p.stream}/${p.seq}: attempt ${attempts} of ${MAX_ATTEMPTS} before the error directory)`,
      { cause: err },
    );
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
      for (const p of parts) yield* JSON.parse(rowsText(p.rows)) as Record<string, unknown>[];
    }),
    ctx.createTable,
    ctx.tsd,
  );
  const base = {
    table,
    columns: ctx.catalog.insertColumns(t, keys),
    insertTimestamp: isoMicros(),
    tsdName: ctx.member,
  };
  let batches: InsertBatch[];
  let file: PendingBatchFile | undefined;
  if (c.adapter.engine === 'sqlite' && !keepsBatchFiles(ctx) && !isPartitioned(ctx.partitions, dbms, table)) {
    // One insert per entry, its bytes as the journal gave them, all in the one transaction: as the raw baseline
    // inserts each body. One insert over the entries' concatenation copied up to 8 MB in JavaScript and in SQLite
    // (the bound copy, its text, json_each's parse of it), each a fresh mapping past glibc's 128 KiB mmap threshold
    // (main/cli/malloc-trim.ts): about 1.4 µs a row more on the writer's thread (bench/README.md, Profile).
    batches = parts.map((p) => ({
      ...base,
      rowsJson: p.rows,
      rowCount: p.count,
      tsdId: 0,
      repeatedKeys: p.repeatedKeys,
    }));
  } else {
    // PostgreSQL: one COPY for the transaction (a COPY per entry is a round trip each); partitions regroup every row
    // and a batch file is the rows of the whole transaction.
    const rowsJson = concatJsonArrayBytes(parts.map((p) => p.rows));
    const count = parts.reduce((n, p) => n + p.count, 0);
    // tsd_info / HA bookkeeping for streamed rows, as EdgeLake's streamer files would get (batch-files.ts).
    file = await beginBatchFile(ctx, dbms, table, rowsJson);
    const repeatedKeys = parts.every((p) => p.repeatedKeys === false) ? false : undefined;
    const batch: InsertBatch = { ...base, rowsJson, rowCount: count, tsdId: file?.tsdId ?? 0, repeatedKeys };
    // A partitioned table's rows go to its partition tables; the positions stay the parent's (partition.ts).
    batches = await partitionBatches(ctx.catalog, ctx.partitions, c, dbms, t, keys, batch);
  }
  const positions = positionsOf(table, parts);
  const t0 = performance.now();
  const rows = await c.adapter.write(batches, positions, []);
  const ms = performance.now() - t0;
  ctx.stats.insert(dbms, table, rows, ms, false);
  ctx.metrics?.observe('edgelake_rt_dbms_write_duration_seconds', { dbms }, ms / 1000);
  ctx.metrics?.inc('edgelake_rt_rows_applied_total', { dbms, table }, rows);
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
  attempts: number,
): Promise<void> {
  const code = err instanceof DbmsError && err.code !== undefined ? err.code : Status.SqlFailure;
  const hash = createHash('md5').update(`${dbms}.${table}`).update(p.rows).digest('hex');
  const name = `${dbms}.${table}.0.${hash}.0.err_${code}.${Math.floor(Date.now() / 1000)}.json`;
  await mkdir(ctx.errDir, { recursive: true });
  // The rows and the reason are the node's data: readable by its user only.
  await writeFile(join(ctx.errDir, name), deadLetterText(rowsText(p.rows)), { mode: 0o600 });
  await writeReason(
    join(ctx.errDir, `${name}.reason.txt`),
    `${errorMessage(err)}\n(journal stream ${p.stream} entry ${p.seq}, ${p.count} rows, ${attempts} attempt${attempts === 1 ? '' : 's'})\n`,
  );
  ctx.stats.error('JSON Errors', dbms, table, code, errorMessage(err));
  ctx.metrics?.inc('edgelake_rt_rows_rejected_total', { dbms, table, reason: 'quarantined' }, p.count);
  ctx.log.error('rows moved to the error directory', { dbms, table, file: name, error: errorMessage(err) });
  const pos = { table, stream: p.stream, seq: p.seq };
  await c.adapter.write([], [pos], []);
  c.positions.set(positionKey(table, p.stream), p.seq);
  ctx.trims.add(dbms, table, p.stream, p.seq);
}

/**
 * The rows of a dead letter, one JSON object per line (a file that can go back to the watch dir once
 * fixed); a row JavaScript cannot re-serialise (nested past the stack) is kept as the journal's text.
 */
function deadLetterText(rowsJson: string): string {
  try {
    const rows = JSON.parse(rowsJson) as unknown[];
    return rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    return rowsJson.endsWith('\n') ? rowsJson : `${rowsJson}\n`;
  }
}

/**
 * True when a part is still above its stream's recorded position after an apply that did not fail: its gap was
 * larger than one transaction's fill (a large PUT whose other pieces are only in the journal), so the rest is
 * to be read from the journal now, a slice at a time, rather than at the periodic replay.
 */
export function leftBehind(ctx: ApplyContext, dbms: string, table: string, parts: readonly PartRef[]): boolean {
  const c = ctx.catalog.get(dbms);
  if (!c || ctx.retries.waiting(dbms, table, Date.now())) return false;
  return parts.some((p) => p.seq > ctx.catalog.position(c, table, p.stream));
}

/**
 * Applies parts of one table and keeps its retry state (retry.ts): a failure puts the table in
 * backoff (logged at the first attempt and every 10th), a success after failures ends it. Returns the
 * rows applied; never throws for the database's sake.
 */
export async function applyTracked(
  ctx: ApplyContext,
  dbms: string,
  table: string,
  parts: readonly PartRef[],
): Promise<number> {
  try {
    const rows = await applyParts(ctx, dbms, table, parts);
    const was = ctx.retries.succeeded(dbms, table);
    if (was) ctx.log.info('table takes rows again', { dbms, table, attempts: was.attempts, after: was.lastError });
    return rows;
  } catch (err) {
    const r = ctx.retries.failed(dbms, table, classifyFailure(err), errorMessage(err), Date.now());
    if (r.attempts === 1 || r.attempts % 10 === 0)
      ctx.log.warn('batch pending in the journal; retried with backoff', {
        dbms,
        table,
        kind: r.kind,
        attempts: r.attempts,
        retryInMs: r.nextAt - Date.now(),
        error: r.lastError,
      });
    return 0;
  }
}
