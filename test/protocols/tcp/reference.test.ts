// Multi-block messages compared with blocks built by EdgeLake's own code (message_header.py and
// net_client.message_prep_and_send, run by test/fixtures/tcp/edgelake_reference_blocks.py). Each block is compared
// over the bytes EdgeLake defines: the header and data_length bytes after it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  HEADER_SIZE,
  decodeBlock,
  emptyHeader,
  encodeMessage,
  fileWriteMessage,
  resultSetMessage,
  type FileWriteFlag,
} from '../../../protocols/tcp/index.js';
import { FIXTURES } from './golden-fixtures.js';

interface BlockSummary {
  dataLength: number;
  sha256: string;
}
interface Reference {
  messages: { command: string; payload: number; auth: number; blocks: BlockSummary[] }[];
  resultSets: { pads: number[]; blocks: BlockSummary[] }[];
  files: { dest: string; flag: FileWriteFlag; size: number; auth: number; blocks: BlockSummary[] }[];
}

const file = path.join(FIXTURES, 'edgelake_reference_blocks.json');
const skip = existsSync(file) ? false : `missing ${file}`;
const ref: Reference = skip
  ? { messages: [], resultSets: [], files: [] }
  : (JSON.parse(readFileSync(file, 'utf8')) as Reference);

// The generator's deterministic inputs (edgelake_reference_blocks.py: text() and pattern()).
const text = (n: number, seed: number): string =>
  Array.from({ length: n }, (_, i) => 'abcdefghijklmnopqrstuvwxyz'[(i + seed) % 26]).join('');
const pattern = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) % 256);
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

function assertMatches(blocks: Uint8Array[], expected: BlockSummary[], label: string): void {
  assert.equal(blocks.length, expected.length, `${label}: block count`);
  blocks.forEach((b, i) => {
    const dataLength = decodeBlock(b, i + 1).header.dataLength;
    assert.equal(dataLength, expected[i]!.dataLength, `${label} block ${i + 1}: data_length`);
    const digest = createHash('sha256')
      .update(b.subarray(0, HEADER_SIZE + dataLength))
      .digest('hex');
    assert.equal(digest, expected[i]!.sha256, `${label} block ${i + 1}: bytes`);
  });
}

test('print and echo messages split into blocks exactly as message_prep_and_send does', { skip }, () => {
  for (const c of ref.messages) {
    const blocks = encodeMessage({
      header: { sourceIp: '10.0.0.5', sourcePort: 32148, infoType: 4 },
      command: c.command,
      auth: utf8(text(c.auth, 3)),
      payload: utf8(text(c.payload, 0)),
    });
    assertMatches(blocks, c.blocks, `${c.command} payload ${c.payload} auth ${c.auth}`);
  }
  assert.equal(ref.messages.length, 48);
});

test('query rows pack into job reply blocks exactly as copy_data does', { skip }, () => {
  for (const c of ref.resultSets) {
    const rows = c.pads.map((p, j) => pythonJson({ Query: [{ '0': `d${j}`, '1': text(p, j) }] }));
    const blocks = resultSetMessage(emptyHeader('127.0.0.1', 32158), rows);
    assertMatches(blocks, c.blocks, `rows ${JSON.stringify(c.pads)}`);
  }
  assert.equal(ref.resultSets.length, 9);
});

/** json.dumps spacing (`{"a": 1, "b": 2}`), as the generator wrote its rows; safe here: the values are letters. */
function pythonJson(value: unknown): string {
  return JSON.stringify(value).replace(/":/g, '": ').replace(/,"/g, ', "');
}

test('file transfers split into blocks exactly as file_send does, with its extra empty last block', { skip }, () => {
  for (const c of ref.files) {
    const blocks = fileWriteMessage(c.dest, pattern(c.size, 3), c.flag, {
      source: { ip: '10.0.0.5', port: 32148 },
      ...(c.auth > 0 ? { auth: utf8(text(c.auth, 5)) } : {}),
    });
    assertMatches(blocks, c.blocks, `file ${c.dest} size ${c.size} auth ${c.auth}`);
  }
  assert.equal(ref.files.length, 48);
});
