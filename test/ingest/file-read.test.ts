// The operator's two passes over a watch-dir file (actors/operator/file-read.ts) give the same lines, rows and
// chunks whether the file is read once (small files) or streamed (large ones): the one-read path splits lines as
// readline does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { chunks, scanFile, splitLines } from '../../actors/operator/file-read.js';

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
