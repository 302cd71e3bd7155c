import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  NUMERIC_FIELDS,
  commandMessage,
  decodeBlock,
  decodeMessage,
  decodeSegments,
  joinSegments,
  replyMessage,
  resultSetMessage,
  type BlockHeader,
} from '../../../protocols/tcp/index.js';
import { FIXTURES, SHARED_GOLDEN, fixturesSkip, readDump, readFixture } from './golden-fixtures.js';

const GET_STATUS_REQ = 'tcp_get_status_segments/seg01_41036_to_32148.bin';
const GET_STATUS_REPLY = 'tcp_get_status_segments/seg02_58756_to_32158.bin';
const SQL_REQ = 'tcp_sql_query_segments/seg01_33412_to_32148.bin';
const SQL_REPLY = 'tcp_sql_query_segments/seg02_46092_to_32158.bin';
const DUMPS: Record<string, string> = {
  'tcp_get_status_decoded.txt': 'tcp_get_status_segments/',
  'tcp_sql_query_decoded.txt': 'tcp_sql_query_segments/',
  'fake_peer_decoded.txt': '',
};

const text = (b: Uint8Array): string => new TextDecoder().decode(b);
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const headerOf = (name: string): BlockHeader => decodeBlock(readFixture(name), 1).header;

/** The first differing offset, so a failure says where instead of dumping 2048 bytes. */
function assertSameBlocks(actual: Uint8Array[], expected: Uint8Array[]): void {
  assert.equal(actual.length, expected.length, 'block count');
  actual.forEach((a, i) => {
    const e = expected[i]!;
    const at = a.findIndex((byte, j) => byte !== e[j]);
    assert.equal(at, -1, `block ${i + 1} differs at byte ${at}: got ${a[at]}, expected ${e[at]}`);
    assert.equal(a.length, e.length);
  });
}

test('every captured block decodes to the values in its decode_hdr.py dump', { skip: fixturesSkip }, () => {
  let checked = 0;
  for (const [dumpName, dir] of Object.entries(DUMPS)) {
    for (const dump of readDump(dumpName)) {
      const raw = readFixture(dir + dump.file);
      const { header, command, auth, payload } = decodeBlock(raw, 1);
      const f = dump.fields;
      for (const field of NUMERIC_FIELDS) {
        assert.equal(String(header[field.key]), f.get(field.name), `${dump.file}: ${field.name}`);
      }
      assert.equal(hex(header.blockHash), f.get('block_hash'), `${dump.file}: block_hash`);
      assert.equal(String(header.socketTimeId), f.get('socket_time_id'), `${dump.file}: socket_time_id`);
      assert.equal(String(header.sourceIp.length), f.get('source_ip_length'), `${dump.file}: source_ip_length`);
      assert.equal(header.sourceIp, f.get('source_ip'), `${dump.file}: source_ip`);
      assert.equal(command, text(dump.command), `${dump.file}: command`);
      assert.deepEqual(auth, dump.auth, `${dump.file}: auth`);
      assert.deepEqual(payload, dump.data, `${dump.file}: data`);
      assert.equal(dump.trailingZero, true, `${dump.file}: captures are zero past data_length`);
      checked++;
    }
  }
  assert.equal(checked, 8);
});

test('the get status request encodes to the captured block', { skip: fixturesSkip }, () => {
  const blocks = commandMessage('get status', { source: { ip: '127.0.0.1', port: 32158 }, jobId: 1 });
  assertSameBlocks(blocks, [readFixture(GET_STATUS_REQ)]);
});

test('the print reply to get status encodes to the captured block', { skip: fixturesSkip }, () => {
  const blocks = replyMessage(headerOf(GET_STATUS_REQ), 'node1@127.0.0.1:32148 running', {
    source: { ip: '127.0.0.1', port: 32148 },
  });
  assertSameBlocks(blocks, [readFixture(GET_STATUS_REPLY)]);
});

test('the sql query request with TABs for spaces encodes to the captured block', { skip: fixturesSkip }, () => {
  const command = 'sql test format = json select\tdevice\t,\tvalue\t\tfrom\treadings\torder\tby\tdevice\t';
  const blocks = commandMessage(command, { source: { ip: '127.0.0.1', port: 32158 }, jobLocation: 2, jobId: 3 });
  assertSameBlocks(blocks, [readFixture(SQL_REQ)]);
});

test('the job reply encodes its rows as length-prefixed segments, as captured', { skip: fixturesSkip }, () => {
  const rows = [
    '{"Query":[{"0":"d1","1":"1.5"}]}',
    '{"Query":[{"0":"d2","1":"2.5"}]}',
    '{"Query":[{"0":"d3","1":"3.5"}]}',
    '{"Query":[{"0":"d3","1":"3.5"}]}',
    '{"Query":[{"0":"d4","1":"4.5"}]}',
  ];
  const blocks = resultSetMessage(headerOf(SQL_REQ), rows);
  assertSameBlocks(blocks, [readFixture(SQL_REPLY)]);
});

test('the captured job reply splits into five complete row segments', { skip: fixturesSkip }, () => {
  const reply = decodeBlock(readFixture(SQL_REPLY), 1);
  const segments = decodeSegments(reply.payload, reply.header.jsonCount);
  assert.deepEqual(
    segments.map((s) => s.status),
    [0, 0, 0, 0, 0],
  );
  const rows = joinSegments([segments]).map((r) => JSON.parse(text(r)) as unknown);
  assert.deepEqual(rows[0], { Query: [{ '0': 'd1', '1': '1.5' }] });
  assert.deepEqual(rows[4], { Query: [{ '0': 'd4', '1': '4.5' }] });
  // The reply carries the requester's own address: EdgeLake reuses the request buffer (member_cmd.py L4457-4490).
  assert.equal(reply.header.sourcePort, 32158);
});

test("the fake peer's requests encode to the blocks fake_peer.py builds", { skip: fixturesSkip }, () => {
  for (const cmd of ['get status', 'get version']) {
    const blocks = commandMessage(cmd, { source: { ip: '127.0.0.1', port: 32158 }, jobId: 7 });
    assertSameBlocks(blocks, [readFixture(`fake_peer_request_${cmd.replace(' ', '_')}.bin`)]);
  }
});

test("EdgeLake's replies to the fake peer encode byte for byte", { skip: fixturesSkip }, () => {
  const cases = [
    ['get_status', 'node1@127.0.0.1:32148 running'],
    ['get_version', 'EdgeLake Version: 1.4.2604'],
  ] as const;
  for (const [name, reply] of cases) {
    const request = headerOf(`fake_peer_request_${name}.bin`);
    const blocks = replyMessage(request, reply, { source: { ip: '127.0.0.1', port: 32148 } });
    assertSameBlocks(blocks, [readFixture(`fake_peer_reply_${name}.bin`)]);
  }
});

test('each captured block decodes as a whole one-block message', { skip: fixturesSkip }, () => {
  const msg = decodeMessage(readFixture(GET_STATUS_REPLY));
  assert.equal(msg.command, 'print');
  assert.equal(text(msg.payload), 'node1@127.0.0.1:32148 running');
  assert.equal(msg.blocks, 1);
  const sql = decodeMessage(readFixture(SQL_REQ));
  assert.equal(
    sql.command.replaceAll('\t', ' '),
    'sql test format = json select device , value  from readings order by device ',
  );
  assert.equal(sql.header.jobLocation, 2);
  assert.equal(sql.header.jobId, 3);
});

test('interop vector 1: a get status command block has exactly the listed non-zero bytes', () => {
  const [block] = commandMessage('get status', {
    source: { ip: '10.0.0.5', port: 32148 },
    jobLocation: 3,
    jobId: 17,
    threadNumber: 7,
  });
  const expected = new Map<number, number>([
    [29, 0x07],
    [33, 0x01],
    [35, 0x01],
    [36, 0x06],
    [40, 0x0a],
    [46, 0x0a],
    [51, 0x03],
    [55, 0x11],
    [57, 0x01],
    [61, 0x01],
    [72, 0x08],
    [203, 0x7d],
    [204, 0x94],
  ]);
  [...Buffer.from('10.0.0.5')].forEach((b, i) => expected.set(73 + i, b));
  [...Buffer.from('get status')].forEach((b, i) => expected.set(207 + i, b));
  const nonZero = new Map<number, number>();
  block!.forEach((b, i) => {
    if (b !== 0) nonZero.set(i, b);
  });
  assert.deepEqual(nonZero, expected);
});

test('interop vector 2: a status reply is print, info 4, flag 1 for text and 2 for JSON', () => {
  const [request] = commandMessage('get status', { source: { ip: '127.0.0.1', port: 32158 }, jobId: 5 });
  const req = decodeBlock(request!, 1).header;
  const source = { ip: '127.0.0.1', port: 42148 }; // edge-test, the replier
  const plain = decodeMessage(replyMessage(req, 'edge-test@127.0.0.1:42148 running', { source })[0]!);
  assert.equal(plain.command, 'print');
  assert.equal(plain.header.infoType, 4);
  assert.equal(plain.header.genericFlag, 1);
  assert.equal(plain.header.jobId, 5);
  assert.deepEqual([plain.header.sourceIp, plain.header.sourcePort], ['127.0.0.1', 42148]);
  assert.equal(text(plain.payload), 'edge-test@127.0.0.1:42148 running');
  const body = '{"assigned_name": "edge-test@127.0.0.1:42148", "status": "running", "profiling": false}';
  const json = decodeMessage(replyMessage(req, body, { source, json: true })[0]!);
  assert.equal(json.header.genericFlag, 2);
  assert.deepEqual(JSON.parse(text(json.payload)), {
    assigned_name: 'edge-test@127.0.0.1:42148',
    status: 'running',
    profiling: false,
  });
});

test('the fixture copies still equal the steering repo originals', (t) => {
  if (!existsSync(SHARED_GOLDEN)) {
    t.skip(`no steering repo golden directory at ${SHARED_GOLDEN}`);
    return;
  }
  const copied = [GET_STATUS_REQ, GET_STATUS_REPLY, SQL_REQ, SQL_REPLY, ...Object.keys(DUMPS).slice(0, 2)];
  for (const name of [...copied, 'fake_peer_reply_get_status.bin', 'fake_peer_reply_get_version.bin']) {
    assert.deepEqual(
      readFileSync(path.join(FIXTURES, name)),
      readFileSync(path.join(SHARED_GOLDEN, name)),
      `${name} differs from ${SHARED_GOLDEN}`,
    );
  }
});
