// Encodes one EdgeLake TCP message as its 2048-byte blocks (spec section 1, "Multi-block"; net_client.py L756-794,
// L67-217; message_header.py prep_command / set_authentication / insert_encoded_data).
//
//   message := block{1..N}                 one TCP connection: connect, blocks, close
//   block   := header(207) command auth? payload-part zero-padding    exactly 2048 bytes
//
// Every block repeats the header and the command; the auth bytes go in block 1 only (EdgeLake resets
// authentication_length after block 1). Payload per block = 2048 - 207 - command (- auth in block 1), so a 4000-byte
// `print` payload is 1836 + 1836 + 328. data_length = command + auth + payload part. Block numbers run 1..N and
// flag_last is 1 on block N only.
//
// Two rules decide which block is the last (LastBlockRule):
//   'rest-fits'   message_prep_and_send: the block that takes the rest of the payload is last, even when the rest
//                 fills it exactly (insert_encoded_data returns 0). An empty payload is one block.
//   'short-block' file_send (nc L181-182): a block is last only when it is not full, so a payload that is an exact
//                 multiple of the block capacity ends with an extra block carrying no payload.
//
// EdgeLake reuses one buffer per thread, so bytes past data_length on the wire are whatever the previous block
// left there (reset_block even fills 0xff). We write zeros, as every captured block shows; receivers never read
// past data_length.
import { ProtocolError } from '../../base/errors.js';
import { BLOCK_SIZE, HEADER_SIZE, MAX_BODY, emptyHeader, writeHeader, type BlockHeader } from './header.js';

type LengthKey = 'commandLength' | 'authLength' | 'dataLength';
type PerBlockKey = 'blockNumber' | 'lastFlag';

/** Every header field but the three lengths, which the encoder computes from the body. */
export type BlockFields = Omit<BlockHeader, LengthKey>;

/** The fields shared by every block of a message; unset fields are 0 (a fresh EdgeLake buffer). */
export type HeaderFields = Partial<Omit<BlockHeader, LengthKey | PerBlockKey>> & {
  sourceIp: string;
  sourcePort: number;
};

export type LastBlockRule = 'rest-fits' | 'short-block';

export interface MessageSpec {
  header: HeaderFields;
  command: string;
  auth?: Uint8Array;
  payload?: Uint8Array;
  /** Default 'rest-fits' (commands and replies); 'short-block' for `file write`. */
  lastBlock?: LastBlockRule;
  /**
   * Do not cut a UTF-8 character across two blocks. EdgeLake cuts at the byte and its receiver decodes each block's
   * payload on its own (member_cmd._echo, get_data_decoded), so a split character fails there. ASCII is unaffected.
   */
  keepUtf8Whole?: boolean;
}

const utf8 = new TextEncoder();
const EMPTY = new Uint8Array(0);

/** The UTF-8 bytes EdgeLake puts in the command segment (`command.encode()`). */
export function encodeText(text: string): Uint8Array {
  return utf8.encode(text);
}

/** One 2048-byte block: the header with the lengths computed from the body, then command, auth, payload, zeros. */
export function encodeBlock(
  fields: BlockFields,
  command: Uint8Array,
  auth: Uint8Array,
  payload: Uint8Array,
): Uint8Array {
  const bodyLength = command.length + auth.length + payload.length;
  if (bodyLength > MAX_BODY) {
    throw new ProtocolError(
      `tcp encode: command ${command.length} + auth ${auth.length} + payload ${payload.length} bytes exceed ${MAX_BODY}`,
    );
  }
  const block = new Uint8Array(BLOCK_SIZE);
  writeHeader(block, {
    ...fields,
    commandLength: command.length,
    authLength: auth.length,
    dataLength: bodyLength,
  });
  block.set(command, HEADER_SIZE);
  block.set(auth, HEADER_SIZE + command.length);
  block.set(payload, HEADER_SIZE + command.length + auth.length);
  return block;
}

/** The header fields of every block, with the unset ones at 0. */
export function fillHeader(fields: HeaderFields): BlockFields {
  const {
    commandLength: _c,
    authLength: _a,
    dataLength: _d,
    ...base
  } = emptyHeader(fields.sourceIp, fields.sourcePort);
  return { ...base, ...fields };
}

/** Bytes of the payload that go in a block with room for `capacity`, backing off a cut inside a UTF-8 character. */
function takeForBlock(payload: Uint8Array, offset: number, capacity: number, keepUtf8Whole: boolean): number {
  const remaining = payload.length - offset;
  let take = Math.min(remaining, capacity);
  if (keepUtf8Whole && take < remaining) {
    // 0b10xxxxxx is a continuation byte: the cut would land inside a character.
    while (take > 0 && (payload[offset + take]! & 0xc0) === 0x80) take--;
    if (take === 0) throw new ProtocolError(`tcp encode: no room for a whole UTF-8 character in ${capacity} bytes`);
  }
  return take;
}

/** All the blocks of one message. */
export function encodeMessage(spec: MessageSpec): Uint8Array[] {
  const command = encodeText(spec.command);
  const auth = spec.auth ?? EMPTY;
  const payload = spec.payload ?? EMPTY;
  const rule = spec.lastBlock ?? 'rest-fits';
  if (command.length + auth.length > MAX_BODY) {
    throw new ProtocolError(
      `tcp encode: command (${command.length} bytes) and auth (${auth.length} bytes) do not fit one block (${MAX_BODY})`,
    );
  }
  const base = fillHeader(spec.header);
  const blocks: Uint8Array[] = [];
  let offset = 0;
  for (let blockNumber = 1; ; blockNumber++) {
    const blockAuth = blockNumber === 1 ? auth : EMPTY;
    const capacity = MAX_BODY - command.length - blockAuth.length;
    const remaining = payload.length - offset;
    if (capacity === 0 && (remaining > 0 || rule === 'short-block')) {
      // EdgeLake would drop the payload ('rest-fits') or never send a last block ('short-block').
      throw new ProtocolError(`tcp encode: command and auth fill block ${blockNumber}, no room for the payload`);
    }
    const take = takeForBlock(payload, offset, capacity, spec.keepUtf8Whole ?? false);
    const last = rule === 'rest-fits' ? take === remaining : take < capacity;
    const part = payload.subarray(offset, offset + take);
    blocks.push(encodeBlock({ ...base, blockNumber, lastFlag: last ? 1 : 0 }, command, blockAuth, part));
    offset += take;
    if (last) return blocks;
  }
}
