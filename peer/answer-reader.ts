// Answers read back on a persistent request connection (peer/wire.ts, duplex): the peer writes each answer as
// EdgeLake blocks on the connection our request came on, several answers one after the other.
//
//   stream  := answer*
//   answer  := block(1) .. block(N, flag_last = 1)   a `print`/`echo`/`job reply` message (peer/wire.ts isForNode)
//
// Checks, each a ProtocolError after which the connection is dropped: the decoder's (protocols/tcp/decoder.ts),
// the assembler's (block counter, the command repeated, the size limit), and that every message is an answer: a
// command on this connection is refused, never run. Memory: one block, plus the answer being assembled (at most
// `maxAnswerBytes`).
import { ProtocolError } from '../base/errors.js';
import { MessageAssembler, type TcpMessage } from '../protocols/tcp/assembler.js';
import { decodeBlock } from '../protocols/tcp/decoder.js';
import { BLOCK_SIZE, type BlockHeader } from '../protocols/tcp/header.js';
import { isForNode } from './wire.js';

export class AnswerReader {
  private readonly block = new Uint8Array(BLOCK_SIZE);
  private filled = 0;
  private asm: MessageAssembler | undefined;
  private first: BlockHeader | undefined;
  private blocks = 0;

  constructor(private readonly maxAnswerBytes: number) {}

  /** The header of the answer being assembled (its block 1 arrived, the last not yet). */
  get inProgress(): BlockHeader | undefined {
    return this.first;
  }

  /** The answers completed by `chunk`, in order. */
  push(chunk: Uint8Array): TcpMessage[] {
    const out: TcpMessage[] = [];
    let at = 0;
    while (at < chunk.length) {
      if (this.filled === 0 && chunk.length - at >= BLOCK_SIZE) {
        // A whole block in the chunk (a fresh buffer per read): decoded where it is; its payload may be kept.
        this.onBlock(chunk.subarray(at, at + BLOCK_SIZE), out);
        at += BLOCK_SIZE;
        continue;
      }
      const n = Math.min(BLOCK_SIZE - this.filled, chunk.length - at);
      this.block.set(chunk.subarray(at, at + n), this.filled);
      this.filled += n;
      at += n;
      if (this.filled === BLOCK_SIZE) {
        this.filled = 0;
        // The block buffer is reused: the answer gets a copy.
        this.onBlock(this.block.slice(), out);
      }
    }
    return out;
  }

  private onBlock(bytes: Uint8Array, out: TcpMessage[]): void {
    this.blocks++;
    const block = decodeBlock(bytes, undefined, `answer block ${this.blocks} on the request connection`);
    if (!this.asm) {
      if (!isForNode(block.command))
        throw new ProtocolError(`a command ('${block.command.slice(0, 40)}') on a request connection: only answers`);
      if (
        block.header.blockNumber === 1 &&
        block.header.lastFlag === 1 &&
        block.payload.length <= this.maxAnswerBytes
      ) {
        // One block (almost every answer): the message the assembler would return, without making one.
        out.push({ ...block, blocks: 1 });
        return;
      }
      this.asm = new MessageAssembler({ maxMessageBytes: this.maxAnswerBytes });
      this.first = block.header;
    }
    const msg = this.asm.push(block);
    if (!msg) return;
    this.asm = undefined;
    this.first = undefined;
    out.push(msg);
  }
}
