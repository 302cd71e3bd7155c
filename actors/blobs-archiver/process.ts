// One file of bwatch_dir through the archiver (EdgeLake alarchiver.py data_archiver L56-245):
//   <dbms>.<table>[...].json   a JSON file whose rows name blobs waiting in blobs_dir:
//       1. name, rows and `file` ids checked; every named blob must be a readable file in blobs_dir,
//          unless reuse_blobs (or this same JSON file) archived it before (the index says so)
//       2. each blob archived (archive.ts), indexed (catalog.ts), then removed from blobs_dir
//       3. the rows, unchanged, made durable in the journal for the operator (RowProducer)
//       4. the JSON file deleted (EdgeLake deletes it too)
//   anything else              a blob dropped alone, `<dbms>.<table>.<file id>`: archived and indexed
// A file that fails goes to err_dir as `<name>.err_<code>.<epoch>.<type>` with `<that>.reason.txt`
// beside it; the service goes on with the next file. Step 1 checks everything before step 2 moves
// anything, and a JSON file processed again after a crash finds its blobs already indexed under its
// own name, so a restart neither loses a blob nor refuses the file.
import { access, chmod, constants, mkdir, rename, stat, unlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { EdgeRtError, ProtocolError, errorMessage } from '../../base/errors.js';
import type { Logger } from '../../base/log.js';
import { parseFileName } from '../../protocols/files/names.js';
import type { DbmsAdapter } from '../../storage/dbms/types.js';
import { archiveBlob, BlobError } from './archive.js';
import { findOne, upsert, type BlobRecord } from './catalog.js';
import type { BlobsArchiverConfig } from './config.js';
import { blobIds, checkNames, JSON_STRUCTURE, parseRows, standaloneName, type Row } from './refs.js';
import type { ArchiverStats } from './stats.js';
import { readRegular, writeReason } from '../_shared/file-moves.js';

export interface ArchiverDirs {
  bwatch: string;
  blobs: string;
  archive: string;
  err: string;
}

export interface ProcessContext {
  cfg: BlobsArchiverConfig;
  dirs: ArchiverDirs;
  /** The blobs index (dbms = true). */
  index: DbmsAdapter | undefined;
  /** Durable hand-over of the rows to the operator. */
  submit(dbms: string, table: string, rows: readonly Row[]): Promise<unknown>;
  stats: ArchiverStats;
  log: Logger;
  now(): Date;
  uniqueEpoch(): number;
}

/** EdgeLake process_status codes used here. */
const FILE_MISSING = 12;
const MOVE_FAILED = 44;
const MAX_JSON_BYTES = 64 << 20;

/** Files never touched: hidden, partial, temporary. */
export function isCandidate(name: string): boolean {
  return !name.startsWith('.') && !name.endsWith('.part') && !name.endsWith('.tmp');
}

export type Outcome = 'ignored' | 'done' | 'failed';

export async function processFile(pc: ProcessContext, path: string): Promise<Outcome> {
  const name = basename(path);
  if (!isCandidate(name)) return 'ignored';
  let st;
  try {
    st = await stat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'ignored'; // taken already
    throw err;
  }
  if (!st.isFile()) return 'ignored';
  try {
    if (name.endsWith('.json')) await referenceFile(pc, path, name);
    else await standaloneBlob(pc, path, name);
    pc.stats.fileDone(name);
    return 'done';
  } catch (err) {
    const code = err instanceof EdgeRtError && err.code !== undefined ? err.code : MOVE_FAILED;
    const reason = errorMessage(err);
    const dest = await toErrorDir(pc, path, name, code, reason);
    pc.stats.fileFailed(name, code, reason);
    pc.log.warn('blobs archiver: file moved to the error directory', { file: name, code, error: reason, dest });
    return 'failed';
  }
}

async function referenceFile(pc: ProcessContext, path: string, name: string): Promise<void> {
  const n = parseFileName(name);
  if (n.type !== 'json')
    throw new ProtocolError(`file name ${JSON.stringify(name)}: not a JSON file`, { code: JSON_STRUCTURE });
  checkNames(n.dbms, n.table, name);
  if ((await stat(path)).size > MAX_JSON_BYTES)
    throw new ProtocolError('JSON file over 64 MiB', { code: JSON_STRUCTURE });
  const rows = parseRows(await readRegular(path));
  const ids = blobIds(rows, name);
  const key = `${n.dbms}.${n.table}`;
  // 1. every blob is there (or known) before anything moves
  const todo: { id: string; src: string }[] = [];
  for (const id of ids) {
    const src = join(pc.dirs.blobs, `${key}.${id}`);
    let present: boolean;
    try {
      present = await readableFile(src);
    } catch (err) {
      pc.stats.blob(key, id, { code: FILE_MISSING, message: errorMessage(err) });
      throw err;
    }
    if (present) {
      todo.push({ id, src });
      continue;
    }
    const known = pc.index ? await findOne(pc.index, n.dbms, n.table, id) : undefined;
    if (known && (pc.cfg.reuse_blobs || known.refFile === name)) continue;
    if (!pc.index && pc.cfg.reuse_blobs) continue; // EdgeLake: trusted without a dbms to ask
    const message = `The blob file '${src}' does not exist`;
    pc.stats.blob(key, id, { code: FILE_MISSING, message });
    throw new BlobError(`Archiver error: ${message}`, { code: FILE_MISSING });
  }
  // 2. archive, index, remove
  for (const { id, src } of todo) {
    try {
      await archiveOne(pc, src, { dbms: n.dbms, table: n.table, id, refFile: name });
      await unlink(src);
    } catch (err) {
      const message = `Failed to archive blob '${src}': ${errorMessage(err)}`;
      pc.stats.blob(key, id, { code: MOVE_FAILED, message });
      throw new BlobError(message, { code: MOVE_FAILED, cause: err });
    }
    pc.stats.blob(key, id);
  }
  // 3. the rows, durable before the JSON file goes
  await pc.submit(n.dbms, n.table, rows);
  await unlink(path);
  pc.log.debug('blobs archived', { file: name, blobs: todo.length, rows: rows.length });
}

async function standaloneBlob(pc: ProcessContext, path: string, name: string): Promise<void> {
  const { dbms, table, id } = standaloneName(name);
  await archiveOne(pc, path, { dbms, table, id, refFile: '' });
  await unlink(path);
  pc.stats.blob(`${dbms}.${table}`, id);
}

/** Archives `src` (which stays where it is) and indexes it; the record written. */
export async function archiveOne(
  pc: Pick<ProcessContext, 'cfg' | 'dirs' | 'index' | 'now'>,
  src: string,
  b: { dbms: string; table: string; id: string; refFile: string },
): Promise<BlobRecord> {
  const now = pc.now();
  const originalName = `${b.dbms}.${b.table}.${b.id}`;
  const a = await archiveBlob(src, originalName, {
    archiveDir: pc.dirs.archive,
    folder: pc.cfg.folder,
    compress: pc.cfg.compress,
    now,
  });
  const rec: BlobRecord = {
    dbms: b.dbms,
    table: b.table,
    fileId: b.id,
    originalName,
    md5: a.md5,
    sha256: a.sha256,
    size: a.size,
    storedSize: a.storedSize,
    compressed: pc.cfg.compress,
    contentType: a.contentType,
    archivePath: a.path,
    archiveDate: a.date,
    refFile: b.refFile,
    archivedAt: now.toISOString(),
  };
  if (pc.index) await upsert(pc.index, rec);
  return rec;
}

async function readableFile(path: string): Promise<boolean> {
  let st;
  try {
    st = await stat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new BlobError(`The blob file '${path}' cannot be read: ${errorMessage(err)}`, {
      code: FILE_MISSING,
      cause: err,
    });
  }
  if (!st.isFile()) throw new BlobError(`The blob file '${path}' is not a regular file`, { code: FILE_MISSING });
  try {
    await access(path, constants.R_OK);
  } catch (err) {
    throw new BlobError(`The blob file '${path}' cannot be read: ${errorMessage(err)}`, {
      code: FILE_MISSING,
      cause: err,
    });
  }
  return true;
}

/** `<base>.err_<code>.<epoch>.<type>` (EdgeLake file_to_dir io L1953-1977) and the reason beside it. */
async function toErrorDir(
  pc: ProcessContext,
  path: string,
  name: string,
  code: number,
  reason: string,
): Promise<string> {
  await mkdir(pc.dirs.err, { recursive: true, mode: 0o700 });
  const dot = name.lastIndexOf('.');
  const epoch = pc.uniqueEpoch();
  const errName =
    dot > 0 ? `${name.slice(0, dot)}.err_${code}.${epoch}${name.slice(dot)}` : `${name}.err_${code}.${epoch}`;
  const dest = join(pc.dirs.err, errName);
  await rename(path, dest);
  // It keeps the mode its writer gave it (maybe world-readable): the error directory is the node's only.
  await chmod(dest, 0o600);
  // Written aside and renamed: a reader of the error directory never finds the reason file empty (a CI run read one
  // between its creation and its write).
  await writeReason(`${dest}.reason.txt`, `error ${code}: ${reason}\n`);
  return dest;
}
