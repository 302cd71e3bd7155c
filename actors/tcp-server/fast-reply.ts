// The one-block answer of protocols/tcp `replyMessage`, built from the request's raw 207-byte header instead of
// from decoded fields: a reply keeps every header field of the request except the ones set below
// (builders.ts fromRequest: EdgeLake reuses the request's buffer), so copying the request header and writing
// those fields gives the same bytes (test/network/fast-reply.test.ts compares them) for a fraction of the work.
// The worker answers most commands this way; text that needs more than one block goes through replyMessage.
import type { Address } from '../../protocols/tcp/builders.js';
import {
  BLOCK_SIZE,
  GenericFlag,
  HEADER_SIZE,
  InfoType,
  MAX_IP_LENGTH,
  OFFSET_AUTHENTICATION_LENGTH,
  OFFSET_BLOCK_COUNTER,
  OFFSET_COMMAND_LENGTH,
  OFFSET_DATA_LENGTH,
  OFFSET_ERROR,
  OFFSET_FLAG_INFO_TYPE,
  OFFSET_FLAG_LAST,
  OFFSET_GENERIC_FLAG,
  OFFSET_SOCKET_COUNTER,
  OFFSET_SOCKET_ID,
  OFFSET_SOURCE_IP,
  OFFSET_SOURCE_IP_LENGTH,
  OFFSET_SOURCE_PORT,
} from '../../protocols/tcp/header.js';

const PRINT = new TextEncoder().encode('print');
const ECHO = new TextEncoder().encode('echo');

export interface FastReplyOptions {
  source: Address;
  error: number;
  json: boolean;
  threadNumber: number;
  /** The authentication segment after the command (a signed answer, peer/sign.ts). */
  auth?: Uint8Array;
}

/**
 * The answer's single block, or undefined when the text does not fit one block (or the address is unusual). A
 * string is written as UTF-8 straight into the block (the bytes TextEncoder gives, lone surrogates as U+FFFD),
 * without an encoded copy first.
 */
export function fastReply(
  requestHead: Uint8Array,
  text: Uint8Array | string,
  o: FastReplyOptions,
): Uint8Array | undefined {
  const command = o.error === 0 ? PRINT : ECHO;
  const authLength = o.auth?.length ?? 0;
  const textLength = typeof text === 'string' ? Buffer.byteLength(text, 'utf8') : text.length;
  const dataLength = command.length + authLength + textLength;
  if (HEADER_SIZE + dataLength > BLOCK_SIZE || requestHead.length !== HEADER_SIZE) return undefined;
  if (o.source.ip.length > MAX_IP_LENGTH || !/^[\x20-\x7e]*$/.test(o.source.ip)) return undefined;
  // From Node's shared buffer pool (a block is under half its 8 KiB slab): no ArrayBuffer of its own per answer,
  // which showed as GC time in the tcp-rtt profile. The pool's old bytes past the body are zeroed below.
  const b = Buffer.allocUnsafe(BLOCK_SIZE);
  b.set(requestHead);
  const v = new DataView(b.buffer, b.byteOffset, BLOCK_SIZE);
  v.setUint16(OFFSET_SOCKET_ID, 0);
  v.setUint32(OFFSET_SOCKET_COUNTER, o.threadNumber);
  v.setUint32(OFFSET_BLOCK_COUNTER, 1);
  b[OFFSET_FLAG_LAST] = 1;
  b[OFFSET_FLAG_INFO_TYPE] = InfoType.command;
  v.setUint16(OFFSET_ERROR, o.error);
  v.setUint16(OFFSET_COMMAND_LENGTH, command.length);
  v.setUint16(OFFSET_AUTHENTICATION_LENGTH, authLength);
  v.setUint32(OFFSET_DATA_LENGTH, dataLength);
  v.setUint16(OFFSET_GENERIC_FLAG, o.json ? GenericFlag.json : GenericFlag.text);
  b[OFFSET_SOURCE_IP_LENGTH] = o.source.ip.length;
  b.fill(0, OFFSET_SOURCE_IP, OFFSET_SOURCE_PORT);
  for (let i = 0; i < o.source.ip.length; i++) b[OFFSET_SOURCE_IP + i] = o.source.ip.charCodeAt(i);
  v.setUint32(OFFSET_SOURCE_PORT, o.source.port);
  b.set(command, HEADER_SIZE);
  if (o.auth) b.set(o.auth, HEADER_SIZE + command.length);
  if (typeof text === 'string') b.write(text, HEADER_SIZE + command.length + authLength, 'utf8');
  else b.set(text, HEADER_SIZE + command.length + authLength);
  b.fill(0, HEADER_SIZE + dataLength);
  return b;
}
