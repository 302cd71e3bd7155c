// Where a watch-dir file goes after the operator is done with it (generic/utils_io.py, names in
// protocols/files/dest.ts): archive/YY/MM/DD (compressed when asked), the backup directory,
// deletion, or the error directory with a `.reason.txt` file beside it saying why.
// Watch directories take regular files only: an entry is classified by lstat before anything opens it, and every
// read opens with O_NONBLOCK and checks fstat (`openRegular`), so a FIFO or a device swapped in after the check
// fails that one file instead of blocking a libuv thread (and the actor) for ever.
// Modes: a file keeps its mode across a rename, and a device or peer may have written it world-readable, so what
// lands in the archive or backup is set to 0640 and what lands in the error directory to 0600.
import { constants, createReadStream, createWriteStream, type ReadStream } from 'node:fs';
import {
  chmod,
  copyFile,
  lstat,
  mkdir,
  open,
  realpath,
  rename,
  stat,
  unlink,
  writeFile,
  type FileHandle,
} from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { dirname, join, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip, createGunzip } from 'node:zlib';
import { ConfigError, ProtocolError, errorMessage } from '../../base/errors.js';
import { Status } from '../../base/status.js';
import { archivePath, bkupFileName, createUniqueEpoch, errorFileName } from '../../protocols/files/dest.js';

/** Bytes a file name may have on Linux file systems (NAME_MAX). */
export const NAME_MAX = 255;

/** What kind of entry a path is, as lstat (and for a symlink, stat of its target) says, without opening it. */
export type EntryKind =
  | 'file'
  | 'directory'
  | 'fifo'
  | 'socket'
  | 'character device'
  | 'block device'
  | 'symlink leaving the directory'
  | 'dangling symlink'
  | 'other';

function kindOf(st: import('node:fs').Stats): EntryKind {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'directory';
  if (st.isFIFO()) return 'fifo';
  if (st.isSocket()) return 'socket';
  if (st.isCharacterDevice()) return 'character device';
  if (st.isBlockDevice()) return 'block device';
  return 'other';
}

/**
 * A watch-dir entry's kind. A symlink counts as its target when the target is inside `dir` (else `symlink leaving
 * the directory`); undefined when the entry is gone.
 */
export async function classifyEntry(path: string, dir: string): Promise<EntryKind | undefined> {
  let st;
  try {
    st = await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  if (!st.isSymbolicLink()) return kindOf(st);
  let target: string;
  try {
    target = await realpath(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ELOOP')
      return 'dangling symlink';
    throw err;
  }
  const root = await realpath(dir);
  if (!target.startsWith(root + sep)) return 'symlink leaving the directory';
  return kindOf(await stat(target));
}

/**
 * A directory a service watches must exist and be a directory (it is not created: a typo would otherwise make an
 * empty directory nobody writes to). Throws ConfigError naming the option.
 */
export async function checkWatchDir(dir: string, option: string): Promise<void> {
  let st;
  try {
    st = await stat(dir);
  } catch (err) {
    throw new ConfigError(
      `${option} = ${dir}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such directory' : errorMessage(err)}`,
      {
        code: Status.FileDoesNotExist,
        cause: err,
      },
    );
  }
  if (!st.isDirectory())
    throw new ConfigError(`${option} = ${dir}: not a directory`, { code: Status.FileDoesNotExist });
}

/**
 * Opens a file for reading only if it is a regular file: O_NONBLOCK so opening a FIFO does not wait for a writer,
 * then fstat on the open descriptor (no window between check and open).
 */
export async function openRegular(path: string): Promise<FileHandle> {
  const fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new ProtocolError(`${path}: not a regular file (${kindOf(st)})`, { code: Status.IoError });
    return fh;
  } catch (err) {
    await fh.close();
    throw err;
  }
}

/** A read stream over a regular file only (`openRegular`); the stream closes the file. */
export async function regularStream(path: string, encoding?: BufferEncoding): Promise<ReadStream> {
  const fh = await openRegular(path);
  return createReadStream('', { fd: fh, ...(encoding ? { encoding } : {}) });
}

/** A regular file's bytes (`openRegular`). */
export async function readRegularBytes(path: string): Promise<Buffer> {
  const fh = await openRegular(path);
  try {
    return await fh.readFile();
  } finally {
    await fh.close();
  }
}

/** A regular file's whole text (`openRegular`). */
export async function readRegular(path: string): Promise<string> {
  const fh = await openRegular(path);
  try {
    return await fh.readFile('utf8');
  } finally {
    await fh.close();
  }
}

/**
 * Writes a reason file whole or not at all (a temporary name, then rename): whoever watches the error directory
 * sees the reason's name only once its text is there.
 */
export async function writeReason(path: string, text: string): Promise<void> {
  const tmp = join(dirname(path), `.${createHash('md5').update(path).digest('hex')}.part`);
  await writeFile(tmp, text, { mode: 0o600 });
  await rename(tmp, path);
}

export interface MoveDirs {
  watchDir: string;
  archiveDir: string;
  bkupDir: string;
  errDir: string;
  distrDir: string;
}

const uniqueEpoch = createUniqueEpoch();

async function moveTo(src: string, dest: string, compress: boolean): Promise<void> {
  await mkdir(dirname(dest), { recursive: true });
  if (compress) {
    const tmp = `${dest}.part`;
    await pipeline(await regularStream(src), createGzip(), createWriteStream(tmp, { mode: 0o600 }));
    await rename(tmp, dest);
    await unlink(src);
  } else await rename(src, dest);
  await chmod(dest, 0o640);
}

/** Processed: archive (YY/MM/DD, `.gz` when compressed), else backup or delete (EdgeLake's options). */
export async function finishFile(
  path: string,
  fileName: string,
  dirs: MoveDirs,
  o: { archive: boolean; compress: boolean; delete: boolean; move: boolean },
): Promise<string | undefined> {
  if (o.archive) {
    const mtime = (await stat(path)).mtime;
    const rel = archivePath(fileName, mtime);
    const dest = join(dirs.archiveDir, o.compress ? rel : rel.slice(0, -3));
    await moveTo(path, dest, o.compress);
    return dest;
  }
  if (o.delete) {
    await unlink(path);
    return undefined;
  }
  if (o.move || o.compress) {
    const dest = join(dirs.bkupDir, bkupFileName(fileName, uniqueEpoch(), o.compress));
    await moveTo(path, dest, o.compress);
    return dest;
  }
  // EdgeLake: neither archived, moved nor compressed: the file is deleted.
  await unlink(path);
  return undefined;
}

/**
 * The error-dir name of a file whose own name cannot be used (too long once `.err_<code>.<epoch>` is added, or
 * not a name with a type): `long-<sha1 of the name, 16 hex>.err_<code>.<epoch>.<type>`; the original name goes in
 * the reason file.
 */
export function shortErrorFileName(fileName: string, code: number, epoch: number): string {
  const dot = fileName.lastIndexOf('.');
  const type =
    dot > 0
      ? fileName
          .slice(dot + 1)
          .replace(/[^\w-]/g, '')
          .slice(0, 16)
      : '';
  const h = createHash('sha1').update(fileName).digest('hex').slice(0, 16);
  return `long-${h}.err_${code}.${epoch}.${type || 'file'}`;
}

function errorName(fileName: string, code: number, epoch: number): { name: string; short: boolean } {
  try {
    const name = errorFileName(fileName, code, epoch);
    // `.reason.txt` is added to the name too.
    if (Buffer.byteLength(name) + '.reason.txt'.length <= NAME_MAX) return { name, short: false };
  } catch {
    // not `<base>.<type>`: the short name below says what it was in the reason file
  }
  return { name: shortErrorFileName(fileName, code, epoch), short: true };
}

/**
 * Failed: `<err_dir>/<name>.err_<code>.<epoch>.<type>` and the reason next to it. A name too long for that (or
 * for the file system: ENAMETOOLONG) goes under `shortErrorFileName`, its original name in the reason file.
 */
export async function failFile(
  path: string,
  fileName: string,
  dirs: MoveDirs,
  code: number,
  reason: string,
): Promise<string> {
  await mkdir(dirs.errDir, { recursive: true });
  const epoch = uniqueEpoch();
  let { name, short } = errorName(fileName, code, epoch);
  let dest = join(dirs.errDir, name);
  try {
    await rename(path, dest);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENAMETOOLONG' || short) throw err;
    // A file system with a smaller limit than NAME_MAX (eCryptfs: 143).
    ({ name, short } = { name: shortErrorFileName(fileName, code, epoch), short: true });
    dest = join(dirs.errDir, name);
    await rename(path, dest);
  }
  await chmod(dest, 0o600);
  const original = short ? `original name: ${fileName}\n` : '';
  await writeReason(`${dest}.reason.txt`, `error ${code}: ${reason}\n${original}`);
  return dest;
}

/** The operator's `distributor = true`: a copy of each processed file for the HA distributor. */
export async function copyToDistr(path: string, fileName: string, dirs: MoveDirs): Promise<void> {
  await mkdir(dirs.distrDir, { recursive: true });
  const tmp = join(dirs.distrDir, `.${fileName}.part`);
  await copyFile(path, tmp);
  await rename(tmp, join(dirs.distrDir, fileName));
}

/** `.gz` in the watch directory: decompressed in place (name without .gz), then removed. */
export async function gunzipInPlace(path: string): Promise<string> {
  const out = path.slice(0, -3);
  const tmp = join(dirname(path), `.${out.slice(dirname(path).length + 1)}.part`);
  await pipeline(await regularStream(path), createGunzip(), createWriteStream(tmp, { mode: 0o600 }));
  await rename(tmp, out);
  await unlink(path);
  return out;
}

/**
 * Archiving in the background. A file's rows and its `done` record are committed before it is handed
 * here, so compressing it (gzip runs on libuv's thread pool) does not hold up the next file; a file
 * still queued or being moved is skipped by scans, and one left by a crash is found `done` and moved again.
 * At most `max` moves run at once; the caller waits only while `maxQueued` more wait their turn. Before, the caller
 * waited for a free slot of the two: after a group of ten files committed, the operator sat idle until eight of
 * them were gzipped (bench/README.md, `ingest-files`), where the next group's reads and checks could have run.
 */
export class Finisher {
  /** Paths queued or being moved. */
  private readonly busy = new Set<string>();
  private readonly queue: { path: string; fn: () => Promise<unknown> }[] = [];
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly onError: (path: string, err: unknown) => void,
    private readonly max = 2,
    private readonly maxQueued = 256,
  ) {}

  has(path: string): boolean {
    return this.busy.has(path);
  }

  /** Queues `fn` for `path` (run once fewer than `max` moves are under way); waits while `maxQueued` are queued. */
  async run(path: string, fn: () => Promise<unknown>): Promise<void> {
    while (this.queue.length >= this.maxQueued) await Promise.race(this.running);
    this.busy.add(path);
    this.queue.push({ path, fn });
    this.pump();
  }

  private pump(): void {
    while (this.running.size < this.max && this.queue.length > 0) {
      const { path, fn } = this.queue.shift()!;
      const p = (async () => fn())().then(
        () => undefined,
        (err: unknown) => this.onError(path, err),
      );
      const tracked = p.finally(() => {
        this.busy.delete(path);
        this.running.delete(tracked);
        this.pump();
      });
      this.running.add(tracked);
    }
  }

  /** Every queued and running move done. */
  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }
}
