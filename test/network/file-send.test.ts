import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileWriteMessage } from '../../protocols/tcp/builders.js';
import { MAX_BODY } from '../../protocols/tcp/header.js';
import { sendFile } from '../../peer/file-send.js';
import { markBlocks } from '../../peer/wire.js';
import { close, listen } from './peers.js';

test('a streamed file copy sends the bytes protocols/tcp fileWriteMessage encodes, edge sizes included', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'elrt-fsend-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const dest = '!watch_dir/a b.json';
  const room = MAX_BODY - `file write ${dest}`.length;
  // Empty, one short block, an exact multiple of the block room (ends with an empty block), more than one read.
  for (const size of [0, 100, room * 3, room * 256, room * 600 + 17]) {
    const bytes = Buffer.alloc(size);
    for (let i = 0; i < size; i++) bytes[i] = (i * 31) & 0xff;
    const file = join(dir, `f${size}`);
    writeFileSync(file, bytes);
    let got: Buffer = Buffer.alloc(0);
    const done = new Promise<void>((resolve) => {
      void listen((s) => {
        const chunks: Buffer[] = [];
        s.on('data', (c: Buffer) => chunks.push(c));
        s.on('end', () => {
          got = Buffer.concat(chunks);
          resolve();
        });
      }).then(async ({ server, port }) => {
        t.after(() => close(server));
        await sendFile({ ip: '127.0.0.1', port }, file, dest, 1, { ip: '127.0.0.1', port: 32148 });
      });
    });
    await done;
    const expected = fileWriteMessage(dest, bytes, 1, { source: { ip: '127.0.0.1', port: 32148 } });
    markBlocks(expected);
    assert.equal(got.length, expected.length * 2048, `size ${size}`);
    assert.ok(got.equals(Buffer.concat(expected)), `size ${size}: bytes differ`);
  }
});
