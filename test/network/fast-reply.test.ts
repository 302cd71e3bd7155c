import { test } from 'node:test';
import assert from 'node:assert/strict';
import { commandMessage, replyMessage } from '../../protocols/tcp/builders.js';
import { decodeBlock } from '../../protocols/tcp/decoder.js';
import { encodeHeader, HEADER_SIZE } from '../../protocols/tcp/header.js';
import { fastReply } from '../../actors/tcp-server/fast-reply.js';

const enc = new TextEncoder();

test("the worker's one-block answer is byte for byte protocols/tcp replyMessage", () => {
  const request = commandMessage('get status where format = json', {
    source: { ip: '10.0.0.5', port: 32148 },
    jobId: 0xdeadbeef,
    jobLocation: 3,
    receivers: 4,
    receiverId: 2,
    threadNumber: 9,
  })[0]!;
  const head = decodeBlock(request).header;
  const cases = [
    { text: 'node-b@127.0.0.1:32148 running', error: 0, json: false },
    { text: '{"status": "running"}', error: 0, json: true },
    { text: 'Error Command Structure', error: 2, json: false },
    { text: 'é'.repeat(900), error: 0, json: false },
    { text: '', error: 0, json: false },
    // A lone surrogate: TextEncoder and the string path both write U+FFFD.
    { text: 'a\ud800b €', error: 0, json: false },
  ];
  for (const c of cases) {
    const source = { ip: '127.0.0.1', port: 40000 };
    const fast = fastReply(encodeHeader(head), enc.encode(c.text), {
      source,
      error: c.error,
      json: c.json,
      threadNumber: 3,
    });
    const slow = replyMessage(head, c.text, { source, error: c.error, json: c.json, threadNumber: 3 });
    assert.equal(slow.length, 1);
    // The fast block is a Buffer (from the pool): compared as plain bytes.
    assert.deepEqual(new Uint8Array(fast!), slow[0], c.text.slice(0, 20));
    // The text as a string (what the worker passes) is written into the block as the same bytes.
    const direct = fastReply(encodeHeader(head), c.text, { source, error: c.error, json: c.json, threadNumber: 3 });
    assert.deepEqual(new Uint8Array(direct!), slow[0], c.text.slice(0, 20));
  }
  // More than one block: left to replyMessage, as bytes or as a string. After `print`, 1836 bytes are left: 918
  // two-byte characters fit, 919 do not.
  const o = { source: { ip: '127.0.0.1', port: 1 }, error: 0, json: false, threadNumber: 0 };
  assert.equal(2048 - HEADER_SIZE - 'print'.length, 1836);
  assert.ok(fastReply(encodeHeader(head), 'é'.repeat(918), o));
  assert.equal(fastReply(encodeHeader(head), 'é'.repeat(919), o), undefined);
  assert.equal(
    fastReply(encodeHeader(head), enc.encode('x'.repeat(2048 - HEADER_SIZE)), {
      source: { ip: '127.0.0.1', port: 1 },
      error: 0,
      json: false,
      threadNumber: 0,
    }),
    undefined,
  );
});
