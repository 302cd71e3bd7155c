import { test } from 'node:test';
import assert from 'node:assert/strict';
import { wellFormed, wellFormedJson } from '../../protocols/format/unicode.js';

test('a lone surrogate escape in JSON text becomes \\ufffd; pairs, other escapes and plain text are kept', () => {
  assert.equal(wellFormedJson('[{"a":"\\ud800x"}]'), '[{"a":"\\ufffdx"}]');
  assert.equal(wellFormedJson('[{"a":"x\\uDC00"}]'), '[{"a":"x\\ufffd"}]');
  assert.equal(wellFormedJson('[{"\\ud800":1}]'), '[{"\\ufffd":1}]');
  // A high surrogate followed by another high one: both are lone.
  assert.equal(wellFormedJson('"\\ud800\\ud801"'), '"\\ufffd\\ufffd"');
  const pair = '[{"a":"\\ud83d\\ude00 ok"}]';
  assert.equal(wellFormedJson(pair), pair);
  assert.deepEqual(JSON.parse(wellFormedJson(pair)), [{ a: '\u{1f600} ok' }]);
  // An escaped backslash followed by the letters of an escape is text, not an escape.
  const lit = '[{"a":"\\\\ud800"}]';
  assert.equal(wellFormedJson(lit), lit);
  const plain = '[{"a":"caf\u00e9 \u{1f600}","b":"\\n\\"q\\""}]';
  assert.equal(wellFormedJson(plain), plain);
});

test('raw lone surrogate code units are replaced in JSON text and in plain strings', () => {
  assert.equal(wellFormedJson('["a\ud800b"]'), '["a\ufffdb"]');
  assert.equal(wellFormedJson('["\udc00"]'), '["\ufffd"]');
  assert.equal(wellFormed('k\ud800'), 'k\ufffd');
  assert.equal(wellFormed('\u{1f600}'), '\u{1f600}');
  assert.equal(wellFormed('plain'), 'plain');
});

test('the result always parses to well-formed strings (every surrogate escape and pair, both orders)', () => {
  const hex = (n: number): string => `\\u${n.toString(16).padStart(4, '0')}`;
  for (const a of [0xd800, 0xdbff, 0xdc00, 0xdfff, 0x0041]) {
    for (const b of [0xd800, 0xdbff, 0xdc00, 0xdfff, 0x0041]) {
      const text = `["${hex(a)}${hex(b)}","x${hex(a)}"]`;
      const out = JSON.parse(wellFormedJson(text)) as string[];
      for (const s of out)
        assert.ok(!/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s), text);
      // Nothing else changes: a well-formed input comes back as is.
      const expectSame = !(a >= 0xd800 && a <= 0xdfff) && !(b >= 0xd800 && b <= 0xdfff);
      if (expectSame) assert.equal(wellFormedJson(text), text);
    }
  }
});
