// Query result blocks: command `job reply`, info type 1, block_data_struct 2 (member_cmd.py L4457-4490,
// L4600-4660, L4768-4790; message_header.copy_data L84-128; job_instance.get_complete_json L1432-1474).
//
//   payload := segment*                       counter_jsons = number of segments in the block
//   segment := length(u16 BE) status(u8) bytes(length)
//   status  := 0 complete row | 1 first or middle part (continues in the next block) | 2 final part
//
// So the captured payload `\x00 \x00{"Query":[...]}` is length 0x0020 = 32, status 0, then 32 bytes of JSON.
// Packing (copy_data): a segment starts only if 10 bytes remain in the block; a row that does not fit is cut, the
// part that fits goes out with status 1 and the rest starts the next block; after a segment, a block with fewer
// than 10 bytes left is sent. The rows end with one more block flagged last, carrying what is left (possibly no
// segment), dbms_time/send_time and the error code; on an error that block's rows are dropped (last_query_message).
// The reply reuses the request's buffer and never sets the source address: it carries the requester's own.
import { ProtocolError } from '../../base/errors.js';
import { encodeBlock, encodeText, fillHeader } from './encoder.js';
import { BLOCK_SIZE, DataStruct, HEADER_SIZE, InfoType, type BlockHeader } from './header.js';

export const SEGMENT_COMPLETE = 0;
export const SEGMENT_PREFIX = 1;
export const SEGMENT_SUFFIX = 2;
export type SegmentStatus = typeof SEGMENT_COMPLETE | typeof SEGMENT_PREFIX | typeof SEGMENT_SUFFIX;

export interface RowSegment {
  status: SegmentStatus;
  bytes: Uint8Array;
}

const SEGMENT_PREFIX_LENGTH = 3;
/** copy_data will not start a segment with fewer bytes left in the block. */
const SEGMENT_RESERVE = 10;
export const JOB_REPLY_COMMAND = 'job reply';

export function encodeSegments(segments: readonly RowSegment[]): Uint8Array {
  const size = segments.reduce((n, s) => n + SEGMENT_PREFIX_LENGTH + s.bytes.length, 0);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const s of segments) {
    if (s.bytes.length > 0xffff) throw new ProtocolError(`tcp segment: ${s.bytes.length} bytes exceed 65535`);
    view.setUint16(at, s.bytes.length);
    view.setUint8(at + 2, s.status);
    out.set(s.bytes, at + SEGMENT_PREFIX_LENGTH);
    at += SEGMENT_PREFIX_LENGTH + s.bytes.length;
  }
  return out;
}

/** Splits a block payload into its segments; with `expectedCount` (counter_jsons) the count must match. */
export function decodeSegments(payload: Uint8Array, expectedCount?: number): RowSegment[] {
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const out: RowSegment[] = [];
  let at = 0;
  while (at < payload.length) {
    if (at + SEGMENT_PREFIX_LENGTH > payload.length) {
      throw new ProtocolError(`tcp segment ${out.length + 1}: ${payload.length - at} bytes left, prefix needs 3`);
    }
    const length = view.getUint16(at);
    const status = view.getUint8(at + 2);
    if (status !== SEGMENT_COMPLETE && status !== SEGMENT_PREFIX && status !== SEGMENT_SUFFIX) {
      throw new ProtocolError(`tcp segment ${out.length + 1}: status is ${status}, expected 0, 1 or 2`);
    }
    const end = at + SEGMENT_PREFIX_LENGTH + length;
    if (end > payload.length) {
      throw new ProtocolError(`tcp segment ${out.length + 1}: length ${length} runs past the payload`);
    }
    out.push({ status, bytes: payload.slice(at + SEGMENT_PREFIX_LENGTH, end) });
    at = end;
  }
  if (expectedCount !== undefined && out.length !== expectedCount) {
    throw new ProtocolError(`tcp segment: counter_jsons is ${expectedCount}, found ${out.length} segments`);
  }
  return out;
}

/**
 * Joins the segments of consecutive blocks into rows: parts with status 1 wait for the rest. A dangling part at the
 * end is a ProtocolError.
 */
export function joinSegments(blocks: readonly (readonly RowSegment[])[]): Uint8Array[] {
  const rows: Uint8Array[] = [];
  let pending: Uint8Array[] = [];
  for (const segments of blocks) {
    for (const s of segments) {
      pending.push(s.bytes);
      if (s.status === SEGMENT_PREFIX) continue;
      rows.push(pending.length === 1 ? s.bytes : Buffer.concat(pending));
      pending = [];
    }
  }
  if (pending.length > 0) throw new ProtocolError('tcp segment: the last row is incomplete (status 1 at the end)');
  return rows;
}

/** The segments of each block, as copy_data lays them out after a command of `commandLength` bytes. */
export function packRows(rows: readonly Uint8Array[], commandLength: number): RowSegment[][] {
  const start = HEADER_SIZE + commandLength;
  if (start + SEGMENT_RESERVE > BLOCK_SIZE) throw new ProtocolError('tcp segment: no room for rows after the command');
  const blocks: RowSegment[][] = [];
  let current: RowSegment[] = [];
  let at = start;
  const flush = (): void => {
    blocks.push(current);
    current = [];
    at = start;
  };
  for (const row of rows) {
    let rest = row;
    let continued = false;
    for (;;) {
      const end = at + SEGMENT_PREFIX_LENGTH + rest.length;
      if (end > BLOCK_SIZE) {
        const take = BLOCK_SIZE - at - SEGMENT_PREFIX_LENGTH;
        current.push({ status: SEGMENT_PREFIX, bytes: rest.subarray(0, take) });
        rest = rest.subarray(take);
        continued = true;
        flush();
        continue;
      }
      current.push({ status: continued ? SEGMENT_SUFFIX : SEGMENT_COMPLETE, bytes: rest });
      at = end;
      if (end + SEGMENT_RESERVE > BLOCK_SIZE) flush();
      break;
    }
  }
  blocks.push(current); // the last block, even when empty
  return blocks;
}

export interface ResultSetOptions {
  /** EdgeLake status code for the query; non-zero drops the last block's rows, as EdgeLake does. */
  error?: number;
  dbmsTimeMs?: number;
  sendTimeMs?: number;
  threadNumber?: number;
  /** Block 1's authentication segment (a signed answer, peer/sign.ts); later blocks keep its room free too. */
  auth?: Uint8Array;
}

/** The `job reply` blocks answering a query `request` with `rows` (each a JSON text). */
export function resultSetMessage(
  request: BlockHeader,
  rows: readonly string[],
  opts: ResultSetOptions = {},
): Uint8Array[] {
  const command = encodeText(JOB_REPLY_COMMAND);
  const auth = opts.auth ?? new Uint8Array(0);
  const perBlock = packRows(
    rows.map((r) => encodeText(r)),
    command.length + auth.length,
  );
  const { commandLength: _c, authLength: _a, dataLength: _d, ...base } = request;
  const header = { ...fillHeader(base), socketId: 0, socketCounter: opts.threadNumber ?? 0 };
  return perBlock.map((segments, i) => {
    const last = i === perBlock.length - 1;
    const error = last ? (opts.error ?? 0) : 0;
    const sent = error !== 0 ? [] : segments;
    const fields = {
      ...header,
      blockNumber: i + 1,
      lastFlag: last ? 1 : 0,
      infoType: InfoType.resultSet,
      dataStruct: DataStruct.jsonMultiple,
      error,
      jsonCount: sent.length,
      ...(last ? { dbmsTimeMs: opts.dbmsTimeMs ?? 0, sendTimeMs: opts.sendTimeMs ?? 0 } : {}),
    };
    return encodeBlock(fields, command, i === 0 ? auth : new Uint8Array(0), encodeSegments(sent));
  });
}
