// Type unification (EdgeLake utils_data.py L47-90) and value conversion; timestamps per spec section 6 "Rows"
// (utils_columns.py L2041-2068 and the UTC/local format checks).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatNow, TimestampFailure, toTimestamp } from '../../../protocols/mapping/timestamp.js';
import { converterFor, ConversionFailure, unifyType } from '../../../protocols/mapping/types.js';

const convert = (type: string, v: unknown): unknown => converterFor(unifyType(type)!)(v);
const rejects = (type: string, v: unknown): boolean => convert(type, v) instanceof ConversionFailure;

test('type names are unified as EdgeLake does, case-insensitively', () => {
  const cases: [string, string][] = [
    ['str', 'varchar'],
    ['String', 'varchar'],
    ['int', 'int'],
    ['integer', 'int'],
    ['int16', 'int'],
    ['int32', 'int'],
    ['uint32', 'int'],
    ['Int64', 'bigint'],
    ['uint64', 'bigint'],
    ['float', 'float'],
    ['Float64', 'float'],
    ['double', 'float'],
    ['decimal', 'float'],
    ['numeric', 'float'],
    ['bool', 'bool'],
    ['boolean', 'bool'],
    ['timestamp', 'timestamp'],
    ['datetime', 'timestamp'],
    ['uuid', 'uuid'],
    ['char(5)', 'char(5)'],
    ['character(3)', 'char(3)'],
    ['char varying', 'char varying'],
  ];
  for (const [name, sql] of cases) assert.equal(unifyType(name)?.sql, sql, name);
});

test('unknown type names are not supported', () => {
  for (const t of ['float32x', 'blob', '', 'varchar(20)', 'constructor', '__proto__'])
    assert.equal(unifyType(t), undefined, t);
});

test('int columns take integers and integer text, and reject everything else clearly', () => {
  assert.equal(convert('int', 7), 7);
  assert.equal(convert('int', '55'), 55);
  assert.equal(convert('int', ' -3 '), -3);
  assert.equal(convert('int', '7.0'), 7);
  for (const v of [7.5, '7.5', 'abc', true, '', '1e3', {}, [1], Number.MAX_SAFE_INTEGER + 2]) {
    assert.ok(rejects('int', v), String(v));
  }
  const r = convert('int', '7.5');
  assert.ok(r instanceof ConversionFailure && /'7.5' is not an integer/.test(r.reason));
});

test('bigint columns keep digit strings beyond 2^53 exactly as BigInt', () => {
  assert.equal(convert('int64', '55'), 55);
  assert.equal(convert('uint64', '18446744073709551615'), 18446744073709551615n);
  assert.ok(rejects('int32', '18446744073709551615'));
});

test('float columns take numbers and numeric text ("1e3" is 1000)', () => {
  assert.equal(convert('float', '1e3'), 1000);
  assert.equal(convert('float', 21.5), 21.5);
  assert.equal(convert('float', '0.000000e+00'), 0);
  assert.equal(convert('double', '.5'), 0.5);
  for (const v of ['abc', '', 'NaN', 'Infinity', '1e999', true, null, {}]) assert.ok(rejects('float', v), String(v));
});

test('bool columns take booleans, true/false text and 1/0', () => {
  assert.equal(convert('bool', true), true);
  assert.equal(convert('boolean', 'FALSE'), false);
  assert.equal(convert('bool', '1'), true);
  assert.equal(convert('bool', 0), false);
  for (const v of ['yes', 2, '', {}]) assert.ok(rejects('bool', v), String(v));
});

test('str columns keep text exactly and write other values as text', () => {
  assert.equal(convert('str', 'x"y'), 'x"y');
  assert.equal(convert('str', 21.5), '21.5');
  assert.equal(convert('str', true), 'true');
  assert.equal(convert('str', { u: 'C' }), '{"u":"C"}');
  assert.equal(convert('str', [1, 'a']), '[1,"a"]');
});

test('ISO forms accepted by EdgeLake are kept as given', () => {
  for (const v of [
    '2024-01-01T00:00:00Z',
    '2024-01-01 10:00:00',
    '2024-01-01T00:00:00',
    '2024-01-01T00:00:00.123456Z',
    '2024-01-01T00:00:00.5',
    '2019-10-11T17:05:08.0400085Z',
    '2024-01-01 10:00:00.25',
    '2024-01-01',
    '2024-01-01T',
    '2024-02-29T00:00:00Z',
  ]) {
    assert.equal(toTimestamp(v), v, v);
  }
});

test('+hh:mm offsets are converted to UTC, with Z only when a fraction was given (spec examples)', () => {
  assert.equal(toTimestamp('2024-01-01T02:00:00+02:00'), '2024-01-01T00:00:00');
  assert.equal(toTimestamp('2024-01-01T02:00:00.5+02:00'), '2024-01-01T00:00:00.5Z');
  assert.equal(toTimestamp('2023-12-31T22:30:00-01:30'), '2024-01-01T00:00:00');
  assert.equal(toTimestamp('2024-01-01 00:05:23+04:00'), '2023-12-31T20:05:23');
  assert.equal(toTimestamp('2024-01-01T02:00:00-0800'), '2024-01-01T10:00:00');
});

test('integers and digit strings are epoch milliseconds, kept to the millisecond in UTC', () => {
  assert.equal(toTimestamp(1704067200123), '2024-01-01T00:00:00.123000Z');
  assert.equal(toTimestamp('1704067200000'), '2024-01-01T00:00:00.000000Z');
  assert.equal(toTimestamp(0), '1970-01-01T00:00:00.000000Z');
  assert.equal(toTimestamp(1704067200123.5), '2024-01-01T00:00:00.123500Z');
  assert.equal(toTimestamp(-1), '1969-12-31T23:59:59.999000Z');
});

test('anything else is not a timestamp', () => {
  for (const v of [
    'yesterday',
    '2024-13-01T00:00:00Z',
    '2023-02-29',
    '2024-01-01T24:00:00',
    '2024-01-01T00:00:00+25:00',
    ' 2024-01-01',
    '',
    true,
    null,
    {},
    [],
    Infinity,
    1e20,
    '99999999999999999999',
  ]) {
    assert.ok(toTimestamp(v) instanceof TimestampFailure, String(v));
  }
});

test('now is rendered YYYY-MM-DDTHH:MM:SS.ffffffZ in UTC', () => {
  assert.equal(formatNow(new Date('2024-05-01T10:00:00.123Z')), '2024-05-01T10:00:00.123000Z');
  assert.match(formatNow(new Date()), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
});
