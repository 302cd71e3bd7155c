// One inbound connection's bytes -> what the dispatch actor does with them (spec section 1; tcpip_server.py
// rceive_data L62-296).
//
//   connection := message                          EdgeLake: connect, blocks 1..N, close
//              |  message+                         edgelake-rt sender (socket_id mark, peer/wire.ts)
//   message    := block(1) .. block(N, last = 1)   block_counter counts 1..N within the message
//
// Checks, each a ProtocolError that closes this connection only: the decoder's (protocols/tcp/decoder.ts), also
// run on the 207 header bytes as soon as they arrive, so garbage or an HTTP request is refused without waiting
// for 2048 bytes; a body after the last block of an unmarked message; a message over its size limit; a
// connection closed mid-block or mid-message (truncated). Memory per connection: one block, plus the message
// being assembled for commands and answers; file transfers are passed on in pieces of FILE_RECORD_BYTES.
// Node authentication (peer-auth.ts), asked at each message's block 1: an unsigned message not allowed, or a
// signed one whose segment does not verify (signature, time, nonce, destination), is refused there, before
// anything of it is passed on (a transfer's file is not opened); a signed one is then hashed block by block and
// its digest compared at its last block, before the message, or a transfer's last piece, is passed on.
import { ProtocolError } from '../../base/errors.js';
import { MessageAssembler } from '../../protocols/tcp/assembler.js';
import { decodeBlock, type DecodedBlock } from '../../protocols/tcp/decoder.js';
import {
  BLOCK_SIZE,
  HEADER_SIZE,
  MAX_BODY,
  OFFSET_AUTHENTICATION_LENGTH,
  OFFSET_BLOCK_COUNTER,
  OFFSET_COMMAND_LENGTH,
  OFFSET_DATA_LENGTH,
  OFFSET_FLAG_LAST,
  GenericFlag,
  decodeHeader,
  type BlockHeader,
} from '../../protocols/tcp/header.js';
import { fileWriteDest, isForNode, isRtMark } from '../../peer/wire.js';
import type { Hash } from 'node:crypto';
import { hashBlock, messageHash, type AuthFields } from '../../peer/sign.js';
import type { MessageAuth } from './peer-auth.js';

/** What a connection's bytes amount to, in order. */
/** `signer`: the public key whose signature the message carries (checked: node authentication on). */
export type InboundItem =
  /** A `print`/`echo`/`job reply`: for the node's reply registry. */
  | { k: 'answer'; block: DecodedBlock; payload: Uint8Array; signer: string | undefined }
  /**
   * A command to run. `rawHead`: block 1's 207 header bytes as received, which an answer copies
   * (fast-reply.ts) and a worker record carries, instead of encoding the decoded header again.
   */
  | { k: 'command'; block: DecodedBlock; payload: Uint8Array; rawHead: Uint8Array; signer: string | undefined }
  /**
   * `signer`: its signature verified at block 1; the blocks match what it signed only once the last one is in
   * (the transfer is removed otherwise).
   */
  | { k: 'file.open'; block: DecodedBlock; dest: string; signer: string | undefined }
  | { k: 'file.data'; data: Uint8Array; last: boolean };

export interface InboundLimits {
  /** Largest command message (commands are one block unless they carry data), and largest large message. */
  commandBytes: number;
  /** Largest answer. */
  answerBytes: number;
  /**
   * Shared by every connection of one server: payload bytes held by all messages being assembled. Each message
   * stays under its own limit, but many peers each sending an unfinished message just under it would add up
   * without bound (issue 12, item 6: six peers with 58 MB each added 360 MB); the connection whose block takes the
   * total over `max` is refused.
   */
  budget?: AssemblyBudget;
  /** Node authentication for the next message (undefined: off), asked at each message's block 1. */
  auth?: () => MessageAuth | undefined;
}

/** Bytes held by messages being assembled, across the connections of one server. */
export interface AssemblyBudget {
  used: number;
  readonly max: number;
}

const HTTP = /^(GET|POST|PUT|HEAD|DELETE|OPTIONS|PATCH|CONNECT|TRACE) /;

/** File data goes on in pieces of this size (fewer ring records and wake-ups than one per block). */
export const FILE_RECORD_BYTES = 256 * 1024;

interface FileMode {
  k: 'file';
  /** Block 1's command bytes: every block repeats them. */
  command: Buffer;
  buf: Buffer;
  used: number;
  /** File bytes so far, and the most allowed (a large message is a command: `commandBytes`). */
  total: number;
  max: number;
}

interface AssembleMode {
  k: 'assemble';
  item: 'answer' | 'command';
  /** Made at block 2: a message of one block (almost every command and answer) is passed on as it is. */
  asm: MessageAssembler | undefined;
  maxBytes: number;
  /** Block 1's header: an answer that turns out malformed is still reported to whoever waits for it. */
  first: BlockHeader;
  /** Block 1's header bytes (commands only). */
  rawHead: Uint8Array | undefined;
}

type Mode = { k: 'idle' } | AssembleMode | FileMode;

export class Inbound {
  private readonly block = new Uint8Array(BLOCK_SIZE);
  private filled = 0;
  /** Blocks of the current message so far. */
  private inMessage = 0;
  /** Blocks on this connection so far (for error positions). */
  private total = 0;
  private mode: Mode = { k: 'idle' };
  /** An unmarked message ended: nothing more may come. */
  private closedForData = false;
  /** The peer marked its blocks as edgelake-rt: several messages may follow each other. */
  persistent = false;
  messages = 0;
  /** Payload bytes of the message being assembled, counted in `limits.budget`. */
  private held = 0;
  /** The message being received is signed: its checks, fields and running digest. */
  private signed: { auth: MessageAuth; fields: AuthFields; hash: Hash } | undefined;
  /** The key the current message is signed with (its segment verified at block 1, its digest at the last). */
  private signer: string | undefined;

  constructor(private readonly limits: InboundLimits) {}

  /** Gives back what this connection holds of the shared budget (the connection is closing). Idempotent. */
  release(): void {
    if (this.limits.budget) this.limits.budget.used -= this.held;
    this.held = 0;
  }

  /** The header of the answer being assembled (block 1 arrived, the last not yet), if any. */
  get answerInProgress(): BlockHeader | undefined {
    return this.mode.k === 'assemble' && this.mode.item === 'answer' ? this.mode.first : undefined;
  }

  /** Bytes buffered of an incomplete block or message. */
  get midMessage(): boolean {
    return this.filled > 0 || this.mode.k !== 'idle';
  }

  push(chunk: Uint8Array): InboundItem[] {
    const out: InboundItem[] = [];
    let at = 0;
    while (at < chunk.length) {
      if (this.closedForData)
        throw new ProtocolError(`tcp: ${chunk.length - at} bytes after the last block of the message`);
      if (this.filled === 0 && chunk.length - at >= BLOCK_SIZE && this.total > 0) {
        // A whole block in the chunk: decoded where it is, without copying it first.
        this.onBlock(chunk.subarray(at, at + BLOCK_SIZE), out);
        at += BLOCK_SIZE;
        continue;
      }
      const n = Math.min(BLOCK_SIZE - this.filled, chunk.length - at);
      const before = this.filled;
      this.block.set(chunk.subarray(at, at + n), this.filled);
      this.filled += n;
      at += n;
      if (before < HEADER_SIZE && this.filled >= 4 && before < 4) this.checkHttp();
      // A block that completes here is checked by the decoder; one still incomplete gets its header checked now.
      if (before < HEADER_SIZE && this.filled >= HEADER_SIZE && this.filled < BLOCK_SIZE) this.checkHeader();
      if (this.filled === BLOCK_SIZE) {
        this.filled = 0;
        this.onBlock(this.block, out);
      }
    }
    return out;
  }

  /** The peer closed its side: anything incomplete is a truncated message. */
  end(): void {
    if (this.filled > 0) {
      throw new ProtocolError(
        `tcp block ${this.total + 1}: connection closed after ${this.filled} of ${BLOCK_SIZE} bytes (truncated block)`,
      );
    }
    if (this.mode.k !== 'idle') {
      throw new ProtocolError(`tcp message: connection closed after ${this.inMessage} block(s), before the last block`);
    }
  }

  private where(): string {
    return `tcp block ${this.total + 1} (message block ${this.inMessage + 1})`;
  }

  private checkHttp(): void {
    if (this.total === 0 && HTTP.test(Buffer.from(this.block.subarray(0, 8)).toString('latin1'))) {
      throw new ProtocolError('tcp: an HTTP request on the TCP peer port (the REST port is another one)');
    }
  }

  /** The decoder's header checks, as soon as the 207 header bytes are in. */
  private checkHeader(): void {
    const where = this.where();
    let h;
    try {
      h = decodeHeader(this.block.subarray(0, HEADER_SIZE));
    } catch (err) {
      if (err instanceof ProtocolError)
        throw new ProtocolError(`${where}: ${err.message.replace(/^tcp header: /, '')}`, { cause: err });
      throw err;
    }
    const expected = this.inMessage + 1;
    if (h.blockNumber !== expected)
      throw new ProtocolError(`${where}: block_counter is ${h.blockNumber}, expected ${expected}`);
    if (h.dataLength > MAX_BODY) throw new ProtocolError(`${where}: data_length is ${h.dataLength}, max ${MAX_BODY}`);
    if (h.commandLength + h.authLength > h.dataLength) {
      throw new ProtocolError(
        `${where}: command_length ${h.commandLength} + authentication_length ${h.authLength} exceed data_length ${h.dataLength}`,
      );
    }
    if (h.lastFlag > 1) throw new ProtocolError(`${where}: flag_last is ${h.lastFlag}, expected 0 or 1`);
  }

  private onBlock(bytes: Uint8Array, out: InboundItem[]): void {
    const mode = this.mode;
    if (mode.k === 'file' && this.inMessage > 0) return this.onFileBlock(bytes, mode, out);
    const block = decodeBlock(bytes, this.inMessage + 1, this.where());
    this.total++;
    this.inMessage++;
    if (isRtMark(block.header.socketId)) this.persistent = true;
    const last = block.header.lastFlag === 1;
    if (this.inMessage === 1) {
      this.authenticate(block);
      this.start(bytes, block, out);
    }
    if (this.signed) {
      hashBlock(this.signed.hash, bytes);
      if (last) this.verify();
    }
    const now = this.mode;
    if (now.k === 'file') this.fileData(now, block.payload, last, out);
    else if (now.k === 'assemble') {
      const budget = this.limits.budget;
      if (budget) {
        budget.used += block.payload.length;
        this.held += block.payload.length;
        if (budget.used > budget.max) {
          throw new ProtocolError(
            `${this.where()}: messages being assembled from all peers exceed ${budget.max} bytes (max_assembly_mb)`,
          );
        }
      }
      const msg = this.assemble(now, block, last);
      if (msg) {
        const whole = { header: msg.header, command: msg.command, auth: msg.auth, payload: msg.payload };
        out.push(
          now.item === 'answer'
            ? { k: 'answer', block: whole, payload: msg.payload, signer: this.signer }
            : { k: 'command', block: whole, payload: msg.payload, rawHead: now.rawHead!, signer: this.signer },
        );
      }
    }
    if (last) this.endMessage();
  }

  /**
   * The message when `block` completes it. A one-block message is block 1 itself (the assembler would return its
   * fields and payload unchanged; its size limit is checked the same way); longer ones go through the assembler.
   */
  private assemble(mode: AssembleMode, block: DecodedBlock, last: boolean): DecodedBlock | undefined {
    if (!mode.asm && last && block.header.blockNumber === 1) {
      if (block.payload.length > mode.maxBytes)
        throw new ProtocolError(`tcp message: payload exceeds the maximum of ${mode.maxBytes} bytes at block 1`);
      return block;
    }
    mode.asm ??= new MessageAssembler({ maxMessageBytes: mode.maxBytes });
    return mode.asm.push(block);
  }

  /**
   * Blocks 2..N of a transfer: the framing fields are checked (block_counter, flag_last, the lengths, the command
   * repeated byte for byte, as the assembler does for other messages); the other header fields only matter in
   * block 1, so they are not decoded again for every 1,841 bytes of file.
   */
  private onFileBlock(b: Uint8Array, mode: FileMode, out: InboundItem[]): void {
    const v = new DataView(b.buffer, b.byteOffset, BLOCK_SIZE);
    const expected = this.inMessage + 1;
    const number = v.getUint32(OFFSET_BLOCK_COUNTER);
    if (number !== expected)
      throw new ProtocolError(`${this.where()}: block_counter is ${number}, expected ${expected}`);
    const last = b[OFFSET_FLAG_LAST]!;
    if (last > 1) throw new ProtocolError(`${this.where()}: flag_last is ${last}, expected 0 or 1`);
    const commandLength = v.getUint16(OFFSET_COMMAND_LENGTH);
    const authLength = v.getUint16(OFFSET_AUTHENTICATION_LENGTH);
    const dataLength = v.getUint32(OFFSET_DATA_LENGTH);
    if (dataLength > MAX_BODY)
      throw new ProtocolError(`${this.where()}: data_length is ${dataLength}, max ${MAX_BODY}`);
    if (commandLength + authLength > dataLength) {
      throw new ProtocolError(
        `${this.where()}: command_length ${commandLength} + authentication_length ${authLength} exceed data_length ${dataLength}`,
      );
    }
    const command = b.subarray(HEADER_SIZE, HEADER_SIZE + commandLength);
    if (
      commandLength !== mode.command.length ||
      !Buffer.from(command.buffer, command.byteOffset, commandLength).equals(mode.command)
    ) {
      throw new ProtocolError(`${this.where()}: the command differs from block 1's`);
    }
    this.total++;
    this.inMessage++;
    if (this.signed) {
      hashBlock(this.signed.hash, b);
      if (last === 1) this.verify();
    }
    this.fileData(
      mode,
      b.subarray(HEADER_SIZE + commandLength + authLength, HEADER_SIZE + dataLength),
      last === 1,
      out,
    );
    if (last === 1) this.endMessage();
  }

  /** Copies a block's payload into the transfer's buffer; a full buffer (or the last block) becomes an item. */
  private fileData(mode: FileMode, payload: Uint8Array, last: boolean, out: InboundItem[]): void {
    mode.total += payload.length;
    if (mode.total > mode.max)
      throw new ProtocolError(`${this.where()}: a large message (a command sent as a file) over ${mode.max} bytes`);
    mode.buf.set(payload, mode.used);
    mode.used += payload.length;
    if (!last && mode.used < FILE_RECORD_BYTES) return;
    out.push({ k: 'file.data', data: mode.buf.subarray(0, mode.used), last });
    mode.buf = Buffer.allocUnsafe(FILE_RECORD_BYTES + MAX_BODY);
    mode.used = 0;
  }

  /** Block 1: unsigned and not allowed, or a segment that does not verify, is refused here; a signature starts the digest. */
  private authenticate(block: DecodedBlock): void {
    this.signed = undefined;
    this.signer = undefined;
    const auth = this.limits.auth?.();
    if (!auth) return;
    const fields = auth.begin(block.auth);
    if (!fields) return;
    this.signed = { auth, fields, hash: messageHash() };
    this.signer = fields.publicKey;
  }

  /** The last block is in: it must hash to the digest signed before the message (or the file's end) is passed on. */
  private verify(): void {
    const s = this.signed!;
    this.signed = undefined;
    s.auth.finish(s.fields, s.hash.digest());
  }

  private endMessage(): void {
    this.release();
    this.messages++;
    this.inMessage = 0;
    this.mode = { k: 'idle' };
    if (!this.persistent) this.closedForData = true;
  }

  private start(bytes: Uint8Array, block: DecodedBlock, out: InboundItem[]): void {
    const dest = fileWriteDest(block.command);
    if (dest !== undefined) {
      this.mode = {
        k: 'file',
        command: Buffer.from(bytes.subarray(HEADER_SIZE, HEADER_SIZE + block.header.commandLength)),
        buf: Buffer.allocUnsafe(FILE_RECORD_BYTES + MAX_BODY),
        used: 0,
        total: 0,
        // A large message is written to disk before it runs, and before the node knows whether its signer (any
        // key verifies its own signature) may run anything: bounded like a command assembled in memory.
        max: block.header.genericFlag === GenericFlag.largeMessage ? this.limits.commandBytes : Infinity,
      };
      out.push({ k: 'file.open', block, dest, signer: this.signer });
      return;
    }
    const answer = isForNode(block.command);
    this.mode = {
      k: 'assemble',
      item: answer ? 'answer' : 'command',
      asm: undefined,
      maxBytes: answer ? this.limits.answerBytes : this.limits.commandBytes,
      first: block.header,
      // From Node's buffer pool: no ArrayBuffer of its own (the block's bytes may be reused).
      rawHead: answer ? undefined : Buffer.from(bytes.subarray(0, HEADER_SIZE)),
    };
  }
}
