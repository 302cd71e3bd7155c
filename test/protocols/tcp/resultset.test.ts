import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BLOCK_SIZE,
  HEADER_SIZE,
  commandMessage,
  decodeBlock,
  decodeSegments,
  encodeSegments,
  joinSegments,
  packRows,
  resultSetMessage,
  type DecodedBlock,
} from '../../../protocols/tcp/index.js';
import { ProtocolError } from '../../../base/errors.js';
import { seeded } from './random.js';

const request = decodeBlock(
  commandMessage('sql test format = json select * from t', {
    source: { ip: '127.0.0.1', port: 32158 },
    jobLocation: 2,
    jobId: 3,
  })[0]!,
  1,
).header;
const row = (i: number, pad: number): string => JSON.stringify({ Query: [{ '0': `d${i}`, '1': 'x'.repeat(pad) }] });
const decodeAll = (blocks: Uint8Array[]): DecodedBlock[] => blocks.map((b, i) => decodeBlock(b, i + 1));
const rowsOf = (decoded: DecodedBlock[]): string[] =>
  joinSegments(decoded.map((d) => decodeSegments(d.payload, d.header.jsonCount))).map((r) =>
    new TextDecoder().decode(r),
  );

test('rows too many for one block continue in the next, each block counting its segments', () => {
  const rows = Array.from({ length: 200 }, (_, i) => row(i, i % 50));
  const decoded = decodeAll(resultSetMessage(request, rows, { dbmsTimeMs: 12, sendTimeMs: 3 }));
  assert.ok(decoded.length > 3);
  assert.deepEqual(rowsOf(decoded), rows);
  for (const d of decoded) {
    assert.equal(d.command, 'job reply');
    assert.equal(d.header.infoType, 1);
    assert.equal(d.header.dataStruct, 2);
    assert.equal(d.header.jobId, 3);
    assert.equal(d.header.sourcePort, 32158);
  }
  const last = decoded.at(-1)!.header;
  assert.deepEqual([last.lastFlag, last.dbmsTimeMs, last.sendTimeMs], [1, 12, 3]);
  assert.deepEqual([decoded[0]!.header.lastFlag, decoded[0]!.header.dbmsTimeMs], [0, 0]);
});

test('a row longer than a block is cut into parts with status 1, 1, then 2', () => {
  const big = row(1, 5000);
  const blocks = packRows([new TextEncoder().encode(big)], 9);
  assert.deepEqual(
    blocks.map((b) => b.map((s) => s.status)),
    [[1], [1], [2]],
  );
  const decoded = decodeAll(resultSetMessage(request, ['{"a":1}', big]));
  assert.deepEqual(rowsOf(decoded), ['{"a":1}', big]);
});

test('a block is sent once fewer than 10 bytes would remain after a segment', () => {
  const room = BLOCK_SIZE - HEADER_SIZE - 9; // after "job reply"
  const fill = new Uint8Array(room - 3 - 5); // leaves 5 bytes: the block is full
  const blocks = packRows([fill, new Uint8Array(4)], 9);
  assert.deepEqual(
    blocks.map((b) => b.length),
    [1, 1],
  );
  // The last row filled its block, so the message ends with an extra empty last block, as last_query_message does.
  const exact = packRows([new Uint8Array(room - 3)], 9);
  assert.deepEqual(
    exact.map((b) => b.length),
    [1, 0],
  );
});

test('no rows is one empty last block', () => {
  const [only, ...rest] = decodeAll(resultSetMessage(request, []));
  assert.equal(rest.length, 0);
  assert.deepEqual([only!.header.lastFlag, only!.header.jsonCount, only!.payload.length], [1, 0, 0]);
});

test('an error code goes in the last block, which then carries no rows', () => {
  const decoded = decodeAll(resultSetMessage(request, ['{"a":1}'], { error: 16 }));
  assert.equal(decoded.length, 1);
  assert.deepEqual([decoded[0]!.header.error, decoded[0]!.header.jsonCount, decoded[0]!.payload.length], [16, 0, 0]);
});

test('random rows survive packing and joining', () => {
  const rnd = seeded(31);
  for (let round = 0; round < 30; round++) {
    const rows = Array.from({ length: Math.floor(rnd() * 60) }, (_, i) => row(i, Math.floor(rnd() * 3000)));
    assert.deepEqual(rowsOf(decodeAll(resultSetMessage(request, rows))), rows, `round ${round}`);
  }
});

test('segments encode and decode symmetrically', () => {
  const segments = [
    { status: 0 as const, bytes: new Uint8Array([1, 2]) },
    { status: 1 as const, bytes: new Uint8Array(0) },
    { status: 2 as const, bytes: new Uint8Array([3]) },
  ];
  assert.deepEqual(decodeSegments(encodeSegments(segments), 3), segments);
});

test('malformed segments are ProtocolErrors', () => {
  const ok = encodeSegments([{ status: 0, bytes: new Uint8Array([65, 66]) }]);
  assert.throws(() => decodeSegments(ok.subarray(0, 2)), ProtocolError);
  assert.throws(() => decodeSegments(ok.subarray(0, 4)), /runs past the payload/);
  assert.throws(() => decodeSegments(ok, 2), /counter_jsons is 2, found 1/);
  const bad = ok.slice();
  bad[2] = 7;
  assert.throws(() => decodeSegments(bad), /status is 7/);
  assert.throws(() => joinSegments([[{ status: 1, bytes: new Uint8Array(1) }]]), /incomplete/);
});
