// Assembles the blocks of one EdgeLake TCP message (spec section 1: one message = one connection: connect,
// blocks 1..N, close).
//
//   message := block(1, last=0)* block(N, last=1)      every block repeats the command
//   result  := header of block 1, command, auth of block 1, payloads of blocks 1..N concatenated
//
// EdgeLake itself does not reassemble: its handler runs per block and `print`/`echo` append their chunks
// (tcpip_server.py L159-243). It also stops reading at the first block whose error field is set
// (tcpip_server.py L251); we read on to flag_last so a long `echo` error text arrives whole, and a block after the
// last one is an error.
import { ProtocolError } from '../../base/errors.js';
import { BlockReader, type DecodedBlock } from './decoder.js';
import type { BlockHeader } from './header.js';

export interface TcpMessage {
  /** The header of block 1 (block_counter 1; flag_last and lengths are block 1's). */
  header: BlockHeader;
  command: string;
  auth: Uint8Array;
  payload: Uint8Array;
  blocks: number;
}

export interface AssemblerOptions {
  /** The most payload bytes accepted for one message. Default 16 MiB. */
  maxMessageBytes?: number;
}

export const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

/** Collects the decoded blocks of one message; `push` returns the message when its last block arrives. */
export class MessageAssembler {
  private readonly maxBytes: number;
  private first: DecodedBlock | undefined;
  private readonly parts: Uint8Array[] = [];
  private size = 0;
  private count = 0;
  private done = false;

  constructor(opts: AssemblerOptions = {}) {
    this.maxBytes = opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    if (!Number.isInteger(this.maxBytes) || this.maxBytes < 0) {
      throw new ProtocolError(`tcp message: maxMessageBytes must be a non-negative integer (got ${this.maxBytes})`);
    }
  }

  get complete(): boolean {
    return this.done;
  }

  /** Blocks taken so far. */
  get blocks(): number {
    return this.count;
  }

  push(block: DecodedBlock): TcpMessage | undefined {
    const n = block.header.blockNumber;
    if (this.done) throw new ProtocolError(`tcp message: block ${n} arrived after the last block (${this.count})`);
    if (n !== this.count + 1) throw new ProtocolError(`tcp message: block_counter is ${n}, expected ${this.count + 1}`);
    if (this.first && block.command !== this.first.command) {
      throw new ProtocolError(
        `tcp message: block ${n} command ${JSON.stringify(block.command.slice(0, 40))} differs from block 1's`,
      );
    }
    this.size += block.payload.length;
    if (this.size > this.maxBytes) {
      throw new ProtocolError(`tcp message: payload exceeds the maximum of ${this.maxBytes} bytes at block ${n}`);
    }
    this.first ??= block;
    this.parts.push(block.payload);
    this.count = n;
    if (block.header.lastFlag !== 1) return undefined;
    this.done = true;
    return {
      header: this.first.header,
      command: this.first.command,
      auth: this.first.auth,
      payload: concat(this.parts, this.size),
      blocks: this.count,
    };
  }

  /** The connection closed: without the last block the message is incomplete. */
  end(): void {
    if (!this.done) {
      throw new ProtocolError(`tcp message: connection closed after ${this.count} block(s), before the last block`);
    }
  }
}

function concat(parts: Uint8Array[], size: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Feeds chunks of one connection through a BlockReader into a MessageAssembler. */
export class MessageReader {
  private readonly reader = new BlockReader();
  private readonly assembler: MessageAssembler;
  private message: TcpMessage | undefined;

  constructor(opts: AssemblerOptions = {}) {
    this.assembler = new MessageAssembler(opts);
  }

  push(chunk: Uint8Array): void {
    for (const block of this.reader.push(chunk)) this.message = this.assembler.push(block) ?? this.message;
  }

  /** The connection closed: returns the message, or throws ProtocolError if it is truncated or incomplete. */
  end(): TcpMessage {
    this.reader.end();
    this.assembler.end();
    if (!this.message) throw new ProtocolError('tcp message: no message assembled');
    return this.message;
  }
}

/** Decodes the whole byte stream of one connection. */
export function decodeMessage(bytes: Uint8Array, opts: AssemblerOptions = {}): TcpMessage {
  const r = new MessageReader(opts);
  r.push(bytes);
  return r.end();
}

/**
 * Reads one connection to its end (a `net.Socket` is an async iterable of Buffers). EdgeLake senders close right
 * after the last block (net_client.socket_close), so waiting for the close costs nothing; the caller owns timeouts.
 */
export async function readMessage(source: AsyncIterable<Uint8Array>, opts: AssemblerOptions = {}): Promise<TcpMessage> {
  const r = new MessageReader(opts);
  for await (const chunk of source) r.push(chunk);
  return r.end();
}
