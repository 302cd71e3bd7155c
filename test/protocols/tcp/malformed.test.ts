import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BLOCK_SIZE,
  BlockReader,
  MessageAssembler,
  OFFSET_AUTHENTICATION_LENGTH,
  OFFSET_BLOCK_COUNTER,
  OFFSET_COMMAND_LENGTH,
  OFFSET_DATA_LENGTH,
  OFFSET_FLAG_LAST,
  OFFSET_SOURCE_IP_LENGTH,
  commandMessage,
  decodeBlock,
  decodeMessage,
  encodeMessage,
} from '../../../protocols/tcp/index.js';
import { ProtocolError } from '../../../base/errors.js';
import { randomBytes, seeded } from './random.js';

const source = { ip: '127.0.0.1', port: 32158 };
const validBlock = (): Uint8Array => commandMessage('get status', { source, jobId: 1 })[0]!;
const printBlocks = (n: number): Uint8Array[] =>
  encodeMessage({ header: { sourceIp: 'h', sourcePort: 1 }, command: 'print', payload: new Uint8Array(1836 * n) });
const setU32 = (b: Uint8Array, off: number, v: number): void => new DataView(b.buffer, b.byteOffset).setUint32(off, v);
const setU16 = (b: Uint8Array, off: number, v: number): void => new DataView(b.buffer, b.byteOffset).setUint16(off, v);

/** Asserts a ProtocolError whose message matches `pattern` (the field it names). */
function rejects(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ProtocolError, `expected ProtocolError, got ${String(err)}`);
    assert.match(err.message, pattern);
    return true;
  });
}

test('a connection that closes mid-block is a truncated-block ProtocolError', () => {
  const bytes = validBlock().subarray(0, 1000);
  rejects(() => decodeMessage(bytes), /after 1000 of 2048 bytes \(truncated block\)/);
  const two = Buffer.concat(printBlocks(2));
  rejects(() => decodeMessage(two.subarray(0, BLOCK_SIZE + 5)), /tcp block 2: .*5 of 2048/);
});

test('a connection that closes before the last block is a ProtocolError', () => {
  rejects(() => decodeMessage(printBlocks(3)[0]!), /before the last block/);
  rejects(() => decodeMessage(new Uint8Array(0)), /before the last block/);
});

test('an HTTP request sent to the TCP port is rejected by field, not by accident', () => {
  const http = new TextEncoder().encode('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\ncommand: get status\r\n\r\n');
  const padded = new Uint8Array(BLOCK_SIZE);
  padded.set(http);
  rejects(() => decodeMessage(padded), /block_counter is \d+, expected 1/);
});

test('random garbage only ever fails with a ProtocolError', () => {
  const rnd = seeded(7);
  for (let i = 0; i < 300; i++) {
    const bytes = randomBytes(rnd, Math.floor(rnd() * 3 * BLOCK_SIZE));
    assert.throws(
      () => decodeMessage(bytes),
      (err: unknown) => err instanceof ProtocolError,
      `case ${i}`,
    );
  }
});

test('flipping header bytes of a valid message decodes or fails with a ProtocolError, nothing else', () => {
  const rnd = seeded(99);
  const blocks = printBlocks(2);
  let rejected = 0;
  for (let i = 0; i < 500; i++) {
    const bytes = Buffer.concat(blocks);
    for (let k = 0; k < 3; k++)
      bytes[Math.floor(rnd() * 207) + (rnd() < 0.5 ? 0 : BLOCK_SIZE)] = Math.floor(rnd() * 256);
    try {
      decodeMessage(bytes);
    } catch (err) {
      assert.ok(err instanceof ProtocolError, `case ${i}: ${String(err)}`);
      rejected++;
    }
  }
  assert.ok(rejected > 0);
});

test('data_length beyond the block is rejected naming data_length', () => {
  const b = validBlock();
  setU32(b, OFFSET_DATA_LENGTH, 1842);
  rejects(() => decodeBlock(b, 1), /data_length is 1842, max 1841/);
  setU32(b, OFFSET_DATA_LENGTH, 0xffffffff);
  rejects(() => decodeBlock(b, 1), /data_length/);
});

test('command and auth lengths larger than data_length are rejected', () => {
  const b = validBlock();
  setU16(b, OFFSET_COMMAND_LENGTH, 11);
  rejects(() => decodeBlock(b, 1), /command_length 11 \+ authentication_length 0 exceed data_length 10/);
  const c = validBlock();
  setU16(c, OFFSET_AUTHENTICATION_LENGTH, 1);
  rejects(() => decodeBlock(c, 1), /authentication_length 1 exceed data_length 10/);
});

test('a block number out of sequence is rejected with the expected number', () => {
  const blocks = printBlocks(3);
  setU32(blocks[1]!, OFFSET_BLOCK_COUNTER, 3);
  rejects(
    () => decodeMessage(Buffer.concat(blocks)),
    /tcp block 2 \(bytes 2048\.\.4095\): block_counter is 3, expected 2/,
  );
  const first = validBlock();
  setU32(first, OFFSET_BLOCK_COUNTER, 0);
  rejects(() => decodeMessage(first), /block_counter is 0, expected 1/);
});

test('a source ip length over 128 is rejected naming source_ip_length', () => {
  const b = validBlock();
  b[OFFSET_SOURCE_IP_LENGTH] = 129;
  rejects(() => decodeBlock(b, 1), /source_ip_length is 129, max 128/);
});

test('a flag_last other than 0 or 1 is rejected', () => {
  const b = validBlock();
  b[OFFSET_FLAG_LAST] = 2;
  rejects(() => decodeBlock(b, 1), /flag_last is 2/);
});

test('a command that is not UTF-8 is rejected', () => {
  const b = validBlock();
  b[207] = 0xff;
  rejects(() => decodeBlock(b, 1), /command is not valid UTF-8/);
});

test('a message over the configured maximum size is rejected', () => {
  const blocks = printBlocks(3);
  rejects(
    () => decodeMessage(Buffer.concat(blocks), { maxMessageBytes: 4000 }),
    /exceeds the maximum of 4000 bytes at block 3/,
  );
  assert.equal(decodeMessage(Buffer.concat(blocks), { maxMessageBytes: 1836 * 3 }).payload.length, 1836 * 3);
});

test('a block after the last block is rejected', () => {
  const one = validBlock();
  const second = commandMessage('get status', { source })[0]!;
  setU32(second, OFFSET_BLOCK_COUNTER, 2);
  rejects(() => decodeMessage(Buffer.concat([one, second])), /block 2 arrived after the last block/);
});

test('a block whose command differs from block 1 is rejected', () => {
  const blocks = printBlocks(2);
  const other = encodeMessage({
    header: { sourceIp: 'h', sourcePort: 1 },
    command: 'echo',
    payload: new Uint8Array(1838),
  });
  const assembler = new MessageAssembler();
  assembler.push(decodeBlock(blocks[0]!, 1));
  rejects(() => assembler.push(decodeBlock(other[1]!, 2)), /block 2 command "echo" differs/);
});

test('a reader that failed keeps failing', () => {
  const reader = new BlockReader();
  const b = validBlock();
  b[OFFSET_SOURCE_IP_LENGTH] = 200;
  rejects(() => reader.push(b), /source_ip_length/);
  rejects(() => reader.push(validBlock()), /already failed/);
  rejects(() => reader.end(), /already failed/);
});

test('values that do not fit the header are refused when encoding', () => {
  rejects(() => commandMessage('get status', { source, jobId: -1 }), /job_id must be an integer/);
  rejects(
    () => commandMessage('get status', { source, jobLocation: 70000 }),
    /job_location must be an integer 0\.\.65535/,
  );
  rejects(() => commandMessage('get status', { source: { ip: 'x'.repeat(129), port: 1 } }), /source_ip is 129 bytes/);
  rejects(() => commandMessage('get status', { source: { ip: 'hôte', port: 1 } }), /source_ip must be printable ASCII/);
  rejects(() => commandMessage('get status', { source: { ip: '::1', port: 2 ** 32 } }), /source_port/);
});
