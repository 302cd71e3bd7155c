// Moving a blob into the archive and getting it back, byte for byte.
//   archive:  <archive_dir>[/YY/MM/DD]/<dbms>.<table>.<file id>[.gz]  (date UTC, EdgeLake archive_file
//             io L2459-2500), written to a hidden `.part` file, fsynced, renamed, directory fsynced: a
//             crash leaves either no archived file or a whole one. md5 and sha256 of the original bytes
//             are taken on the way.
//   restore:  the archived file, gunzipped when compressed, to `dest` through a `.part` file; the md5 is
//             checked against the index before the rename, so a damaged archive is an error, not a file.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { EdgeRtError } from '../../base/errors.js';
import type { BlobRecord } from './catalog.js';
import { Status } from '../../base/status.js';
import { regularStream } from '../_shared/file-moves.js';

export interface ArchiveOptions {
  archiveDir: string;
  folder: boolean;
  compress: boolean;
  now: Date;
}

export interface Archived {
  path: string;
  /** YYMMDD, UTC */
  date: string;
  md5: string;
  sha256: string;
  size: number;
  storedSize: number;
  contentType: string;
}

export class BlobError extends EdgeRtError {}

/** Hashes and counts what flows through, and keeps the first bytes for the content type. */
class Tap extends Transform {
  readonly md5 = createHash('md5');
  readonly sha256 = createHash('sha256');
  size = 0;
  head = Buffer.alloc(0);

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.md5.update(chunk);
    this.sha256.update(chunk);
    this.size += chunk.length;
    if (this.head.length < 16) this.head = Buffer.concat([this.head, chunk.subarray(0, 16 - this.head.length)]);
    cb(null, chunk);
  }
}

async function fsyncPath(path: string, flags: string): Promise<void> {
  const fh = await open(path, flags);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Copies `src` (through `tap`, gzipped or gunzipped or as is) to `dest` atomically and durably;
 * `check` runs on the complete copy before it takes the name (a throw leaves nothing behind).
 */
async function writeAtomically(
  src: NodeJS.ReadableStream,
  tap: Tap,
  dest: string,
  gzip: 'gzip' | 'gunzip' | 'none',
  check: (tap: Tap) => void = () => undefined,
): Promise<void> {
  const dir = dirname(dest);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = join(dir, `.${basename(dest)}.part`);
  try {
    const out = createWriteStream(tmp, { mode: 0o600 });
    if (gzip === 'gzip') await pipeline(src, tap, createGzip(), out);
    else if (gzip === 'gunzip') await pipeline(src, createGunzip(), tap, out);
    else await pipeline(src, tap, out);
    await fsyncPath(tmp, 'r+');
    check(tap);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  await rename(tmp, dest);
  await fsyncPath(dir, 'r');
}

export async function archiveBlob(src: string, name: string, o: ArchiveOptions): Promise<Archived> {
  const date = o.now.toISOString().replace(/[-:T]/g, '').slice(2, 8);
  const dir = o.folder ? join(o.archiveDir, date.slice(0, 2), date.slice(2, 4), date.slice(4, 6)) : o.archiveDir;
  const path = join(dir, o.compress ? `${name}.gz` : name);
  const tap = new Tap();
  await writeAtomically(await regularStream(src), tap, path, o.compress ? 'gzip' : 'none');
  return {
    path,
    date,
    md5: tap.md5.digest('hex'),
    sha256: tap.sha256.digest('hex'),
    size: tap.size,
    storedSize: (await stat(path)).size,
    contentType: contentType(name, tap.head),
  };
}

/** Writes the original bytes of an indexed blob to `dest`; a BlobError when they do not match the index. */
export async function restoreBlob(rec: BlobRecord, dest: string): Promise<void> {
  await writeAtomically(
    createReadStream(rec.archivePath),
    new Tap(),
    dest,
    rec.compressed ? 'gunzip' : 'none',
    (tap) => {
      const md5 = tap.md5.digest('hex');
      if (md5 !== rec.md5)
        throw new BlobError(`archived blob ${rec.archivePath} is damaged: md5 ${md5}, indexed ${rec.md5}`, {
          code: Status.FileMoveFailed,
        });
    },
  );
}

const BY_EXTENSION: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.bmp': 'image/bmp',
  '.webp': 'image/webp',
  '.tif': 'image/tiff',
  '.tiff': 'image/tiff',
  '.mp4': 'video/mp4',
  '.mov': 'video/quicktime',
  '.avi': 'video/x-msvideo',
  '.mkv': 'video/x-matroska',
  '.wav': 'audio/wav',
  '.mp3': 'audio/mpeg',
  '.pdf': 'application/pdf',
  '.json': 'application/json',
  '.csv': 'text/csv',
  '.txt': 'text/plain',
  '.gz': 'application/gzip',
};

/** The leading bytes first (a camera does not always name its files well), then the extension. */
export function contentType(name: string, head: Buffer): string {
  const at = (s: string, off = 0): boolean => head.subarray(off, off + s.length).equals(Buffer.from(s, 'latin1'));
  if (at('\x89PNG\r\n\x1a\n')) return 'image/png';
  if (at('\xff\xd8\xff')) return 'image/jpeg';
  if (at('GIF87a') || at('GIF89a')) return 'image/gif';
  if (at('%PDF-')) return 'application/pdf';
  if (at('RIFF') && at('WAVE', 8)) return 'audio/wav';
  if (at('RIFF') && at('WEBP', 8)) return 'image/webp';
  if (at('ftyp', 4)) return 'video/mp4';
  if (at('\x1f\x8b')) return 'application/gzip';
  return BY_EXTENSION[extname(name).toLowerCase()] ?? 'application/octet-stream';
}
