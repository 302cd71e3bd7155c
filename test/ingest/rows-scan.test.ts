// The rows scan (protocols/frames/rows-scan.ts): it answers only what JSON.parse would answer (same count, same keys
// in the same order) and otherwise leaves the input to JSON.parse, which keeps every error message: a REST body
// (scanRows) and a watch-dir file of one object per line (scanLines, as actors/operator/file-read.ts reads it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scanLines, scanRows } from '../../protocols/frames/rows-scan.js';
import { splitLines } from '../../actors/operator/file-read.js';
import { parseRowsBody } from '../../actors/rest-server/body.js';
import { RowsSplitter, type RowsChunk } from '../../actors/rest-server/body-stream.js';
import { lastOfRepeatedKeys } from '../../protocols/frames/repeated-keys.js';

/** The repeated-key walk's answer (the writer's rule): true when it would rewrite a row of the array text. */
const walkRepeats = (text: string): boolean => lastOfRepeatedKeys(text) !== text;

const scan = (text: string | Buffer): ReturnType<typeof scanRows> =>
  scanRows(typeof text === 'string' ? Buffer.from(text) : text);

test('the scan counts the rows and collects their keys as JSON.parse and for...in do', () => {
  const bodies = [
    '[{"timestamp":"2026-01-01T00:00:00.000Z","device":"dev-0","value":0.25,"count":1,"ok":true}]',
    ' \n[ {"b":1,"a":2} ,\r\n\t{"c":[1,{"d":null}],"a":-0.5e+3}, {} ]\n ',
    '[{"a":1,"a":2,"b":{"x":1,"0":2}},{"__proto__":1,"\\u0061":3,"\\u00e9t\\u00e9":"\\ud800"}]',
    '[{"é":"ü","k":"\\"\\\\\\/\\b\\f\\n\\r\\t"},{"k":[],"l":{},"m":[[[]]],"n":false,"o":1E2,"p":0}]',
    `[{"id":1,"s":"${'x'.repeat(300)}","nested":{"a":[1,{"b":"}"}],"n":null}}]`,
  ];
  for (const b of bodies) {
    const p = parseRowsBody(b);
    assert.deepEqual(scan(b), { count: p.count, keys: p.keys, repeats: walkRepeats(b) }, b);
  }
  assert.deepEqual(scan('[{"b":1,"a":2},{"c":3,"a":4}]')?.keys, ['b', 'a', 'c']);
  // Invalid UTF-8 inside a string passes as JSON.parse passes its U+FFFD; the producer makes the bytes well-formed.
  const bad = Buffer.concat([Buffer.from('[{"a":"'), Buffer.from([0xff, 0xed, 0xa0, 0x80]), Buffer.from('"}]')]);
  assert.deepEqual(scan(bad), { count: 1, keys: ['a'], repeats: false });
  const badKey = Buffer.concat([Buffer.from('[{"a'), Buffer.from([0xc3]), Buffer.from('":1}]')]);
  assert.deepEqual(scan(badKey), {
    count: 1,
    keys: parseRowsBody(badKey.toString('utf8')).keys,
    repeats: false,
  });
});

test('the scan leaves to JSON.parse what it refuses and what it does not answer for', () => {
  const refused = [
    '',
    '[]',
    '[1]',
    '[{"a":1},]',
    '[{"a":1}',
    '[{"a":1}] x',
    '[{"a":01}]',
    '[{"a":1.}]',
    '[{"a":-}]',
    '[{"a":1e}]',
    '[{"a":tru}]',
    '[{"a":"\\x"}]',
    '[{"a":"\\u12g4"}]',
    '[{"a":"tab\there"}]',
    '[{"a" 1}]',
    '[{a:1}]',
    '[{"a":1,}]',
    '[{"a":[1,]}]',
    '[{"a":[1}]',
    '[{"a":{"b":1]}]',
    '{"a":1}',
    '{"a":1}\n{"a":2}',
  ];
  for (const b of refused) assert.equal(scan(b), undefined, JSON.stringify(b));
  // Valid, but answered by JSON.parse: a key that starts with a digit (enumerated first), text String#trim removes
  // but JSON does not (a BOM, U+00A0), nesting past the scan's depth.
  for (const b of [
    '[{"b":1,"1":2}]',
    '[{"\\u0031":2}]',
    '\ufeff[{"a":1}]',
    '[{"a":1}]\u00a0',
    `[{"a":${'['.repeat(100)}${']'.repeat(100)}}]`,
  ]) {
    assert.equal(scan(b), undefined, b);
    assert.equal(parseRowsBody(b).array, true);
  }
});

test('a streaming splitter (no objects) hands on the same pieces, counts and keys as a parsing one', () => {
  const rows = Array.from({ length: 200 }, (_, i) => ({
    id: i,
    s: `q"uo\\te ]}{[ , é ${'x'.repeat(i % 13)}`,
    nested: { a: [1, { b: '}' }], n: null },
    ...(i % 5 === 0 ? { extra: true } : {}),
  }));
  for (const body of [JSON.stringify(rows), rows.map((r) => JSON.stringify(r)).join('\n')]) {
    const run = (objects: boolean, whole: boolean): RowsChunk[] => {
      const out: RowsChunk[] = [];
      const s = new RowsSplitter((c) => out.push(c), whole ? 1 << 20 : 2000, objects);
      if (whole) s.whole(Buffer.from(body));
      else {
        s.push(Buffer.from(body));
        s.end();
      }
      return out;
    };
    for (const whole of [true, false]) {
      const a = run(true, whole);
      const b = run(false, whole);
      assert.deepEqual(
        b.map((c) => [c.bytes.toString(), c.count, c.keys]),
        a.map((c) => [c.bytes.toString(), c.count, c.keys]),
      );
      assert.deepEqual(
        b.flatMap((c) => c.rows()),
        rows,
      );
    }
  }
});

/** What the operator's line-by-line path makes of a file: its rows, or undefined when a line is not JSON objects. */
function parseLines(text: string): { rows: unknown[]; keys: string[] } | undefined {
  const rows: unknown[] = [];
  const keys = new Set<string>();
  for (const raw of splitLines(text)) {
    const line = raw.trim();
    if (line === '') continue;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      return undefined; // the scan must refuse it too (checked by the caller)
    }
    for (const r of Array.isArray(v) ? v : [v]) {
      if (typeof r !== 'object' || r === null || Array.isArray(r)) return undefined;
      rows.push(r);
      for (const k in r) keys.add(k);
    }
  }
  return { rows, keys: [...keys] };
}

test('scanLines answers a file of one object per line as the per-line JSON.parse does, with each row where it is', () => {
  const answered = [
    '{"a":1}',
    '{"a":1}\n',
    '{"b":1,"a":2}\r\n{"c":[1,{"d":null}],"a":-0.5e+3}\r\n',
    '\n\n  {"a":1}  \t\n\n{"a":"x\\n"}\n\n',
    '{"a":1}\n\r{"b":2}\r\n \r\n',
    '{}\n{ "k" : [ ] , "l" : { } }\n',
    '{"é":"ü","k":"\\"\\\\\\/\\b\\f\\n\\r\\t"}\n{"__proto__":1,"\\u0061":3,"x":"\\ud800"}',
  ];
  for (const text of answered) {
    const b = Buffer.from(text);
    const s = scanLines(b);
    const p = parseLines(text);
    assert.ok(s && p, JSON.stringify(text));
    assert.deepEqual({ count: s.count, keys: s.keys }, { count: p.rows.length, keys: p.keys }, JSON.stringify(text));
    const lines = s.starts.map((from, i) => b.subarray(from, s.ends[i]).toString());
    assert.equal(s.repeats, walkRepeats(`[${lines.join(',')}]`), JSON.stringify(text));
    assert.deepEqual(
      s.starts.map((from, i) => JSON.parse(b.subarray(from, s.ends[i]).toString())),
      p.rows,
      JSON.stringify(text),
    );
  }
  // Refused: what the per-line path refuses, and what it reads otherwise (a line holding an array, an object over
  // several lines, a lone CR between rows, two rows on a line) or where the keys' order would differ.
  const refused = [
    '',
    '\n \n',
    '{"a":1}\n{"a":',
    '{"a":1} {"a":2}\n',
    '{"a":1}\r{"a":2}\n',
    '[{"a":1},{"a":2}]\n',
    '{"a":1}\n[{"a":2}]\n',
    '{\n"a":1\n}\n',
    '{"a":{\n}}\n',
    '{"a":1\r}\n',
    '1\n',
    '{"a":1}\nnull\n',
    '{"b":1,"1":2}\n',
    '\ufeff{"a":1}\n',
    '{"a":1}\u00a0\n',
    '{"a":"tab\there"}\n',
  ];
  for (const text of refused) assert.equal(scanLines(Buffer.from(text)), undefined, JSON.stringify(text));
});

test('the scan says whether a row names a top-level key twice, as the repeated-key walk finds it', () => {
  const cases: [string[], boolean][] = [
    [['{"a":1,"b":2}', '{"a":3,"b":4}'], false],
    [['{"a":1,"a":2}'], true],
    // A key is the string JSON.parse makes of it.
    [['{"a":1,"\\u0061":2}'], true],
    [['{"a":1,"b":2}', '{"b":1,"a":2}'], false],
    // The second row's keys sit where the first row's were: the match by bytes must not hide the repeat.
    [['{"a":1,"b":2}', '{"a":1,"a":2}'], true],
    [['{"a":1,"b":2}', '{"b":1,"b":2}'], true],
    [['{"a":1,"b":2,"c":3}', '{"c":1,"a":2,"b":3}', '{"a":1,"b":2,"c":3}'], false],
    [['{"a":1,"a":2}', '{"a":1,"b":2}'], true],
    [['{"x":1}', '{"x":1}', '{"y":1,"x":2,"y":3}'], true],
    // Nested objects are values: the walk leaves them as they are.
    [['{"a":{"b":1,"b":2}}'], false],
    [['{}'], false],
  ];
  for (const [rows, repeats] of cases) {
    const text = `[${rows.join(',')}]`;
    assert.equal(walkRepeats(text), repeats, `the walk on ${text}`);
    assert.equal(scan(text)?.repeats, repeats, text);
    assert.equal(scanLines(Buffer.from(rows.join('\n')))?.repeats, repeats, `lines of ${text}`);
  }
  // Rows of drifting shapes (keys dropped, added, moved, repeated), against the walk.
  let seed = 7;
  const rnd = (n: number): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
  const names = ['a', 'b', 'c', 'd', '\\u0061'];
  let found = 0;
  for (let round = 0; round < 500; round++) {
    const rows: string[] = [];
    for (let r = rnd(6) + 1; r > 0; r--) {
      const members: string[] = [];
      for (let m = rnd(5); m > 0; m--) members.push(`"${names[rnd(names.length)]}":${rnd(9)}`);
      rows.push(`{${members.join(',')}}`);
    }
    const text = `[${rows.join(',')}]`;
    const want = walkRepeats(text);
    if (want) found++;
    assert.equal(scan(text)?.repeats, want, text);
    assert.equal(scanLines(Buffer.from(rows.join('\n')))?.repeats, want, `lines of ${text}`);
  }
  assert.ok(found > 50 && found < 450, `both answers drawn (${found} of 500 repeat)`);
});
