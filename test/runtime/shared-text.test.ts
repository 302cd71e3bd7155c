// runtime/shared-text.ts: one thread writes a text into a SharedArrayBuffer, any thread reads it synchronously
// (across threads: test/network/local-answer.test.ts, the node's main thread writing and its TCP thread reading).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SharedText } from '../../runtime/shared-text.js';

test('a reader sees the last finished write, no text before the first and after a too-long one', () => {
  const writer = new SharedText(SharedText.allocate(16));
  const reader = new SharedText(writer.buffer);
  assert.equal(reader.read(), undefined);
  writer.write('node-a@10.0.0.1');
  assert.equal(reader.read(), 'node-a@10.0.0.1');
  assert.equal(reader.read(), 'node-a@10.0.0.1', 'read again from its cache');
  writer.write('näme');
  assert.equal(reader.read(), 'näme', 'a rewrite is read, UTF-8 and shorter');
  writer.write('x'.repeat(17));
  assert.equal(reader.read(), undefined, 'longer than the cell: no text, never a cut one');
  writer.write('');
  assert.equal(reader.read(), '');
  writer.write(undefined);
  assert.equal(reader.read(), undefined);
});
