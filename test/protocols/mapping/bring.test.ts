// The bring language (spec section 6 "Bring", interop vector 6; EdgeLake utils_json.py L482-715).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BringFailure, BringList, compileBring, stripBringWord } from '../../../protocols/mapping/bring.js';
import { ConfigError } from '../../../base/errors.js';

const bring = (expr: string, msg: unknown, opts = {}): unknown => compileBring(expr, opts).fn(msg);

// Interop vector 6 (VERIFIED against EdgeLake). EdgeLake renders the list as the text `[1,2.5,]`;
// here it is a BringList of the values, which the mapper turns into rows.
const V6 = { s: 'T1', r: { u: 'C' }, t: { h: 'h1' }, rs: [{ v: 1 }, { v: 2.5 }] };

test('vector 6: [s] "-" [r][u] concatenates to T1-C', () => {
  assert.equal(bring('[s] "-" [r][u]', V6), 'T1-C');
});

test('vector 6: [t][n]:[t][h] takes the first alternative that is present', () => {
  assert.equal(bring('[t][n]:[t][h]', V6), 'h1');
  assert.equal(bring('[t][h]:[s]', V6), 'h1');
  assert.equal(bring('[x]:[y]:[s]', V6), 'T1');
  assert.equal(bring('[x]:[y]', V6), undefined);
});

test('vector 6: [rs][][v] yields one value per list element', () => {
  assert.deepEqual(bring('[rs][][v]', V6), new BringList([1, 2.5]));
});

test('the bring word and its modifiers are dropped', () => {
  assert.equal(stripBringWord('bring [a]'), '[a]');
  assert.equal(stripBringWord('bring.json [a]'), '[a]');
  assert.equal(stripBringWord('bring.first.unique [a]'), '[a]');
  assert.equal(stripBringWord('bring[a]'), '[a]');
  assert.equal(stripBringWord('bringer [a]'), undefined);
  assert.equal(stripBringWord('[a]'), undefined);
});

test('a single path keeps the JSON type of its value', () => {
  const msg = { n: 21.5, b: false, z: 0, o: { a: 1 } };
  assert.equal(bring('[n]', msg), 21.5);
  assert.equal(bring('[b]', msg), false);
  assert.equal(bring('[z]', msg), 0);
  assert.deepEqual(bring('[o]', msg), { a: 1 });
});

test('absent keys, null and "" are missing; 0 and false are not', () => {
  const msg = { a: null, b: '', c: { d: 1 } };
  for (const e of ['[a]', '[b]', '[x]', '[c][x]', '[c][d][e]', '[a][b]']) assert.equal(bring(e, msg), undefined, e);
  assert.equal(bring('[z] "-" [f]', { z: 0, f: false }), '0-false');
});

test('a multi-word expression with a missing path is missing, not a partial name', () => {
  assert.equal(bring('[a] _ [b]', { a: 'machine' }), undefined);
  assert.equal(bring('[a] _ [b]', { a: 'machine', b: 'sn1' }), 'machine_sn1');
});

test('[0] indexes a list and digit keys also name object keys', () => {
  assert.equal(bring('[l][0]', { l: ['x', 'y'] }), 'x');
  assert.equal(bring('[l][1][k]', { l: [{}, { k: 3 }] }), 3);
  assert.equal(bring('[l][5]', { l: ['x'] }), undefined);
  assert.equal(bring('[o][0]', { o: { 0: 'zero' } }), 'zero');
});

test('quoted keys, [*] and [] alone', () => {
  assert.equal(bring('["a b"][c]', { 'a b': { c: 1 } }), 1);
  assert.equal(bring("['x]y']", { 'x]y': 2 }), 2);
  assert.equal(bring('[*][name]', { operator: { name: 'op1' } }), 'op1');
  assert.equal(bring('[]', { operator: { name: 'op1' } }), 'operator');
});

test('[!var] keys are resolved from the dictionary at compile time', () => {
  const dictionary = (n: string): string | undefined => (n === 'key' ? 'value' : undefined);
  assert.equal(bring('[r][!key]', { r: { value: 5 } }, { dictionary }), 5);
  assert.equal(bring('[!other]', { '!other': 6 }, { dictionary }), 6);
});

test('Object.prototype members are not found in messages that lack them', () => {
  for (const k of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
    assert.equal(bring(`[${k}]`, {}), undefined, k);
  }
  assert.equal(bring('[constructor]', JSON.parse('{"constructor":"c"}')), 'c');
  assert.equal(bring('[__proto__][a]', JSON.parse('{"__proto__":{"a":1}}')), 1);
  assert.equal(bring('[length]', { length: 3 }), 3);
  assert.equal(bring('[l][length]', { l: [1, 2] }), undefined);
});

test('a list element lacking the key is missing for that element only', () => {
  assert.deepEqual(
    bring('[rs][][v]', { rs: [{ v: 1 }, {}, { v: null }, 'x'] }),
    new BringList([1, undefined, undefined, undefined]),
  );
});

test('a path whose value is a JSON array yields one value per element; an empty list is missing', () => {
  assert.deepEqual(bring('[vals]', { vals: [1, '', 2] }), new BringList([1, undefined, 2]));
  assert.equal(bring('[vals]', { vals: [] }), undefined);
  assert.equal(bring('[rs][][v]', { rs: [] }), undefined);
  assert.deepEqual(bring('[vals]', { vals: [1] }, { expandArrays: false }), [1]);
});

test('[a][] on a value that is not a list is a BringFailure naming the path', () => {
  const r = bring('[a][b][][v]', { a: { b: { v: 1 } } });
  assert.ok(r instanceof BringFailure);
  assert.match(r.reason, /'\[a\]\[b\]' is not a list/);
});

test('words concatenate per element when a list is involved', () => {
  const msg = { dev: 'D', rs: [{ n: 'a' }, { n: 'b' }, {}] };
  assert.deepEqual(bring('[dev] _ [rs][][n]', msg), new BringList(['D_a', 'D_b', undefined]));
  const r = bring('[a][] [b][]', { a: [1, 2], b: [1] });
  assert.ok(r instanceof BringFailure);
});

test('literals: quotes dropped, control words mapped, literal-only expressions are constants', () => {
  assert.equal(bring('"a b" [x]', { x: 1 }), 'a b1');
  assert.equal(bring("'-' [x]", { x: 'y' }), '-y');
  assert.equal(bring('[x] \\n [x]', { x: 'y' }), 'y\ny');
  assert.equal(bring('abc', {}), 'abc');
  assert.equal(bring('x[a]', { a: 1 }), 'x[a]');
  assert.equal(bring('[o] [x]', { o: { k: [1] }, x: true }), '{"k":[1]}true');
});

test('malformed expressions are ConfigErrors with code 124', () => {
  for (const e of ['', '   ', '[a', '[a][', '"x', '[a][][b][][c]', '["a]']) {
    assert.throws(
      () => compileBring(e, { where: 'topic t' }),
      (err: unknown) => err instanceof ConfigError && err.code === 124,
      e,
    );
  }
  assert.throws(() => compileBring('[a][]', { allowIteration: false }), ConfigError);
});

test('non-object messages bring nothing and never throw', () => {
  const fn = compileBring('[a][0][] [b]').fn;
  for (const m of [null, undefined, 1, 'str', true, [], [1, 2], { a: 'x' }]) assert.doesNotThrow(() => fn(m));
});
