// The 207-byte header of an EdgeLake TCP block (edge_lake/tcpip/message_header.py L17-51; spec section 1).
// Every integer is unsigned big-endian.
//
//   off  len  field                  notes
//     0   16  block_hash             unused by EdgeLake (zeros)
//    16    2  socket_id              0 (net_client.mem_view_send)
//    18    8  socket_time_id         never written by EdgeLake: 0 in a fresh buffer
//    26    4  socket_counter         the sender's thread number (net_client.mem_view_send)
//    30    4  block_counter          1..N, must equal the receiver's 1-based count
//    34    1  block_data_struct      1 one JSON, 2 length-prefixed row segments (resultset.ts)
//    35    1  flag_last              1 on the final block of a message
//    36    1  flag_info_type         1 result set, 2 table struct, 3 config, 4 command (replies),
//                                    5 tables, 6 authenticate (outgoing commands)
//    37    2  error                  EdgeLake status code (replies)
//    39    2  command_length         bytes of UTF-8 command at offset 207
//    41    2  authentication_length  bytes of auth after the command (0 in EdgeLake)
//    43    4  data_length            command + auth + payload, counted from offset 207
//    47    2  counter_jsons          row segments in this block (query replies)
//    49    1  reply_flag             never set (set_reply_message writes offset 35 instead)
//    50    2  job_location           requester's job slot, echoed in replies
//    52    4  job_id                 requester's job id (0 = nobody waits), echoed in replies
//    56    2  counter_receivers      number of target nodes
//    58    2  receiver_id            0-based index of this target
//    60    2  par_used               partitions used (1)
//    62    2  par_id                 partition id (0)
//    64    4  dbms_time              ms in the dbms (query replies)
//    68    4  send_time              ms sending (query replies)
//    72    1  source_ip_length       at most 128
//    73  128  source_ip              where to reply; bytes past the length are not read
//   201    4  source_port
//   205    2  generic_flag           print/echo: 1 text, 2 JSON; file write: 1 watch dir, 2 ledger, 3 large msg
//   207       body: command, auth, payload; the block is 2048 bytes whatever data_length says
import { ProtocolError } from '../../base/errors.js';

export const BLOCK_SIZE = 2048; // EdgeLake: generic/params.py TCP_BUFFER_SIZE (io_buff_size)
export const HEADER_SIZE = 207;
/** The most command + auth + payload bytes one block can carry. */
export const MAX_BODY = BLOCK_SIZE - HEADER_SIZE;
export const MAX_IP_LENGTH = 128;
export const HASH_LENGTH = 16;

export const OFFSET_BLOCK_HASH = 0;
export const OFFSET_SOCKET_ID = 16;
export const OFFSET_SOCKET_TIME_ID = 18;
export const OFFSET_SOCKET_COUNTER = 26;
export const OFFSET_BLOCK_COUNTER = 30;
export const OFFSET_BLOCK_DATA_STRUCT = 34;
export const OFFSET_FLAG_LAST = 35;
export const OFFSET_FLAG_INFO_TYPE = 36;
export const OFFSET_ERROR = 37;
export const OFFSET_COMMAND_LENGTH = 39;
export const OFFSET_AUTHENTICATION_LENGTH = 41;
export const OFFSET_DATA_LENGTH = 43;
export const OFFSET_COUNTER_JSONS = 47;
export const OFFSET_REPLY_FLAG = 49;
export const OFFSET_JOB_LOCATION = 50;
export const OFFSET_JOB_ID = 52;
export const OFFSET_COUNTER_RECEIVERS = 56;
export const OFFSET_RECEIVER_ID = 58;
export const OFFSET_PAR_USED = 60;
export const OFFSET_PAR_ID = 62;
export const OFFSET_DBMS_TIME = 64;
export const OFFSET_SEND_TIME = 68;
export const OFFSET_SOURCE_IP_LENGTH = 72;
export const OFFSET_SOURCE_IP = 73;
export const OFFSET_SOURCE_PORT = 201;
export const OFFSET_GENERIC_FLAG = 205;

/** flag_info_type values (message_header.py L71-76). */
export const InfoType = {
  resultSet: 1,
  tableStruct: 2,
  configuration: 3,
  command: 4,
  tablesInDbms: 5,
  authenticate: 6,
} as const;

/** block_data_struct values (message_header.py L67-68). */
export const DataStruct = { none: 0, jsonSingle: 1, jsonMultiple: 2 } as const;

/** generic_flag values (message_header.py L53-58): print/echo format, or where `file write` puts the file. */
export const GenericFlag = { text: 1, json: 2, watchDir: 1, ledger: 2, largeMessage: 3 } as const;

/** One block's header, field by field. Lengths are as found on the wire (decode) or to be written (encode). */
export interface BlockHeader {
  blockHash: Uint8Array;
  socketId: number;
  socketTimeId: bigint;
  socketCounter: number;
  blockNumber: number;
  dataStruct: number;
  lastFlag: number;
  infoType: number;
  error: number;
  commandLength: number;
  authLength: number;
  dataLength: number;
  jsonCount: number;
  replyFlag: number;
  jobLocation: number;
  jobId: number;
  receivers: number;
  receiverId: number;
  partitionsUsed: number;
  partitionId: number;
  dbmsTimeMs: number;
  sendTimeMs: number;
  sourceIp: string;
  sourcePort: number;
  genericFlag: number;
}

type NumericKey = { [K in keyof BlockHeader]: BlockHeader[K] extends number ? K : never }[keyof BlockHeader];

interface NumericField {
  key: NumericKey;
  /** EdgeLake's name for the field, used in error messages. */
  name: string;
  offset: number;
  size: 1 | 2 | 4;
}

/** The fixed-width integer fields, in wire order. */
export const NUMERIC_FIELDS: readonly NumericField[] = [
  { key: 'socketId', name: 'socket_id', offset: OFFSET_SOCKET_ID, size: 2 },
  { key: 'socketCounter', name: 'socket_counter', offset: OFFSET_SOCKET_COUNTER, size: 4 },
  { key: 'blockNumber', name: 'block_counter', offset: OFFSET_BLOCK_COUNTER, size: 4 },
  { key: 'dataStruct', name: 'block_data_struct', offset: OFFSET_BLOCK_DATA_STRUCT, size: 1 },
  { key: 'lastFlag', name: 'flag_last', offset: OFFSET_FLAG_LAST, size: 1 },
  { key: 'infoType', name: 'flag_info_type', offset: OFFSET_FLAG_INFO_TYPE, size: 1 },
  { key: 'error', name: 'error', offset: OFFSET_ERROR, size: 2 },
  { key: 'commandLength', name: 'command_length', offset: OFFSET_COMMAND_LENGTH, size: 2 },
  { key: 'authLength', name: 'authentication_length', offset: OFFSET_AUTHENTICATION_LENGTH, size: 2 },
  { key: 'dataLength', name: 'data_length', offset: OFFSET_DATA_LENGTH, size: 4 },
  { key: 'jsonCount', name: 'counter_jsons', offset: OFFSET_COUNTER_JSONS, size: 2 },
  { key: 'replyFlag', name: 'reply_flag', offset: OFFSET_REPLY_FLAG, size: 1 },
  { key: 'jobLocation', name: 'job_location', offset: OFFSET_JOB_LOCATION, size: 2 },
  { key: 'jobId', name: 'job_id', offset: OFFSET_JOB_ID, size: 4 },
  { key: 'receivers', name: 'counter_receivers', offset: OFFSET_COUNTER_RECEIVERS, size: 2 },
  { key: 'receiverId', name: 'receiver_id', offset: OFFSET_RECEIVER_ID, size: 2 },
  { key: 'partitionsUsed', name: 'par_used', offset: OFFSET_PAR_USED, size: 2 },
  { key: 'partitionId', name: 'par_id', offset: OFFSET_PAR_ID, size: 2 },
  { key: 'dbmsTimeMs', name: 'dbms_time', offset: OFFSET_DBMS_TIME, size: 4 },
  { key: 'sendTimeMs', name: 'send_time', offset: OFFSET_SEND_TIME, size: 4 },
  { key: 'sourcePort', name: 'source_port', offset: OFFSET_SOURCE_PORT, size: 4 },
  { key: 'genericFlag', name: 'generic_flag', offset: OFFSET_GENERIC_FLAG, size: 2 },
];

const MAX_BY_SIZE = { 1: 0xff, 2: 0xffff, 4: 0xffffffff } as const;
const MAX_U64 = (1n << 64n) - 1n;
// fatal: EdgeLake's bytes.decode() raises on bad UTF-8, so no working peer sends it.
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A header with every field zero and the given source address: the state of a fresh EdgeLake io buffer. */
export function emptyHeader(sourceIp = '', sourcePort = 0): BlockHeader {
  return {
    blockHash: new Uint8Array(HASH_LENGTH),
    socketId: 0,
    socketTimeId: 0n,
    socketCounter: 0,
    blockNumber: 0,
    dataStruct: 0,
    lastFlag: 0,
    infoType: 0,
    error: 0,
    commandLength: 0,
    authLength: 0,
    dataLength: 0,
    jsonCount: 0,
    replyFlag: 0,
    jobLocation: 0,
    jobId: 0,
    receivers: 0,
    receiverId: 0,
    partitionsUsed: 0,
    partitionId: 0,
    dbmsTimeMs: 0,
    sendTimeMs: 0,
    sourceIp,
    sourcePort,
    genericFlag: 0,
  };
}

/** Writes `h` into `target[0..207)`. Throws ProtocolError naming the field if a value does not fit its width. */
export function writeHeader(target: Uint8Array, h: BlockHeader): void {
  if (target.length < HEADER_SIZE) throw new ProtocolError(`tcp header: buffer of ${target.length} bytes < 207`);
  const view = new DataView(target.buffer, target.byteOffset, HEADER_SIZE);
  for (const f of NUMERIC_FIELDS) {
    const v = h[f.key];
    if (!Number.isInteger(v) || v < 0 || v > MAX_BY_SIZE[f.size]) {
      throw new ProtocolError(`tcp header: ${f.name} must be an integer 0..${MAX_BY_SIZE[f.size]} (got ${v})`);
    }
    if (f.size === 1) view.setUint8(f.offset, v);
    else if (f.size === 2) view.setUint16(f.offset, v);
    else view.setUint32(f.offset, v);
  }
  if (h.blockHash.length !== HASH_LENGTH) {
    throw new ProtocolError(`tcp header: block_hash must be ${HASH_LENGTH} bytes (got ${h.blockHash.length})`);
  }
  target.set(h.blockHash, OFFSET_BLOCK_HASH);
  if (h.socketTimeId < 0n || h.socketTimeId > MAX_U64) {
    throw new ProtocolError(`tcp header: socket_time_id must fit 8 unsigned bytes (got ${h.socketTimeId})`);
  }
  view.setBigUint64(OFFSET_SOCKET_TIME_ID, h.socketTimeId);
  // Addresses are ASCII (an IP or a host name); anything else is a caller bug, not something to transcode.
  if (!/^[\x20-\x7e]*$/.test(h.sourceIp)) {
    throw new ProtocolError(`tcp header: source_ip must be printable ASCII (got ${JSON.stringify(h.sourceIp)})`);
  }
  if (h.sourceIp.length > MAX_IP_LENGTH) {
    throw new ProtocolError(`tcp header: source_ip is ${h.sourceIp.length} bytes, max ${MAX_IP_LENGTH}`);
  }
  view.setUint8(OFFSET_SOURCE_IP_LENGTH, h.sourceIp.length);
  target.fill(0, OFFSET_SOURCE_IP, OFFSET_SOURCE_PORT);
  for (let i = 0; i < h.sourceIp.length; i++) target[OFFSET_SOURCE_IP + i] = h.sourceIp.charCodeAt(i);
}

/** A new 207-byte header. */
export function encodeHeader(h: BlockHeader): Uint8Array {
  const out = new Uint8Array(HEADER_SIZE);
  writeHeader(out, h);
  return out;
}

/**
 * Reads the header at `bytes[0..207)`. Only checks what it must to produce the fields (the source IP length
 * and its UTF-8); the relations between fields are checked by decoder.ts.
 */
export function decodeHeader(bytes: Uint8Array): BlockHeader {
  if (bytes.length < HEADER_SIZE) throw new ProtocolError(`tcp header: ${bytes.length} bytes, need 207`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, HEADER_SIZE);
  const ipLength = view.getUint8(OFFSET_SOURCE_IP_LENGTH);
  if (ipLength > MAX_IP_LENGTH) {
    throw new ProtocolError(`tcp header: source_ip_length is ${ipLength}, max ${MAX_IP_LENGTH}`);
  }
  const h = emptyHeader();
  for (const f of NUMERIC_FIELDS) {
    h[f.key] =
      f.size === 1 ? view.getUint8(f.offset) : f.size === 2 ? view.getUint16(f.offset) : view.getUint32(f.offset);
  }
  h.blockHash = bytes.slice(OFFSET_BLOCK_HASH, OFFSET_BLOCK_HASH + HASH_LENGTH);
  h.socketTimeId = view.getBigUint64(OFFSET_SOCKET_TIME_ID);
  try {
    h.sourceIp = utf8.decode(bytes.subarray(OFFSET_SOURCE_IP, OFFSET_SOURCE_IP + ipLength));
  } catch (err) {
    throw new ProtocolError('tcp header: source_ip is not valid UTF-8', { cause: err });
  }
  return h;
}
