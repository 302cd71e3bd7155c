// Where a watch-dir file goes after the operator is done with it (generic/utils_io.py, names in
// protocols/files/dest.ts): archive/YY/MM/DD (compressed when asked), the backup directory,
// deletion, or the error directory with a `.reason.txt` file beside it saying why.
// Modes: a file keeps its mode across a rename, and a device or peer may have written it world-readable, so what
// lands in the archive or backup is set to 0640 and what lands in the error directory to 0600.
import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, copyFile, mkdir, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip, createGunzip } from 'node:zlib';
import { archivePath, bkupFileName, createUniqueEpoch, errorFileName } from '../../protocols/files/dest.js';

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
    await pipeline(createReadStream(src), createGzip(), createWriteStream(tmp, { mode: 0o600 }));
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

/** Failed: `<err_dir>/<name>.err_<code>.<epoch>.<type>` and the reason next to it. */
export async function failFile(
  path: string,
  fileName: string,
  dirs: MoveDirs,
  code: number,
  reason: string,
): Promise<string> {
  await mkdir(dirs.errDir, { recursive: true });
  const dest = join(dirs.errDir, errorFileName(fileName, code, uniqueEpoch()));
  await rename(path, dest);
  await chmod(dest, 0o600);
  await writeFile(`${dest}.reason.txt`, `error ${code}: ${reason}\n`, { mode: 0o600 });
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
  await pipeline(createReadStream(path), createGunzip(), createWriteStream(tmp, { mode: 0o600 }));
  await rename(tmp, out);
  await unlink(path);
  return out;
}

/**
 * Archiving in the background. A file's rows and its `done` record are committed before it is handed
 * here, so compressing it (gzip runs on libuv's thread pool) does not hold up the next file; a file
 * still being moved is skipped by scans, and one left by a crash is found `done` and moved again.
 */
export class Finisher {
  private readonly busy = new Set<string>();
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly onError: (path: string, err: unknown) => void,
    private readonly max = 2,
  ) {}

  has(path: string): boolean {
    return this.busy.has(path);
  }

  /** Runs `fn` for `path` once fewer than `max` moves are under way. */
  async run(path: string, fn: () => Promise<unknown>): Promise<void> {
    while (this.running.size >= this.max) await Promise.race(this.running);
    this.busy.add(path);
    const p = fn().then(
      () => undefined,
      (err: unknown) => this.onError(path, err),
    );
    const tracked = p.finally(() => {
      this.busy.delete(path);
      this.running.delete(tracked);
    });
    this.running.add(tracked);
  }

  async drain(): Promise<void> {
    await Promise.all([...this.running]);
  }
}
