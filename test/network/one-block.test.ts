// The one-block shortcuts of the peer path (issue 14): a message of one block is passed on without a
// MessageAssembler (the TCP server's Inbound, the requester's AnswerReader), and an answer is built from the
// request's header bytes as received instead of its decoded header encoded again. Each must give what the general
// path gives.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { commandMessage, replyMessage } from '../../protocols/tcp/builders.js';
import { decodeMessage } from '../../protocols/tcp/assembler.js';
import { decodeBlock } from '../../protocols/tcp/decoder.js';
import { encodeHeader, HEADER_SIZE, OFFSET_SOURCE_IP, OFFSET_SOURCE_PORT } from '../../protocols/tcp/header.js';
import { Inbound, type InboundItem } from '../../actors/tcp-server/inbound.js';
import { fastReply } from '../../actors/tcp-server/fast-reply.js';
import { AnswerReader } from '../../peer/answer-reader.js';
import { markBlocks, RT_DUPLEX_SOCKET_ID } from '../../peer/wire.js';

const source = { ip: '10.0.0.5', port: 32148 };
const concat = (blocks: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(blocks));

function inbound(max = 512 * 1024): Inbound {
  return new Inbound({ commandBytes: max, answerBytes: max });
}

/** The fields of a message as the assembler returns them. */
function assembled(bytes: Uint8Array) {
  const m = decodeMessage(bytes);
  return { header: m.header, command: m.command, auth: m.auth, payload: m.payload };
}

test('a one-block command comes out of Inbound as the assembler makes it, with its header bytes as sent', () => {
  const blocks = commandMessage('get status', { source, jobId: 7, receivers: 2, receiverId: 1 });
  markBlocks(blocks, RT_DUPLEX_SOCKET_ID);
  const bytes = concat(blocks);
  // Twice on one persistent connection: the second message too, and cut in the middle of a block.
  const conn = inbound();
  const items: InboundItem[] = [
    ...conn.push(bytes),
    ...conn.push(bytes.subarray(0, 1000)),
    ...conn.push(bytes.subarray(1000)),
  ];
  assert.equal(items.length, 2);
  for (const item of items) {
    assert.equal(item.k, 'command');
    if (item.k !== 'command') return;
    assert.deepEqual(item.block, assembled(bytes));
    assert.deepEqual(new Uint8Array(item.rawHead), bytes.subarray(0, HEADER_SIZE));
  }
});

test('a command of several blocks still goes through the assembler, and the one-block limit is the same', () => {
  // A large command is a transfer (file write): several blocks come from an answer, a long print.
  const blocks = commandMessage('get status', { source, jobId: 3 });
  const answer = replyMessage(decodeBlock(blocks[0]!).header, 'y'.repeat(5000), {
    source,
    error: 0,
    json: false,
    threadNumber: 1,
  });
  assert.ok(answer.length > 1);
  const items = inbound().push(concat(answer));
  assert.equal(items.length, 1);
  assert.deepEqual(items[0]!.k === 'answer' && items[0]!.block, assembled(concat(answer)));
  // The size limit holds for a one-block message as for the assembler.
  const one = replyMessage(decodeBlock(blocks[0]!).header, 'z'.repeat(100), {
    source,
    error: 0,
    json: false,
    threadNumber: 1,
  });
  assert.throws(() => inbound(50).push(concat(one)), /payload exceeds the maximum of 50 bytes at block 1/);
});

test("the requester's AnswerReader returns a one-block answer as the assembler does", () => {
  const request = decodeBlock(commandMessage('get status', { source, jobId: 9 })[0]!).header;
  const one = replyMessage(request, 'node-b@127.0.0.1:1 running', { source, error: 0, json: false, threadNumber: 0 });
  const two = replyMessage(request, 'w'.repeat(4000), { source, error: 0, json: false, threadNumber: 0 });
  const reader = new AnswerReader(1 << 20);
  const got = [...reader.push(concat(one)), ...reader.push(concat(two))];
  assert.deepEqual(got, [decodeMessage(concat(one)), decodeMessage(concat(two))]);
  assert.throws(() => new AnswerReader(5).push(concat(one)), /payload exceeds the maximum of 5 bytes/);
});

test('an answer built from the request bytes as received is the one built from its decoded header', () => {
  const request = Buffer.from(commandMessage('get status', { source, jobId: 0xabcdef, receivers: 3 })[0]!);
  // Old bytes past the source IP's length (a reused EdgeLake buffer): not read, and not copied into the answer.
  request.fill(0x41, OFFSET_SOURCE_IP + source.ip.length, OFFSET_SOURCE_PORT);
  const head = decodeBlock(request).header;
  const o = { source: { ip: '127.0.0.1', port: 40000 }, error: 0, json: false, threadNumber: 0 };
  const text = new TextEncoder().encode('node-b@127.0.0.1:40000 running');
  const raw = fastReply(request.subarray(0, HEADER_SIZE), text, o);
  assert.deepEqual(raw, fastReply(encodeHeader(head), text, o));
  assert.deepEqual(new Uint8Array(raw!), replyMessage(head, text, o)[0]);
});
