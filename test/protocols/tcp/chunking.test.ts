import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import {
  BlockReader,
  MessageReader,
  encodeMessage,
  fileWriteMessage,
  readMessage,
  type TcpMessage,
} from '../../../protocols/tcp/index.js';
import { randomBytes, seeded } from './random.js';

const rnd = seeded(4242);
const payload = randomBytes(rnd, 5000);
const message = Buffer.concat(
  encodeMessage({
    header: { sourceIp: '10.0.0.5', sourcePort: 32148, jobId: 12, infoType: 4, genericFlag: 1 },
    command: 'print',
    auth: new Uint8Array([1, 2, 3]),
    payload,
  }),
);

function feed(chunks: Iterable<Uint8Array>): TcpMessage {
  const reader = new MessageReader();
  for (const c of chunks) reader.push(c);
  return reader.end();
}

function* randomChunks(bytes: Uint8Array, r: () => number, max: number): Generator<Uint8Array> {
  for (let at = 0; at < bytes.length;) {
    const n = 1 + Math.floor(r() * max);
    yield bytes.subarray(at, at + n);
    at += n;
  }
}

const whole = feed([message]);

test('the whole message decodes to its command, auth and payload', () => {
  assert.equal(whole.command, 'print');
  assert.deepEqual(whole.auth, new Uint8Array([1, 2, 3]));
  assert.deepEqual(whole.payload, payload);
  assert.equal(whole.blocks, 3);
  assert.equal(whole.header.jobId, 12);
});

test('feeding the message one byte at a time gives the same result', () => {
  function* bytes(): Generator<Uint8Array> {
    for (let i = 0; i < message.length; i++) yield message.subarray(i, i + 1);
  }
  assert.deepEqual(feed(bytes()), whole);
});

test('feeding the message in random chunk sizes gives the same result', () => {
  const r = seeded(17);
  for (let round = 0; round < 50; round++) {
    const max = [3, 100, 2047, 2049, 7000][round % 5]!;
    assert.deepEqual(feed(randomChunks(message, r, max)), whole, `round ${round}`);
  }
});

test('the block reader yields each block as soon as its last byte arrives', () => {
  const reader = new BlockReader();
  assert.equal(reader.push(message.subarray(0, 2047)).length, 0);
  assert.equal(reader.bufferedBytes, 2047);
  const [block] = reader.push(message.subarray(2047, 2049));
  assert.equal(block?.header.blockNumber, 1);
  assert.equal(reader.bufferedBytes, 1);
  assert.equal(reader.push(message.subarray(2049)).length, 2);
  assert.equal(reader.blocksRead, 3);
  reader.end();
});

test('a file sent over a loopback socket in small writes is read back whole', async (t) => {
  const file = randomBytes(seeded(5), 9000);
  const blocks = fileWriteMessage('data/in file.json', file, 1, { source: { ip: '127.0.0.1', port: 1 } });
  const server = net.createServer();
  t.after(() => server.close());
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  const received = new Promise<TcpMessage>((resolve, reject) => {
    server.once('connection', (socket) => {
      readMessage(socket).then(resolve, reject);
    });
  });
  const client = net.connect(address.port, '127.0.0.1');
  client.setNoDelay(true);
  await once(client, 'connect');
  const bytes = Buffer.concat(blocks);
  const r = seeded(8);
  for (const chunk of randomChunks(bytes, r, 700)) client.write(chunk);
  client.end();
  const msg = await received;
  assert.equal(msg.command, 'file write data/in\tfile.json');
  assert.deepEqual(new Uint8Array(msg.payload), file);
  assert.equal(msg.blocks, blocks.length);
});
