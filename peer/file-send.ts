// `run client <dest> file copy <src> <dst> [watch_dir|ledger]`: a file to a peer as EdgeLake's `file write`
// message (net_client.file_send L67-217): command `file write <dst>` (spaces as TAB), generic flag 0 (dst is a
// path or `!key...` on the receiver), 1 (a name in the receiver's watch dir) or 2 (ledger), the file bytes as
// payload in 2048-byte blocks, and EdgeLake's last-block rule: the first block that is not full is the last, so
// a file of an exact multiple of the block room ends with an empty block.
// Streamed: the file is read in chunks and the blocks written with the socket's backpressure, so memory stays
// bounded whatever the file size (protocols/tcp fileWriteMessage builds every block in memory). Block 1 is
// encoded by protocols/tcp; the others copy its header and command and set the three fields that differ
// (block_counter, flag_last, data_length), which is what encodeBlock would write (test/network/file-send.test.ts).
// Block 1 alone carries the authentication segment of a signed transfer (peer/sign.ts).
import { open } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { encodeBlock, encodeText, fillHeader } from '../protocols/tcp/encoder.js';
import {
  BLOCK_SIZE,
  HEADER_SIZE,
  MAX_BODY,
  OFFSET_BLOCK_COUNTER,
  OFFSET_DATA_LENGTH,
  OFFSET_FLAG_LAST,
} from '../protocols/tcp/header.js';
import type { Address, FileWriteFlag } from '../protocols/tcp/builders.js';
import { PeerSendError, openConnection } from './sender.js';
import { RT_SOCKET_ID } from './wire.js';
import { AUTH_LENGTH, destination, hashBlock, messageHash, placeholderAuth, type SignFn } from './sign.js';

/** ~470 KB per read and per socket write. */
const BLOCKS_PER_READ = 256;

/** What sendFile reads from: a FileHandle, or bytes in memory. */
interface Source {
  read(buf: Buffer, offset: number, length: number, position: null): Promise<{ bytesRead: number }>;
  close(): Promise<void>;
}

function memorySource(bytes: Uint8Array): Source {
  let at = 0;
  return {
    async read(buf, offset, length) {
      const n = Math.min(length, bytes.length - at);
      buf.set(bytes.subarray(at, at + n), offset);
      at += n;
      return { bytesRead: n };
    },
    async close() {},
  };
}

/** The blocks of one transfer, built from reads of its source (see the header). */
class BlockMaker {
  private blockNumber = 0;
  /** Payload bytes per block. */
  readonly room: number;
  private readonly first: Uint8Array;
  private readonly next: Uint8Array;

  constructor(
    base: ReturnType<typeof fillHeader>,
    private readonly command: Uint8Array,
    auth: Uint8Array,
  ) {
    // With an authentication segment (block 1 only) every block carries that much less, so block 1 is full
    // like the others and EdgeLake's last-block rule still reads "the first block that is not full".
    this.room = MAX_BODY - command.length - auth.length;
    if (this.room <= 0) throw new PeerSendError('error', 'file write: destination name too long');
    const empty = new Uint8Array(0);
    this.first = encodeBlock({ ...base, blockNumber: 1, lastFlag: 0 }, command, auth, empty).subarray(
      0,
      HEADER_SIZE + command.length + auth.length,
    );
    this.next = encodeBlock({ ...base, blockNumber: 1, lastFlag: 0 }, command, empty, empty).subarray(
      0,
      HEADER_SIZE + command.length,
    );
  }

  /** Writes `auth` over block 1's segment (same length: the placeholder's). */
  setAuth(auth: Uint8Array): void {
    this.first.set(auth, HEADER_SIZE + this.command.length);
  }

  restart(): void {
    this.blockNumber = 0;
  }

  /** The blocks of `bytesRead` bytes of `buf`; `last` when the source is exhausted. */
  blocks(buf: Buffer, bytesRead: number, last: boolean): Buffer {
    const full = Math.floor(bytesRead / this.room);
    const count = full + (last ? 1 : 0);
    const out = Buffer.alloc(count * BLOCK_SIZE);
    const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
    for (let i = 0; i < count; i++) {
      const at = i * BLOCK_SIZE;
      const part = buf.subarray(i * this.room, Math.min((i + 1) * this.room, bytesRead));
      const prefix = this.blockNumber === 0 ? this.first : this.next;
      out.set(prefix, at);
      out.set(part, at + prefix.length);
      view.setUint32(at + OFFSET_BLOCK_COUNTER, ++this.blockNumber);
      out[at + OFFSET_FLAG_LAST] = last && i === count - 1 ? 1 : 0;
      view.setUint32(at + OFFSET_DATA_LENGTH, prefix.length - HEADER_SIZE + part.length);
    }
    return out;
  }
}

const openSource = async (path: string | Uint8Array): Promise<Source> =>
  typeof path === 'string' ? await open(path, 'r') : memorySource(path);

/**
 * Signing a streamed transfer (peer/sign.ts): the signature in block 1 covers every block, so the source is
 * read twice, once to hash the blocks it makes and once to send them.
 */
async function signTransfer(path: string | Uint8Array, maker: BlockMaker, sign: SignFn, dest: string): Promise<void> {
  const file = await openSource(path);
  const h = messageHash();
  try {
    const buf = Buffer.allocUnsafe(maker.room * BLOCKS_PER_READ);
    for (let last = false; !last;) {
      const { bytesRead } = await file.read(buf, 0, buf.length, null);
      last = bytesRead < buf.length;
      const out = maker.blocks(buf, bytesRead, last);
      for (let at = 0; at < out.length; at += BLOCK_SIZE) hashBlock(h, out.subarray(at, at + BLOCK_SIZE));
    }
  } finally {
    await file.close();
  }
  maker.restart();
  // The node does not sign (any more): the placeholder stays, read as unsigned.
  const auth = await sign.sign(h.digest(), dest);
  if (auth) maker.setAuth(auth);
}

/**
 * Sends the file at `path` (or, edgelake-rt's data distributor, bytes already in memory) as `file write <dest>`;
 * resolves with the bytes sent once the socket is flushed. With `sign`, the transfer is signed (peer/sign.ts).
 */
export async function sendFile(
  to: Address,
  path: string | Uint8Array,
  dest: string,
  flag: FileWriteFlag,
  source: Address,
  connectTimeoutMs = 6000,
  sign?: SignFn,
): Promise<number> {
  const command = encodeText(`file write ${dest.replaceAll(' ', '\t')}`);
  // A node that does not sign sends exactly what EdgeLake sends (and reads its file once).
  const signing = sign !== undefined && (await sign.active());
  if (MAX_BODY - command.length - (signing ? AUTH_LENGTH : 0) <= 0)
    throw new PeerSendError('error', `file write: destination name too long (${dest.length} characters)`);
  const base = fillHeader({ sourceIp: source.ip, sourcePort: source.port, genericFlag: flag, socketId: RT_SOCKET_ID });
  const maker = new BlockMaker(base, command, signing ? placeholderAuth() : new Uint8Array(0));
  if (signing) await signTransfer(path, maker, sign!, destination(to.ip, to.port));
  const file = await openSource(path);
  let sock: Socket | undefined;
  try {
    sock = await openConnection(to.ip, to.port, connectTimeoutMs);
    const s = sock;
    let failure: Error | undefined;
    s.on('error', (err) => (failure = err));
    s.resume();
    const buf = Buffer.allocUnsafe(maker.room * BLOCKS_PER_READ);
    let total = 0;
    for (let last = false; !last;) {
      const { bytesRead } = await file.read(buf, 0, buf.length, null);
      // Full blocks, then (end of file) the short last one, possibly empty.
      last = bytesRead < buf.length;
      const out = maker.blocks(buf, bytesRead, last);
      total += bytesRead;
      if (failure) throw new PeerSendError('reset', `${to.ip}:${to.port}: ${failure.message}`, failure);
      if (!s.write(out)) await new Promise<void>((r) => s.once('drain', r));
    }
    await new Promise<void>((resolve, reject) => {
      s.end(() =>
        failure ? reject(new PeerSendError('reset', `${to.ip}:${to.port}: ${failure.message}`, failure)) : resolve(),
      );
    });
    return total;
  } finally {
    await file.close();
    if (sock && !sock.writableFinished) sock.destroy();
  }
}
