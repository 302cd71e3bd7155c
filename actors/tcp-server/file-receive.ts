// The receiving side of `file write` (EdgeLake net_client.file_send L67-217, member_cmd.py L10826-10900, spec
// section 1 "File transfer"): blocks are appended to `<dest>.transfer` (block 1 truncates it); on the last block
// the transfer replaces `<dest>`, and a `.gz` destination is decompressed (suffix dropped).
//   flag 0  `<dest>` is a path on this node, or starts with `!key` (a directory of this node's dictionary)
//   flag 1  a file name, written into `!watch_dir`
//   flag 2  the ledger: written like flag 0 (the blockchain layer reads it)
//   flag 3  a large message `cmd.<ip>.<n>.lmsg`: written into `!prep_dir` under that name and a unique suffix, then
//           run as one command (worker.ts)
// Unlike EdgeLake, a destination outside the node's data directories (after resolving symlinks) is refused, so a
// peer cannot write anywhere on the machine, nor over the node's databases, journal, ledger or state.
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { ProtocolError } from '../../base/errors.js';
import { FileAccessError, confinedPath } from '../../node/files/confine.js';

export interface FileContext {
  root: string;
  /** The node's directories by dictionary key (`watch_dir` -> path). */
  dirs: Record<string, string>;
}

/**
 * Where a `file write <dest>` with generic flag `flag` goes on this node: a real path (symlinks resolved) inside
 * its data directories, or the ledger copy the synchronizer asked for (node/files/confine.ts). Throws
 * ProtocolError if not allowed.
 */
export async function destinationPath(dest: string, flag: number, fc: FileContext): Promise<string> {
  const dir = (key: string): string => {
    const d = fc.dirs[key];
    if (!d) throw new ProtocolError(`file write: this node has no '${key}'`);
    return d;
  };
  let path: string;
  if (flag === 1) path = join(dir('watch_dir'), basename(dest));
  // A large message's file is read, run and deleted by the receiver alone: its name is made unique here, so a
  // peer can neither replace a file of prep_dir (then deleted with the message) nor swap its text in for another
  // peer's message of the same name between that one's last block and its run (run with the other's key).
  else if (flag === 3) path = join(dir('prep_dir'), `${basename(dest)}.${randomUUID().slice(0, 8)}`);
  else if (dest.startsWith('!')) {
    const m = /^!([\w.]+)(.*)$/.exec(dest);
    if (!m) throw new ProtocolError(`file write: bad destination '${dest}'`);
    path = dir(m[1]!) + m[2]!;
  } else path = isAbsolute(dest) ? dest : join(fc.root, dest);
  try {
    return await confinedPath(resolve(path), flag === 2 ? 'ledger' : 'write', fc.dirs, true, 'file write');
  } catch (err) {
    if (err instanceof FileAccessError) throw new ProtocolError(err.message, { cause: err });
    throw err;
  }
}

/** One transfer in progress. */
export class FileSink {
  private written = 0;
  private closed = false;

  private constructor(
    readonly path: string,
    /** `<dest>.<unique>.transfer`: two transfers of one file at once (HA distributor and consumer) never share it. */
    private readonly transfer: string,
    private readonly fh: FileHandle,
  ) {}

  static async open(path: string): Promise<FileSink> {
    await mkdir(dirname(path), { recursive: true });
    const transfer = `${path}.${randomUUID().slice(0, 8)}.transfer`;
    // `wx`: the transfer file is new, never a file (or link) someone placed there.
    return new FileSink(path, transfer, await open(transfer, 'wx'));
  }

  get bytes(): number {
    return this.written;
  }

  async write(data: Uint8Array): Promise<void> {
    let at = 0;
    while (at < data.length) {
      const { bytesWritten } = await this.fh.write(data, at, data.length - at);
      at += bytesWritten;
    }
    this.written += data.length;
  }

  /** Closes the transfer and puts it in place; returns the final path. */
  async finish(): Promise<string> {
    this.closed = true;
    await this.fh.close();
    const transfer = this.transfer;
    if (!this.path.endsWith('.gz')) {
      await rename(transfer, this.path);
      return this.path;
    }
    const target = this.path.slice(0, -3);
    const unpacked = `${transfer}.unpacked`;
    try {
      await pipeline(createReadStream(transfer), createGunzip(), createWriteStream(unpacked));
    } catch (err) {
      await rm(unpacked, { force: true });
      throw err;
    } finally {
      await rm(transfer, { force: true });
    }
    // Last: whoever waits for the file sees it only complete, and with nothing of the transfer left beside it.
    await rename(unpacked, target);
    return target;
  }

  async abort(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      await this.fh.close();
    }
    await rm(this.transfer, { force: true });
  }
}
