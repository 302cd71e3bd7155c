// Decodes EdgeLake TCP blocks (spec section 1; tcpip_server.py rceive_data L62-296, message_header.py getters).
//
//   stream := block*                      the bytes of one connection, cut anywhere by TCP
//   block  := header(207) body(data_length) ignored(2048 - 207 - data_length)
//   body   := command(command_length) auth(authentication_length) payload(rest of data_length)
//
// Checks on every block (each failure is a ProtocolError naming the field):
//   - block_counter equals the 1-based count of blocks read on this connection (EdgeLake logs and drops the
//     connection otherwise, tcpip_server.py L139-153)
//   - command_length + authentication_length <= data_length <= 2048 - 207
//   - source_ip_length <= 128, source_ip and command are UTF-8 (EdgeLake's .decode() raises otherwise)
//   - flag_last is 0 or 1 (EdgeLake only ever writes those; is_last_block tests == 1)
// Bytes past data_length are not checked: EdgeLake's reused buffers leave old bytes there.
import { ProtocolError } from '../../base/errors.js';
import { BLOCK_SIZE, HEADER_SIZE, MAX_BODY, decodeHeader, type BlockHeader } from './header.js';

export interface DecodedBlock {
  header: BlockHeader;
  command: string;
  auth: Uint8Array;
  payload: Uint8Array;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function fail(where: string, detail: string, cause?: unknown): never {
  throw new ProtocolError(`${where}: ${detail}`, cause === undefined ? {} : { cause });
}

/** Zero bytes: shared (nothing can be written into it), so the many blocks without auth or payload allocate none. */
const NONE = new Uint8Array(0);

/** A copy of `block[from..to)`: the block's buffer may be reused. Each non-empty slice has an ArrayBuffer of its own. */
const copy = (block: Uint8Array, from: number, to: number): Uint8Array => (to > from ? block.slice(from, to) : NONE);

/**
 * Decodes one 2048-byte block. With `expectedNumber`, block_counter must equal it. `where` prefixes error messages
 * (the reader passes the block's position on the connection).
 */
export function decodeBlock(block: Uint8Array, expectedNumber?: number, where = 'tcp block'): DecodedBlock {
  if (block.length !== BLOCK_SIZE) fail(where, `block is ${block.length} bytes, expected ${BLOCK_SIZE}`);
  let header: BlockHeader;
  try {
    header = decodeHeader(block);
  } catch (err) {
    if (err instanceof ProtocolError) fail(where, err.message.replace(/^tcp header: /, ''), err);
    throw err;
  }
  const { blockNumber, commandLength, authLength, dataLength, lastFlag } = header;
  if (expectedNumber !== undefined && blockNumber !== expectedNumber) {
    fail(where, `block_counter is ${blockNumber}, expected ${expectedNumber}`);
  }
  if (dataLength > MAX_BODY) fail(where, `data_length is ${dataLength}, max ${MAX_BODY}`);
  if (commandLength + authLength > dataLength) {
    fail(
      where,
      `command_length ${commandLength} + authentication_length ${authLength} exceed data_length ${dataLength}`,
    );
  }
  if (lastFlag > 1) fail(where, `flag_last is ${lastFlag}, expected 0 or 1`);
  const commandEnd = HEADER_SIZE + commandLength;
  const authEnd = commandEnd + authLength;
  let command: string;
  try {
    command = utf8.decode(block.subarray(HEADER_SIZE, commandEnd));
  } catch (err) {
    fail(where, 'command is not valid UTF-8', err);
  }
  return {
    header,
    command,
    auth: copy(block, commandEnd, authEnd),
    payload: copy(block, authEnd, HEADER_SIZE + dataLength),
  };
}

/**
 * Cuts the byte stream of one connection into blocks and decodes them, checking block_counter against the running
 * count. Memory is bounded by one block. After a ProtocolError the reader stays failed: the connection is bad.
 */
export class BlockReader {
  private readonly pending = new Uint8Array(BLOCK_SIZE);
  private filled = 0;
  private count = 0;
  private failure: ProtocolError | undefined;

  /** Blocks decoded so far. */
  get blocksRead(): number {
    return this.count;
  }

  /** Bytes of an incomplete block held until more arrive. */
  get bufferedBytes(): number {
    return this.filled;
  }

  /** Takes the next chunk of the connection; returns the blocks it completed, in order. */
  push(chunk: Uint8Array): DecodedBlock[] {
    this.throwIfFailed();
    const out: DecodedBlock[] = [];
    let at = 0;
    while (at < chunk.length) {
      const n = Math.min(BLOCK_SIZE - this.filled, chunk.length - at);
      this.pending.set(chunk.subarray(at, at + n), this.filled);
      this.filled += n;
      at += n;
      if (this.filled === BLOCK_SIZE) {
        this.filled = 0;
        out.push(this.decodeNext());
      }
    }
    return out;
  }

  /** The connection closed: a partial block left over is a truncated message. */
  end(): void {
    this.throwIfFailed();
    if (this.filled > 0) {
      this.failure = new ProtocolError(
        `tcp block ${this.count + 1}: connection closed after ${this.filled} of ${BLOCK_SIZE} bytes (truncated block)`,
      );
      throw this.failure;
    }
  }

  private decodeNext(): DecodedBlock {
    const number = this.count + 1;
    const start = this.count * BLOCK_SIZE;
    try {
      const block = decodeBlock(
        this.pending,
        number,
        `tcp block ${number} (bytes ${start}..${start + BLOCK_SIZE - 1})`,
      );
      this.count = number;
      return block;
    } catch (err) {
      if (err instanceof ProtocolError) this.failure = err;
      throw err;
    }
  }

  private throwIfFailed(): void {
    if (this.failure)
      throw new ProtocolError(`tcp reader already failed: ${this.failure.message}`, { cause: this.failure });
  }
}
