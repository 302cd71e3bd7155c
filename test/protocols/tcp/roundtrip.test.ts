import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BLOCK_SIZE,
  MAX_BODY,
  commandMessage,
  decodeBlock,
  decodeMessage,
  encodeMessage,
  fileWriteMessage,
  largeCommandMessage,
  notRecognizedReply,
  replyMessage,
  replyTarget,
  type BlockHeader,
  type LastBlockRule,
} from '../../../protocols/tcp/index.js';
import { ProtocolError } from '../../../base/errors.js';
import { randomBytes, randomText, seeded } from './random.js';

const source = { ip: '10.0.0.5', port: 32148 };
const text = (b: Uint8Array): string => new TextDecoder().decode(b);
const join = (blocks: Uint8Array[]): Uint8Array => Buffer.concat(blocks);
const payloadSizes = (blocks: Uint8Array[]): number[] =>
  blocks.map((b) => {
    const d = decodeBlock(b);
    return d.payload.length;
  });

/** Expected block count, computed from the spec's formula rather than the encoder. */
function expectedBlocks(cmd: number, auth: number, payload: number, rule: LastBlockRule): number {
  const first = MAX_BODY - cmd - auth;
  const rest = MAX_BODY - cmd;
  if (rule === 'rest-fits') return payload <= first ? 1 : 1 + Math.ceil((payload - first) / rest);
  return payload < first ? 1 : 2 + Math.floor((payload - first) / rest);
}

test('a 4000-byte print payload goes out as 1836 + 1836 + 328 bytes in blocks 1..3', () => {
  const payload = new Uint8Array(4000).fill(0x61);
  const blocks = encodeMessage({ header: { sourceIp: source.ip, sourcePort: source.port }, command: 'print', payload });
  assert.deepEqual(payloadSizes(blocks), [1836, 1836, 328]);
  assert.deepEqual(
    blocks.map((b) => decodeBlock(b).header.blockNumber),
    [1, 2, 3],
  );
  assert.deepEqual(
    blocks.map((b) => decodeBlock(b).header.lastFlag),
    [0, 0, 1],
  );
  assert.ok(blocks.every((b) => b.length === BLOCK_SIZE && decodeBlock(b).command === 'print'));
  assert.deepEqual(decodeMessage(join(blocks)).payload, payload);
});

test('random commands and payloads survive encode then decode, with the exact block count', () => {
  const rnd = seeded(20240501);
  for (let i = 0; i < 200; i++) {
    const command = randomText(rnd, 1 + Math.floor(rnd() * 60));
    const cmdBytes = Buffer.byteLength(command);
    const auth = rnd() < 0.3 ? randomBytes(rnd, Math.floor(rnd() * 40)) : new Uint8Array(0);
    const payload = randomBytes(rnd, Math.floor(rnd() * 9000));
    const rule: LastBlockRule = rnd() < 0.5 ? 'rest-fits' : 'short-block';
    const header = { sourceIp: '192.168.1.' + (i % 255), sourcePort: 32000 + i, jobId: i, jobLocation: i % 7 };
    const blocks = encodeMessage({ header, command, auth, payload, lastBlock: rule });
    assert.equal(blocks.length, expectedBlocks(cmdBytes, auth.length, payload.length, rule), `case ${i}`);
    const msg = decodeMessage(join(blocks));
    assert.equal(msg.command, command);
    assert.deepEqual(msg.auth, auth);
    assert.deepEqual(msg.payload, payload);
    assert.equal(msg.header.sourceIp, header.sourceIp);
    assert.equal(msg.header.jobId, i);
    assert.equal(msg.blocks, blocks.length);
  }
});

test('a payload that exactly fills the blocks ends there for print and with an empty block for file write', () => {
  const exact = new Uint8Array(1836 * 2);
  assert.equal(encodeMessage({ header: { sourceIp: 'a', sourcePort: 1 }, command: 'print', payload: exact }).length, 2);
  const file = fileWriteMessage('x', new Uint8Array(MAX_BODY - 'file write x'.length), 0, { source });
  assert.deepEqual(payloadSizes(file), [MAX_BODY - 12, 0]);
  assert.equal(decodeBlock(file[1]!, 2).header.lastFlag, 1);
});

test('auth bytes travel in block 1 only and shrink its payload', () => {
  const auth = new Uint8Array(36).fill(7);
  const blocks = encodeMessage({
    header: { sourceIp: 'h', sourcePort: 2 },
    command: 'print',
    auth,
    payload: new Uint8Array(4000),
  });
  const decoded = blocks.map((b) => decodeBlock(b));
  assert.deepEqual(
    decoded.map((d) => d.header.authLength),
    [36, 0, 0],
  );
  assert.deepEqual(payloadSizes(blocks), [1800, 1836, 364]);
  assert.ok(decoded.every((d) => d.header.dataLength === 5 + d.header.authLength + d.payload.length));
});

test('unicode commands are sent as UTF-8 and their byte length counts', () => {
  const command = 'print héllo wörld ✓ 日本語 🚀';
  const [block] = commandMessage(command, { source });
  const d = decodeBlock(block!, 1);
  assert.equal(d.command, command);
  assert.equal(d.header.commandLength, Buffer.byteLength(command));
});

test('a text reply never cuts a UTF-8 character across blocks', () => {
  const request = decodeBlock(commandMessage('get status', { source, jobId: 9 })[0]!, 1).header;
  const reply = 'é'.repeat(1000) + '🚀'.repeat(300);
  const blocks = replyMessage(request, reply, { source: { ip: '127.0.0.1', port: 1 } });
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const parts = blocks.map((b) => decoder.decode(decodeBlock(b).payload));
  assert.equal(parts.join(''), reply);
  assert.ok(blocks.length >= 2);
});

test('an echo reply carries the error code and the request job', () => {
  const request = decodeBlock(
    commandMessage('get x', { source, jobLocation: 4, jobId: 99, receivers: 3, receiverId: 2 })[0]!,
  ).header;
  const msg = decodeMessage(replyMessage(request, 'Error Command Structure', { source, error: 2 })[0]!);
  assert.equal(msg.command, 'echo');
  assert.equal(msg.header.error, 2);
  assert.equal(msg.header.infoType, 4);
  assert.deepEqual(
    [msg.header.jobLocation, msg.header.jobId, msg.header.receivers, msg.header.receiverId],
    [4, 99, 3, 2],
  );
});

test('an unknown command is answered with EdgeLake\'s "not recoginzed" echo, error 1, no payload', () => {
  const request: BlockHeader = decodeBlock(commandMessage('frobnicate now', { source, jobId: 3 })[0]!).header;
  const [block] = notRecognizedReply(request, 'frobnicate now', { source });
  const d = decodeBlock(block!, 1);
  assert.equal(d.command, "echo Command 'frobnicate now' not recoginzed");
  assert.equal(d.header.error, 1);
  assert.equal(d.payload.length, 0);
  const long = notRecognizedReply(request, 'x'.repeat(3000), { source });
  assert.equal(long.length, 1);
});

test('file write sends spaces in the destination as TABs and the flag in generic_flag', () => {
  const data = new TextEncoder().encode('{"a": 1}\n');
  const msg = decodeMessage(join(fileWriteMessage('my dir/file name.json', data, 1, { source })));
  assert.equal(msg.command, 'file write my\tdir/file\tname.json');
  assert.equal(msg.header.genericFlag, 1);
  assert.deepEqual(msg.payload, data);
});

test('a non-print command that does not fit one block must go as a large message', () => {
  const command = 'blockchain insert where policy = ' + 'x'.repeat(1900);
  assert.throws(() => commandMessage(command, { source }), ProtocolError);
  // 207 + command >= 2048 is already large (is_large_command uses >=).
  assert.throws(() => commandMessage('y'.repeat(MAX_BODY), { source }), ProtocolError);
  assert.equal(commandMessage('y'.repeat(MAX_BODY - 1), { source }).length, 1);
  const blocks = largeCommandMessage(command, { source, senderIp: '10.0.0.5', sequence: 4, jobId: 8 });
  const msg = decodeMessage(join(blocks));
  assert.equal(msg.command, 'file write cmd.10.0.0.5.4.lmsg');
  assert.equal(msg.header.genericFlag, 3);
  assert.equal(msg.header.jobId, 8);
  assert.equal(text(msg.payload), command);
});

test('a reply goes to the source address, or to the socket peer when the source is 0.0.0.0', () => {
  const h = decodeBlock(commandMessage('get status', { source: { ip: '0.0.0.0', port: 5000 } })[0]!).header;
  assert.deepEqual(replyTarget(h, '192.0.2.9'), { ip: '192.0.2.9', port: 5000 });
  const g = decodeBlock(commandMessage('get status', { source })[0]!).header;
  assert.deepEqual(replyTarget(g, '192.0.2.9'), source);
});
