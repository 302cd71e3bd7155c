// One watch-dir file through the operator (EdgeLake members/aloperator.py L372-808):
//   .gz -> decompressed in place (the result is picked up next) | a bad name -> error 119
//   claim: the file is renamed to its unique 8-segment name (`...<member>.<row id>.<YYMMDDHHMMSS>`),
//     with tsd_info's file_id as row id when update_tsd_info is on; a restart finds it under that
//     name and resumes from the rows already committed for it (storage: FileRecord)
//   dbms not connected -> error 10 | bad JSON -> error 67 | table missing and create_table = false -> 171
//   rows are inserted in chunks, each chunk with the file's progress in the same transaction
//   then archive / backup / delete, and a copy to distr_dir with `distributor = true`
// A file named with another member's id (8 segments) is that member's file, replicated by the HA distributor or
// pulled by the consumer: with update_tsd_info it is recorded in tsd_<member> under the member's file id, and a
// hash already recorded for another file (tsd_info or any tsd_<member>) is not inserted again: the copy is
// deleted. The same file delivered twice is inserted once by its name (its progress record). It is never copied to
// distr_dir (only the member that took a file first distributes it).
// SQL files (`dbms.table.partition...sql`) hold INSERT statements into their table; anything else in
// them is refused (error 16).
import { rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { DbmsError, EdgeRtError, ProtocolError, errorMessage } from '../../base/errors.js';
import { parseFileName, tsdFileName, type JsonFileName, type SqlFileName } from '../../protocols/files/names.js';
import { createFileHasher } from '../../protocols/files/hash.js';
import type { ApplyContext } from './apply.js';
import type { DbmsConn } from './catalog.js';
import type { FileRecord, InsertBatch } from '../../storage/dbms/types.js';
import { isoMicros } from '../../protocols/format/time.js';
import { chunks, scanFile } from './file-read.js';
import type { InferredColumn } from '../../storage/schema/infer.js';
import {
  NAME_MAX,
  classifyEntry,
  copyToDistr,
  failFile,
  finishFile,
  gunzipInPlace,
  readRegular,
  regularStream,
  type Finisher,
  type MoveDirs,
} from '../_shared/file-moves.js';
import { fileTimeOfDate, memberTable, type TsdInfo } from './tsd.js';
import { tsdFileTime } from '../../storage/schema/tsd.js';
import type { OperatorConfig } from './config.js';
import { Status } from '../../base/status.js';
import { classifyFailure } from './failures.js';
import { partitionBatches } from './partition.js';

/** Files with at least this many rows report their load progress. */
const PROGRESS_ROWS = 50_000;

export interface FileContext extends ApplyContext {
  dirs: MoveDirs;
  cfg: OperatorConfig;
  finisher: Finisher;
  /** Watch-dir entries skipped as not files (directories), so each is logged once. */
  skipped: Set<string>;
  /** True for a watch-dir name written to within the watch's quiet time (index.ts, quiet-watch.ts): not taken yet. */
  writing: (name: string) => boolean;
}

export type FileOutcome =
  | { k: 'ignored' }
  | { k: 'done'; rows: number; dest: string | undefined }
  | { k: 'failed'; code: number; dest: string };

/** Files the operator never touches: hidden, partial, temporary. */
export function isCandidate(name: string): boolean {
  return !name.startsWith('.') && !name.endsWith('.part') && !name.endsWith('.tmp');
}

async function md5File(path: string, dbms: string, table: string): Promise<string> {
  const h = createFileHasher(dbms, table);
  for await (const chunk of await regularStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** A second pass with inference, for a known table that gets new columns from this file. */
async function inferNew(path: string): Promise<InferredColumn[]> {
  return (await scanFile(path, true)).columns;
}

/** Up to the commit: a file read and checked (ReadyFile), or its outcome when nothing is left to commit. */
export async function prepareFile(ctx: FileContext, path: string): Promise<ReadyFile | FileOutcome> {
  const fileName = basename(path);
  // A name still being written comes again once quiet (the watch's event); a scan meanwhile leaves it.
  if (!isCandidate(fileName) || ctx.finisher.has(path) || ctx.writing(fileName)) return { k: 'ignored' };
  const type = fileName.slice(fileName.lastIndexOf('.') + 1);
  if (!ctx.cfg.file_type.includes(type)) return { k: 'ignored' };
  // Regular files only, checked before anything opens the entry (a FIFO's open waits for a writer for ever).
  const kind = await classifyEntry(path, ctx.dirs.watchDir);
  if (kind === undefined) return { k: 'ignored' }; // gone (taken by an earlier event)
  if (kind !== 'file') return notAFile(ctx, path, fileName, kind);
  let parsed;
  try {
    parsed = parseFileName(fileName);
  } catch (err) {
    return fail(ctx, path, fileName, err);
  }
  if (parsed.type === 'gz') {
    await gunzipInPlace(path);
    return { k: 'ignored' };
  }
  if (ctx.limitTables && !ctx.limitTables.includes(parsed.table)) return { k: 'ignored' };
  try {
    return parsed.type === 'sql' ? await sqlFile(ctx, path, parsed) : await jsonFile(ctx, path, parsed);
  } catch (err) {
    return failOrThrow(ctx, path, err);
  }
}

/**
 * Database trouble (locked, down, full: failures.ts) leaves the file for a later scan (thrown); anything else about
 * its rows sends it to the error directory (a PostgreSQL data error used to be retried every scan, a SQLite lock used
 * to send the file to the error directory).
 */
export function failOrThrow(ctx: FileContext, path: string, err: unknown): Promise<FileOutcome> {
  if (classifyFailure(err) === 'transient' && !(err instanceof DbmsError && err.code === Status.DbmsNotOpened))
    throw err;
  return fail(ctx, path, basename(path), err);
}

/**
 * A directory stays where it is (it may be the user's own) and is logged once; anything else that is not a regular
 * file (FIFO, socket, device, a symlink leaving the watch dir or dangling) is moved to the error dir, unopened (a
 * rename moves the entry itself), with its reason.
 */
async function notAFile(ctx: FileContext, path: string, fileName: string, kind: string): Promise<FileOutcome> {
  if (kind === 'directory') {
    if (!ctx.skipped.has(path)) {
      if (ctx.skipped.size >= 10_000) ctx.skipped.clear(); // bounded: a later pass logs again
      ctx.skipped.add(path);
      ctx.log.warn('watch directory entry skipped: not a regular file', { file: fileName, kind });
    }
    return { k: 'ignored' };
  }
  return fail(
    ctx,
    path,
    fileName,
    new ProtocolError(`not a regular file (${kind}): the watch directory takes regular files only`, {
      code: Status.IoError,
    }),
  );
}

async function fail(ctx: FileContext, path: string, fileName: string, err: unknown): Promise<FileOutcome> {
  const code = err instanceof EdgeRtError && err.code !== undefined ? err.code : Status.ProcessFailure;
  const dest = await failFile(path, fileName, ctx.dirs, code, errorMessage(err));
  const p = (() => {
    try {
      const n = parseFileName(fileName);
      return n.type === 'gz' ? undefined : n;
    } catch {
      return undefined; // the name itself was the problem
    }
  })();
  ctx.stats.error(
    fileName.endsWith('.sql') ? 'SQL Errors' : 'JSON Errors',
    p?.dbms ?? '',
    p?.table ?? '',
    code,
    errorMessage(err),
  );
  ctx.log.warn('file moved to the error directory', { file: fileName, code, error: errorMessage(err), dest });
  return { k: 'failed', code, dest };
}

/** Renames a file to its unique 8-segment name (and records it in tsd_info when asked). */
async function claim(
  ctx: FileContext,
  path: string,
  n: JsonFileName,
): Promise<{ path: string; name: JsonFileName; tsdId: number }> {
  if (n.tsd) return { path, name: n, tsdId: Number(n.tsd.rowId) };
  const now = new Date();
  let rowId = ctx.nextRowId();
  let tsdId = 0;
  if (ctx.tsdInfo) {
    const hash = n.hash === '0' ? await md5File(path, n.dbms, n.table) : n.hash;
    tsdId = await ctx.tsdInfo.begin(n.dbms, n.table, n.source, hash, n.instructions, now);
    rowId = String(tsdId);
    // The hash travels in the name: cluster members (and `time file send`) find the file by it.
    n = { ...n, hash };
  }
  const newName = tsdFileName(n, ctx.memberId, rowId, now);
  if (Buffer.byteLength(newName) > NAME_MAX)
    throw new ProtocolError(
      `file name too long once claimed (${Buffer.byteLength(newName)} bytes, the limit is ${NAME_MAX}): shorten its segments`,
      { code: Status.FileNameStructure },
    );
  const newPath = join(dirname(path), newName);
  await rename(path, newPath);
  return { path: newPath, name: parseFileName(newName) as JsonFileName, tsdId };
}

/** The member that took the file first, when it is another member of the cluster (8 segments, an int member). */
function originMember(ctx: FileContext, n: JsonFileName): number | undefined {
  const m = n.tsd?.member;
  return typeof m === 'number' && m !== ctx.memberId ? m : undefined;
}

/**
 * With tsd_info: records another member's file in tsd_<member>; false when its hash is recorded for another file (a
 * duplicate). This very file again (same member and file id: a restart mid-file, or a second delivery) goes on: its
 * rows go in once by name (the file's progress, committed with them), and it is archived here too.
 */
async function admitReplica(tsd: TsdInfo, path: string, n: JsonFileName, member: number): Promise<boolean> {
  const hash = n.hash !== '0' ? n.hash : await md5File(path, n.dbms, n.table);
  const fileId = Number(n.tsd!.rowId);
  const seen = await tsd.find(hash);
  if (seen) return seen.table === memberTable(member) && seen.fileId === fileId;
  await tsd.beginReplica(member, fileId, {
    dbms: n.dbms,
    table: n.table,
    source: n.source,
    hash,
    instructions: n.instructions,
    fileTime: fileTimeOfDate(n.tsd!.date) ?? tsdFileTime(new Date()),
  });
  return true;
}

/**
 * A JSON file claimed, read and checked: its last rows (all of them for a file under PROGRESS_ROWS) ready to commit
 * with its progress record in one transaction, which file-group.ts may share with other ready files of the dbms.
 */
export interface ReadyFile {
  path: string;
  name: JsonFileName;
  conn: DbmsConn;
  tsdId: number;
  /** The member that took the file first, when another one. */
  origin: number | undefined;
  /** Rows of the file, all of them once `batches` commit. */
  rows: number;
  /** Rows still to commit (empty when they are in already: a restart after the commit). */
  batches: InsertBatch[];
  batchRows: number;
  bytes: number;
  /** The file's progress record (done), committed with `batches`. */
  record: FileRecord | undefined;
}

async function jsonFile(ctx: FileContext, path0: string, n0: JsonFileName): Promise<ReadyFile | FileOutcome> {
  const c = await ctx.catalog.open(n0.dbms);
  if (!c) throw ctx.catalog.notOpen(n0.dbms);
  const claimed = await claim(ctx, path0, n0);
  try {
    return await readClaimed(ctx, c, claimed);
  } catch (err) {
    // Under its claimed name from here on (the name the caller knows is gone).
    return failOrThrow(ctx, claimed.path, err);
  }
}

async function readClaimed(
  ctx: FileContext,
  c: DbmsConn,
  { path, name, tsdId }: { path: string; name: JsonFileName; tsdId: number },
): Promise<ReadyFile | FileOutcome> {
  const fileName = name.fileName;
  const origin = originMember(ctx, name);
  if (origin !== undefined && ctx.tsdInfo && !(await admitReplica(ctx.tsdInfo, path, name, origin))) {
    await unlink(path);
    ctx.log.info('replicated file already ingested: copy deleted', { file: fileName });
    return { k: 'done', rows: 0, dest: undefined };
  }
  const ready: ReadyFile = {
    ...{ path, name, conn: c, tsdId, origin },
    ...{ rows: 0, batches: [], batchRows: 0, bytes: 0, record: undefined },
  };
  const progress = await c.adapter.fileProgress(fileName);
  ready.rows = progress?.rows ?? 0;
  if (progress?.done) return ready;
  // Type inference only when the table or some column is new (it costs more than the parse).
  const known = await ctx.catalog.table(c, name.table);
  const scan = await scanFile(path, known === undefined);
  if (scan.rows === 0) throw new ProtocolError('the file has no rows', { code: Status.FailedToAnalyzeJson });
  const infer = (): InferredColumn[] => scan.columns;
  const t = await ctx.catalog.ensure(
    c,
    name.table,
    scan.keys,
    known === undefined ? infer : () => inferNew(path),
    ctx.createTable,
    ctx.tsd,
  );
  const columns = ctx.catalog.insertColumns(t, scan.keys);
  const insertTimestamp = isoMicros();
  // A large file tells its progress (rows of rows, with the rate) to the node: logs, `get progress`, `/status`.
  const task = scan.rows >= PROGRESS_ROWS ? `file load ${fileName}` : undefined;
  if (task) ctx.progress?.(task, ready.rows, scan.rows, 'rows', false);
  for await (const ch of chunks(path, scan, ready.rows)) {
    const t0 = performance.now();
    // A partitioned table's rows go to its partition tables (partition.ts).
    const batches = await partitionBatches(ctx.catalog, ctx.partitions, c, name.dbms, t, scan.keys, {
      table: name.table,
      columns,
      rowsJson: ch.text,
      rowCount: ch.rows,
      repeatedKeys: ch.repeatedKeys,
      insertTimestamp,
      tsdName: String(name.tsd?.member ?? ctx.memberId),
      tsdId,
    });
    const record = { name: fileName, hash: name.hash, rows: ch.upTo, done: ch.upTo >= scan.rows };
    if (record.done && !task) {
      // The last rows commit with the progress record, maybe with other files' rows (file-group.ts).
      Object.assign(ready, { rows: ch.upTo, batches, batchRows: ch.rows, bytes: ch.text.length, record });
      break;
    }
    await c.adapter.write(batches, [], [record]);
    const ms = performance.now() - t0;
    ctx.stats.insert(name.dbms, name.table, ch.rows, ms, false);
    ctx.metrics?.observe('edgelake_rt_dbms_write_duration_seconds', { dbms: name.dbms }, ms / 1000);
    ctx.metrics?.inc('edgelake_rt_rows_applied_total', { dbms: name.dbms, table: name.table }, ch.rows);
    ready.rows = ch.upTo;
    if (task) ctx.progress?.(task, ready.rows, scan.rows, 'rows', ready.rows >= scan.rows);
  }
  return ready;
}

/** After its rows committed: tsd_info's row count, then distr_dir and archive / backup / delete. */
export async function finishJson(ctx: FileContext, f: ReadyFile): Promise<FileOutcome> {
  const { path, name, tsdId, origin, rows } = f;
  // Also after a restart between the last rows and this update (the rows are in, the count is not).
  if (ctx.tsdInfo && origin !== undefined) await ctx.tsdInfo.finishReplica(origin, tsdId, rows);
  else if (ctx.tsdInfo && tsdId > 0) await ctx.tsdInfo.finish(tsdId, rows);
  ctx.stats.file('json', name.dbms, name.table, false);
  if (ctx.cfg.distributor && origin === undefined) await copyToDistr(path, name.fileName, ctx.dirs);
  await ctx.finisher.run(path, () =>
    finishFile(path, name.fileName, ctx.dirs, {
      archive: ctx.cfg.archive_json,
      compress: ctx.cfg.compress_json,
      delete: ctx.cfg.delete_json,
      move: ctx.cfg.move_json,
    }),
  );
  return { k: 'done', rows, dest: undefined };
}

const INSERT_INTO = (table: string): RegExp =>
  new RegExp(`^insert\\s+into\\s+"?${table.replace(/[^\w]/g, '')}"?[\\s(]`, 'i');

async function sqlFile(ctx: FileContext, path: string, n: SqlFileName): Promise<FileOutcome> {
  const c = await ctx.catalog.open(n.dbms);
  if (!c) throw ctx.catalog.notOpen(n.dbms);
  if ((await stat(path)).size > 64 << 20) throw new DbmsError('SQL file over 64 MiB', { code: Status.SqlFailure });
  const statements = (await readRegular(path))
    .split(/;\s*(?:\r?\n|$)/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const bad = statements.find((s) => !INSERT_INTO(n.table).test(s));
  if (bad !== undefined)
    throw new DbmsError(`SQL files may only hold INSERT INTO ${n.table} statements (found: ${bad.slice(0, 60)})`, {
      code: Status.SqlFailure,
    });
  const t0 = performance.now();
  try {
    await c.adapter.execDDL(statements);
  } catch (err) {
    throw new DbmsError(`SQL file failed: ${errorMessage(err)}`, { code: Status.SqlFailure, cause: err });
  }
  ctx.stats.insert(n.dbms, n.table, statements.length, performance.now() - t0, false);
  ctx.stats.file('sql', n.dbms, n.table, false);
  await ctx.finisher.run(path, () =>
    finishFile(path, n.fileName, ctx.dirs, {
      archive: ctx.cfg.archive_sql,
      compress: ctx.cfg.compress_sql,
      delete: ctx.cfg.delete_sql,
      move: ctx.cfg.move_sql,
    }),
  );
  return { k: 'done', rows: statements.length, dest: undefined };
}
