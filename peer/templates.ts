// Encoded request blocks, kept per (command, reply address, receivers): a node that asks the same peers the same
// thing again (monitoring, benchmarks, scripts in a loop) copies 2048 bytes and writes two fields instead of
// encoding and validating the header again. The copy patches only fixed-width fields of a block that
// protocols/tcp encoded and checked, so it is byte-identical to encoding it anew.
import { ProtocolError } from '../base/errors.js';
import { commandMessage, type Address } from '../protocols/tcp/builders.js';
import { OFFSET_JOB_ID, OFFSET_JOB_LOCATION, OFFSET_RECEIVER_ID } from '../protocols/tcp/header.js';
import { markBlocks } from './wire.js';

export interface CommandHeader {
  source: Address;
  jobId: number;
  jobLocation: number;
  receivers: number;
  receiverId: number;
}

const MAX_TEMPLATES = 256;

export class RequestTemplates {
  private readonly cache = new Map<string, Uint8Array>();

  /**
   * The blocks of `command`, or undefined when it does not fit one block (a large message). With `auth` (the
   * placeholder of a message to be signed: peer/sign.ts) block 1 keeps room for it.
   */
  blocks(command: string, h: CommandHeader, mark: boolean, auth?: Uint8Array): Uint8Array[] | undefined {
    const key = `${mark ? 1 : 0}${auth ? 's' : ''}\u0000${h.source.ip}:${h.source.port}\u0000${h.receivers}\u0000${command}`;
    let template = this.cache.get(key);
    if (!template) {
      let blocks: Uint8Array[];
      const a = auth ? { auth } : {};
      try {
        blocks = commandMessage(command, { ...h, ...a, jobId: 0, jobLocation: 0, receiverId: 0 });
      } catch (err) {
        if (err instanceof ProtocolError) return undefined;
        throw err;
      }
      // Only single blocks are kept (`print`/`echo` with a long text span blocks and are not repeated).
      if (blocks.length !== 1) {
        const real = commandMessage(command, { ...h, ...a });
        if (mark) markBlocks(real);
        return real;
      }
      if (mark) markBlocks(blocks);
      template = blocks[0]!;
      if (this.cache.size >= MAX_TEMPLATES) this.cache.clear();
      this.cache.set(key, template);
    }
    const block = new Uint8Array(template);
    const view = new DataView(block.buffer);
    view.setUint32(OFFSET_JOB_ID, h.jobId);
    view.setUint16(OFFSET_JOB_LOCATION, h.jobLocation);
    view.setUint16(OFFSET_RECEIVER_ID, h.receiverId);
    return [block];
  }
}
