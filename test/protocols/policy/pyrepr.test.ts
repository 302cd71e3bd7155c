// Python's str(), repr() and json.dumps() of policy values, and json.loads into ordered, int/float-aware
// values. Expected strings were printed by CPython 3.11.7 (the Python EdgeLake runs on).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jsonDumps, jsonString, pyFloatRepr, pyRepr, pyStr, reprString } from '../../../protocols/policy/pyrepr.js';
import { PyFloat, fromPlain, parseJson, parsePolicy, toPlain } from '../../../protocols/policy/pyvalue.js';
import { CommandError } from '../../../base/errors.js';

const NESTED =
  '{"operator": {"name": "op-1", "port": 32148, "ok": true, "x": null, "f": 1.0, "l": [1, 2.5, "a", [], {}], "d": {"k": false}}}';

test('str() of a nested policy uses single quotes, True/False/None and keeps 1.0 a float', () => {
  assert.equal(
    pyStr(parseJson(NESTED)),
    "{'operator': {'name': 'op-1', 'port': 32148, 'ok': True, 'x': None, 'f': 1.0, 'l': [1, 2.5, 'a', [], {}], 'd': {'k': False}}}",
  );
});

test('json.dumps spacing round-trips a policy line byte for byte', () => {
  assert.equal(jsonDumps(parseJson(NESTED)), NESTED);
});

test('str() of a string is the string itself, repr() quotes it', () => {
  assert.equal(pyStr('a b'), 'a b');
  assert.equal(pyRepr('a b'), "'a b'");
});

test('repr and json.dumps of strings escape as CPython does', () => {
  const cases: [string, string, string][] = [
    ["it's", `"it's"`, `"it's"`],
    ['say "hi"', `'say "hi"'`, `"say \\"hi\\""`],
    [`both ' and "`, `'both \\' and "'`, `"both ' and \\""`],
    ['back\\slash', "'back\\\\slash'", '"back\\\\slash"'],
    ['tab\tnl\nret\r', "'tab\\tnl\\nret\\r'", '"tab\\tnl\\nret\\r"'],
    ['bell\x07del\x7f', "'bell\\x07del\\x7f'", '"bell\\u0007del\\u007f"'],
    ['café', "'café'", '"caf\\u00e9"'],
    ['nbsp\xa0', "'nbsp\\xa0'", '"nbsp\\u00a0"'],
    ['zw\u200b', "'zw\\u200b'", '"zw\\u200b"'],
    ['emoji😀', "'emoji😀'", '"emoji\\ud83d\\ude00"'],
    ['ls\u2028', "'ls\\u2028'", '"ls\\u2028"'],
    ['\ud800', "'\\ud800'", '"\\ud800"'],
    ['ñ\u{e0001}', "'ñ\\U000e0001'", '"\\u00f1\\udb40\\udc01"'],
    ['\x00', "'\\x00'", '"\\u0000"'],
  ];
  for (const [s, repr, json] of cases) {
    assert.equal(reprString(s), repr, `repr of ${JSON.stringify(s)}`);
    assert.equal(jsonString(s), json, `json of ${JSON.stringify(s)}`);
  }
});

test('code points assigned after Unicode 14 are escaped like CPython 3.11 does', () => {
  assert.equal(reprString('\u{31350}'), "'\\U00031350'");
  assert.equal(reprString('\u{1fa75}'), "'\\U0001fa75'");
  assert.equal(reprString('\u{1f600}'), "'😀'");
});

test('float repr: shortest digits, positional between 1e-4 and 1e16, else exponent', () => {
  const cases: [number, string][] = [
    [1, '1.0'],
    [0.1, '0.1'],
    [1e16, '1e+16'],
    [1e15, '1000000000000000.0'],
    [123456789, '123456789.0'],
    [1e-4, '0.0001'],
    [1e-5, '1e-05'],
    [2.5e-7, '2.5e-07'],
    [1.7976931348623157e308, '1.7976931348623157e+308'],
    [5e-324, '5e-324'],
    [-0, '-0.0'],
    [0.30000000000000004, '0.30000000000000004'],
    [1e22, '1e+22'],
    [12345678901234567890, '1.2345678901234567e+19'],
    [Infinity, 'inf'],
    [-Infinity, '-inf'],
    [NaN, 'nan'],
  ];
  for (const [n, s] of cases) assert.equal(pyFloatRepr(n), s, String(n));
});

test('json.loads keeps ints, floats, big ints, NaN/Infinity and key order (duplicate key: last value, first place)', () => {
  const v = parseJson('[1, 1.0, 1e2, -0, -0.0, 12345678901234567890, 1.5E+3, NaN, Infinity]');
  assert.equal(pyStr(v), '[1, 1.0, 100.0, 0, -0.0, 12345678901234567890, 1500.0, nan, inf]');
  assert.equal(jsonDumps(v), '[1, 1.0, 100.0, 0, -0.0, 12345678901234567890, 1500.0, NaN, Infinity]');
  const d = parseJson('{"b": 1, "a": 2, "2": 3, "1": 4, "b": 5}');
  assert.equal(pyStr(d), "{'b': 5, 'a': 2, '2': 3, '1': 4}");
  assert.ok(Array.isArray(v) && v[1] instanceof PyFloat);
});

test('json.loads accepts raw control characters in strings and \\u escapes', () => {
  assert.equal(parseJson('"a\tb\\u00e9\\ud83d\\ude00"'), 'a\tbé😀');
});

test('malformed JSON is a typed CommandError with code 6', () => {
  for (const bad of ['{"a": 1', '{"a" 1}', '[1,]', '{"a": 1} x', "{'a': 1}", '"\\q"', '']) {
    assert.throws(
      () => parseJson(bad),
      (e: unknown) => e instanceof CommandError && e.code === 6,
      bad,
    );
  }
  assert.throws(
    () => parsePolicy('[1]'),
    (e: unknown) => e instanceof CommandError && e.code === 6,
  );
});

test('plain objects convert both ways', () => {
  const v = fromPlain({ a: [1, 2.5, null, true], b: { c: 'x' } });
  assert.equal(jsonDumps(v), '{"a": [1, 2.5, null, true], "b": {"c": "x"}}');
  assert.deepEqual(
    toPlain(parseJson('{"a": 1.0, "__proto__": {"x": 1}}')),
    JSON.parse('{"a": 1, "__proto__": {"x": 1}}'),
  );
});
