// Watch-dir files of one dbms committed together (issue 14). Each file is claimed, read and checked on its own
// (files.ts: a file with one bad line goes to the error directory alone, as EdgeLake rejects it); the rows of the
// files that passed, each file's progress record with them (FileRecord, done), then go in one transaction: one
// BEGIN/COMMIT and one fsync for several files instead of one each. Exactly once holds as for a single file: a
// file whose rows committed has its record done in the same transaction, so after a crash before it is archived
// the next scan finds it under its claimed name, inserts nothing and archives it (files.ts readClaimed).
// A transaction that fails for the data's sake is tried again file by file, so only the file at fault goes to the
// error directory (as apply.ts splits a batch of journal entries); database trouble leaves every file for a later
// scan.
import type { DbmsConn } from './catalog.js';
import { classifyFailure } from './failures.js';
import { failOrThrow, finishJson, prepareFile, type FileContext, type FileOutcome, type ReadyFile } from './files.js';

/** Rows in one shared transaction at most (as the ring's merge, index.ts). */
const GROUP_ROWS = 50_000;
/** Bytes of row text held and committed together at most (SQLite's json_each holds a parse tree of it). */
const GROUP_BYTES = 8 << 20;

const isReady = (r: ReadyFile | FileOutcome): r is ReadyFile => !('k' in r);

/** One file, alone in its transaction. */
export async function processFile(ctx: FileContext, path: string): Promise<FileOutcome> {
  const r = await prepareFile(ctx, path);
  if (!isReady(r)) return r;
  if (r.batches.length === 0) return finishJson(ctx, r);
  return (await commitGroup(ctx, [r]))[0]!;
}

/**
 * Files in the order given; the ready ones of a dbms share transactions of up to GROUP_ROWS rows. A file that cannot
 * be taken now (database trouble, gone) is told to `left` and stays for a later scan; the others go on.
 */
export async function processFiles(
  ctx: FileContext,
  paths: readonly string[],
  left: (path: string, err: unknown) => void,
): Promise<void> {
  const groups = new Map<DbmsConn, { files: ReadyFile[]; rows: number; bytes: number }>();
  const flush = async (files: ReadyFile[]): Promise<void> => {
    try {
      await commitGroup(ctx, files);
    } catch (err) {
      for (const f of files) left(f.path, err);
    }
  };
  for (const path of paths) {
    let r: ReadyFile | FileOutcome;
    try {
      r = await prepareFile(ctx, path);
    } catch (err) {
      left(path, err);
      continue;
    }
    if (!isReady(r)) continue;
    if (r.batches.length === 0) {
      // Its rows are in (a restart after the commit, or a big file written in chunks up to its last): archive it.
      await finishJson(ctx, r).catch((err: unknown) => left(r.path, err));
      continue;
    }
    let g = groups.get(r.conn);
    if (g && (g.rows + r.batchRows > GROUP_ROWS || g.bytes + r.bytes > GROUP_BYTES)) {
      await flush(g.files);
      g = undefined;
    }
    if (!g) groups.set(r.conn, (g = { files: [], rows: 0, bytes: 0 }));
    g.files.push(r);
    g.rows += r.batchRows;
    g.bytes += r.bytes;
  }
  for (const g of groups.values()) await flush(g.files);
}

/** The files' last rows and progress records in one transaction, then each file finished (archived). */
async function commitGroup(ctx: FileContext, files: readonly ReadyFile[]): Promise<FileOutcome[]> {
  const c = files[0]!.conn;
  const t0 = performance.now();
  try {
    await c.adapter.write(
      files.flatMap((f) => f.batches),
      [],
      files.map((f) => f.record!),
    );
  } catch (err) {
    if (files.length === 1) return [await failOrThrow(ctx, files[0]!.path, err)];
    if (classifyFailure(err) === 'transient') throw err;
    // The failure may come from a stale view of a table (altered from outside): read again for the retries.
    for (const f of files) c.tables.delete(f.name.table);
    const out: FileOutcome[] = [];
    for (const f of files) out.push(...(await commitGroup(ctx, [f])));
    return out;
  }
  const ms = performance.now() - t0;
  const rows = files.reduce((n, f) => n + f.batchRows, 0);
  const out: FileOutcome[] = [];
  for (const f of files) {
    const { dbms, table } = f.name;
    // The transaction's time shared by rows.
    const share = (ms * f.batchRows) / Math.max(1, rows);
    ctx.stats.insert(dbms, table, f.batchRows, share, false);
    ctx.metrics?.inc('edgelake_rt_rows_applied_total', { dbms, table }, f.batchRows);
  }
  // One observation per transaction: the metric is the dbms write's duration.
  ctx.metrics?.observe('edgelake_rt_dbms_write_duration_seconds', { dbms: files[0]!.name.dbms }, ms / 1000);
  for (const f of files) out.push(await finishJson(ctx, f));
  return out;
}
