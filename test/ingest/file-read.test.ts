// The operator's two passes over a watch-dir file (actors/operator/file-read.ts) give the same lines, rows and
// chunks whether the file is read once (small files) or streamed (large ones): the one-read path splits lines as
// readline does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { boundedLines, chunks, scanFile, splitLines } from '../../actors/operator/file-read.js';

async function readlineLines(path: string): Promise<string[]> {
  const out: string[] = [];
  const rl = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  for await (const l of rl) out.push(l);
  return out;
}

const TEXTS = [
  '',
  '\n',
  '{"a":1}',
  '{"a":1}\n',
  '{"a":1}\r\n{"a":2}\r\n',
  '{"a":1}\r{"a":2}\r',
  '{"a":1}\n\n\n{"a":2}',
  '\r\n\r\n{"a":1}\n\r',
  '[{"a":1},{"a":2}]\n{"a":3}\n',
];

test('splitLines gives the lines readline gives (LF, CRLF, lone CR, blank lines, no final break)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'elrt-lines-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const [i, text] of TEXTS.entries()) {
    const f = join(dir, `f${i}.json`);
    writeFileSync(f, text);
    assert.deepEqual(splitLines(text), await readlineLines(f), JSON.stringify(text));
  }
});

test('a file read once and the same file streamed give the same scan and the same chunks', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'elrt-scan-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const lines = Array.from({ length: 2500 }, (_, i) =>
    i % 7 === 0 ? '' : i % 11 === 0 ? JSON.stringify([{ n: i, s: 'é\u{1F600}' }, { n: -i }]) : JSON.stringify({ n: i }),
  );
  const f = join(dir, 'test.t.json');
  writeFileSync(f, lines.join('\r\n') + '\n');
  const once = await scanFile(f, true);
  const streamed = await scanFile(f, true, 0);
  assert.ok(once.lines, 'a small file keeps its lines');
  assert.equal(streamed.lines, undefined, 'past the limit the file is streamed');
  assert.deepEqual({ ...once, lines: undefined }, { ...streamed, lines: undefined });
  const all = async (scan: typeof once, skip: number): Promise<unknown[]> => {
    const out: unknown[] = [];
    for await (const c of chunks(f, scan, skip, 1000)) out.push(c);
    return out;
  };
  for (const skip of [0, 1000, 2100]) {
    const a = await all(once, skip);
    assert.deepEqual(a, await all(streamed, skip));
    assert.ok(a.length > 0);
  }
  const rows = (await all(once, 0)).reduce<number>((s, c) => s + (c as { rows: number }).rows, 0);
  assert.equal(rows, once.rows);
});

test('a bad line fails the scan the same way on both paths', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'elrt-scan-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const f = join(dir, 'test.t.json');
  writeFileSync(f, '{"a":1}\n{"a":\n{"a":3}\n');
  const errOf = (p: Promise<unknown>): Promise<string> =>
    p.then(
      () => 'no error',
      (err: Error) => err.message,
    );
  const once = await errOf(scanFile(f, true));
  assert.match(once, /line 2 is not JSON/);
  assert.equal(await errOf(scanFile(f, true, 0)), once);
});

test('a file of a known table is read as bytes and gives the rows, keys and chunks the line-by-line path gives', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'elrt-scan-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const lines = Array.from({ length: 2500 }, (_, i) =>
    i % 7 === 0
      ? ''
      : JSON.stringify({
          n: i,
          s: i % 5 === 0 ? 'é\u{1F600}\t"q"' : `v${i}`,
          ...(i % 9 === 0 ? { lone: '\ud800' } : {}),
        }),
  );
  const f = join(dir, 'test.t.json');
  writeFileSync(f, lines.join('\r\n') + '\n');
  const bytes = await scanFile(f, false);
  const byLine = await scanFile(f, false, 0);
  assert.ok(bytes.rowBytes, 'one object per line: read as bytes');
  assert.equal(byLine.rowBytes, undefined);
  assert.equal(bytes.rows, byLine.rows);
  assert.deepEqual(bytes.keys, byLine.keys);
  const all = async (scan: typeof bytes, skip: number): Promise<{ rows: unknown[]; n: number; upTo: number }[]> => {
    const out: { rows: unknown[]; n: number; upTo: number }[] = [];
    for await (const c of chunks(f, scan, skip, 1000))
      out.push({ rows: JSON.parse(c.text.toString()) as unknown[], n: c.rows, upTo: c.upTo });
    return out;
  };
  for (const skip of [0, 1000, 2100]) {
    const a = await all(bytes, skip);
    assert.deepEqual(a, await all(byLine, skip));
    assert.ok(a.length > 0);
  }
  // A lone surrogate escape becomes U+FFFD in the bytes too, as in the text (protocols/format/unicode.ts).
  const first = (await all(bytes, 0)).flatMap((c) => c.rows) as { lone?: string }[];
  assert.ok(first.some((r) => r.lone === '\ufffd'));
  // A file of a new table (inference) and one the scan does not answer for take the line-by-line path.
  assert.equal((await scanFile(f, true)).rowBytes, undefined);
  const arrays = join(dir, 'test.u.json');
  writeFileSync(arrays, '[{"a":1},{"a":2}]\n{"a":3}\n');
  const u = await scanFile(arrays, false);
  assert.equal(u.rowBytes, undefined);
  assert.equal(u.rows, 3);
});

test('a bad line in a file of a known table fails with its line number as before', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'elrt-scan-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const f = join(dir, 'test.t.json');
  writeFileSync(f, '{"a":1}\n{"a":2}\n7\n');
  await assert.rejects(scanFile(f, false), /line 3 is not a JSON object/);
  writeFileSync(f, '{"a":1}\n{"a":2}\n{"a":\n');
  await assert.rejects(scanFile(f, false), /line 3 is not JSON/);
});

test('a streamed file with a line longer than the line limit fails before the line is held whole', async (t) => {
  // One line of a 169 MB JSON array in the watch directory took the node from 150 MB to 1.8 GB RSS, and a TCP
  // peer's `file write` into the watch directory has no size limit: a line is bounded as a whole document is.
  const dir = mkdtempSync(join(tmpdir(), 'elrt-longline-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const f = join(dir, 'long.t.json');
  const row = JSON.stringify({ s: 'x'.repeat(1000) });
  writeFileSync(f, `{"a":1}\n[${Array(3000).fill(row).join(',')}]\n{"a":2}\n`);
  await assert.rejects(scanFile(f, true, 0, 1 << 20), (err: Error & { code?: number }) => {
    assert.match(err.message, /line 2 is longer than 1048576 characters/);
    assert.equal(err.code, 67);
    return true;
  });
  // Under the limit the same file is read, in both passes.
  const scan = await scanFile(f, true, 0, 4 << 20);
  assert.equal(scan.rows, 3002);
  let rows = 0;
  for await (const ch of chunks(f, scan, 0)) rows += ch.rows;
  assert.equal(rows, 3002);
});

test('lines split across read chunks (CRLF split between chunks too) come out as readline gives them', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'elrt-split-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // A read stream hands 64 KiB chunks: put line breaks, and a CR LF pair, across their edges.
  const parts: string[] = [];
  for (let i = 0; i < 300; i++) parts.push(JSON.stringify({ i, s: 'y'.repeat((i * 997) % 3000) }));
  const text = parts.map((p, i) => p + (i % 3 === 0 ? '\r\n' : i % 3 === 1 ? '\n' : '\r')).join('');
  const f = join(dir, 'split.t.json');
  writeFileSync(f, text);
  const streamed = await scanFile(f, true, 0);
  const once = await scanFile(f, true);
  assert.equal(streamed.rows, 300);
  assert.deepEqual(streamed.lineRows, once.lineRows);
  const a: unknown[] = [];
  for await (const ch of chunks(f, streamed, 0, 7)) a.push(...(JSON.parse(String(ch.text)) as unknown[]));
  assert.deepEqual(
    a,
    parts.map((p) => JSON.parse(p) as unknown),
  );
});

test('boundedLines splits as splitLines does, whatever the chunk edges (a CR LF across two chunks is one break)', async () => {
  const texts = [...TEXTS, 'a\r\nb\rc\n\nd', '\r\r\n\n', 'x\r'];
  for (const text of texts)
    for (let size = 1; size <= 4; size++) {
      const pieces: string[] = [];
      for (let i = 0; i < text.length; i += size) pieces.push(text.slice(i, i + size));
      const got: string[] = [];
      for await (const l of boundedLines(pieces, 100)) got.push(l);
      assert.deepEqual(got, splitLines(text), `${JSON.stringify(text)} in pieces of ${size}`);
    }
  await assert.rejects(async () => {
    for await (const l of boundedLines(['ab\nabc', 'def\n'], 5)) assert.ok(l.length <= 5);
  }, /line 2 is longer than 5 characters/);
});
