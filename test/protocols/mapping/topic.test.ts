// compileTopic against the seeds (run msg client / run kafka consumer examples), spec section 6 and
// interop vector 5 (VERIFIED against EdgeLake; the timestamp is the mapper's `now`).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileTopic, type TopicClause } from '../../../protocols/mapping/compile.js';
import { ConfigError } from '../../../base/errors.js';
import { failure, NOW, rows, STAMP } from './helpers.js';

// topic = (name = sensors and dbms = testdb and table = "bring [sensor]" and column.timestamp.timestamp = now
//   and column.value = (type = float and value = "bring [reading][value]") and column.unit.str = "bring [reading][unit]")
const VECTOR5: TopicClause = {
  name: 'sensors',
  dbms: 'testdb',
  table: 'bring [sensor]',
  extra: {
    'column.timestamp.timestamp': 'now',
    'column.value': { type: 'float', value: 'bring [reading][value]' },
    'column.unit.str': 'bring [reading][unit]',
  },
};

test('vector 5: one reading maps to table temp_1 with now, value and unit', () => {
  const map = compileTopic(VECTOR5);
  const r = map('{"sensor":"Temp-1","reading":{"value":21.5,"unit":"C"}}', NOW);
  assert.deepEqual(rows(r), [{ dbms: 'testdb', table: 'temp_1', row: { timestamp: STAMP, value: 21.5, unit: 'C' } }]);
  assert.equal(JSON.stringify(rows(r)[0]!.row), `{"timestamp":"${STAMP}","value":21.5,"unit":"C"}`);
});

test("vector 5: [readings][] brings name each row's table, types come from the message, now is shared", () => {
  const map = compileTopic({
    name: 'sensors',
    dbms: 'testdb',
    table: 'bring [readings][][name]',
    extra: {
      'column.timestamp.timestamp': 'now',
      'column.value': { type: 'bring [readings][][valueType]', value: 'bring [readings][][value]' },
    },
  });
  const msg = {
    readings: [
      { name: 'Temp', value: '20.5', valueType: 'Float64' },
      { name: 'Humidity', value: '55', valueType: 'Int64' },
    ],
  };
  assert.deepEqual(rows(map(msg, NOW)), [
    { dbms: 'testdb', table: 'temp', row: { timestamp: STAMP, value: 20.5 } },
    { dbms: 'testdb', table: 'humidity', row: { timestamp: STAMP, value: 55 } },
  ]);
});

test('seed: run msg client with dbms and table brought from the message (company, machine _ serial)', () => {
  const map = compileTopic({
    name: 'test',
    dbms: 'bring [metadata][company]',
    table: 'bring [metadata][machine_name] _ [metadata][serial_number]',
    extra: { 'column.timestamp.timestamp': 'bring [ts]', 'column.value.int': 'bring [value]' },
  });
  const msg = {
    metadata: { company: 'AnyLog Co', machine_name: 'Press-7', serial_number: 'SN 42' },
    ts: '2024-01-01T00:00:00Z',
    value: 7,
  };
  assert.deepEqual(rows(map(JSON.stringify(msg), NOW)), [
    { dbms: 'anylog_co', table: 'press_7_sn_42', row: { timestamp: '2024-01-01T00:00:00Z', value: 7 } },
  ]);
});

test('seed: run kafka consumer with a constant table and epoch-millisecond timestamps', () => {
  const map = compileTopic({
    name: 'sensor',
    dbms: 'lsl_demo',
    table: 'ping_sensor',
    extra: { 'column.timestamp.timestamp': 'bring [timestamp]', 'column.value.int': 'bring [value]' },
  });
  assert.deepEqual(rows(map(Buffer.from('{"timestamp":1704067200123,"value":"12"}'), NOW)), [
    { dbms: 'lsl_demo', table: 'ping_sensor', row: { timestamp: '2024-01-01T00:00:00.123000Z', value: 12 } },
  ]);
});

test('spec: the EdgeX message maps each reading to its own table, with values typed by valueType', () => {
  const map = compileTopic({
    name: 'anylogedgex',
    dbms: 'edgex',
    table: 'bring [readings][][name]',
    extra: {
      'column.timestamp.timestamp': 'now',
      'column.value': { value: 'bring [readings][][value]', type: 'bring [readings][][valueType]' },
    },
  });
  const msg = {
    id: 'b360a56e',
    device: 'Modbus TCP test device',
    readings: [
      { name: 'OperationMode', value: 'Cool', valueType: 'String' },
      { name: 'FanSpeed', value: 'Low', valueType: 'String' },
      { name: 'Temperature', value: '0.000000e+00', valueType: 'Float64', floatEncoding: 'eNotation' },
    ],
  };
  assert.deepEqual(
    rows(map(msg, NOW)).map((r) => [r.table, r.row['value']]),
    [
      ['operationmode', 'Cool'],
      ['fanspeed', 'Low'],
      ['temperature', 0],
    ],
  );
});

test('spec: constant dbms and table are trimmed and normalized (" My-Tab.le/1 ", Test)', () => {
  const map = compileTopic({ name: 't', dbms: 'Test', table: ' My-Tab.le/1 ', extra: { 'column.v.int': 'bring [v]' } });
  assert.deepEqual(rows(map({ v: 1 }, NOW)), [{ dbms: 'test', table: 'my_tab_le_1', row: { v: 1 } }]);
  const brought = compileTopic({ name: 't', dbms: 'd', table: 'bring [t]', extra: { 'column.v.int': 'bring [v]' } });
  assert.equal(rows(brought({ t: ' My-Tab.le/1 ', v: 1 }, NOW))[0]!.table, 'my_tab_le_1');
});

test('a missing non-optional column is error 125 naming the topic, column and path', () => {
  const e = failure(compileTopic(VECTOR5)({ sensor: 'Temp-1', reading: { unit: 'C' } }, NOW));
  assert.equal(e.code, 125);
  assert.equal(
    e.reason,
    "topic 'sensors' column 'value' pulls '[reading][value]' which is missing in message - add 'optional = true'",
  );
  assert.equal(failure(compileTopic(VECTOR5)({ sensor: 'T', reading: { value: null, unit: 'C' } }, NOW)).code, 125);
  assert.equal(failure(compileTopic(VECTOR5)({ sensor: 'T', reading: { value: 1, unit: '' } }, NOW)).code, 125);
});

test('optional = true skips a missing column; 0 and false are values, not missing', () => {
  const map = compileTopic({
    name: 't',
    dbms: 'd',
    table: 't',
    extra: {
      'column.a': { type: 'int', value: 'bring [a]', optional: 'true' },
      'column.b': { type: 'bool', value: 'bring [b]', optional: 'false' },
    },
  });
  assert.deepEqual(rows(map({ b: false }, NOW))[0]!.row, { b: false });
  assert.deepEqual(rows(map({ a: 0, b: false }, NOW))[0]!.row, { a: 0, b: false });
});

test('a message whose only present column is now makes no row', () => {
  const map = compileTopic({
    name: 't',
    dbms: 'd',
    table: 't',
    extra: { 'column.ts.timestamp': 'now', 'column.a': { type: 'int', value: 'bring [a]', optional: 'true' } },
  });
  assert.deepEqual(rows(map({}, NOW)), []);
});

test('empty dbms and table brings are errors 126 and 127', () => {
  const map = compileTopic({
    name: 't',
    dbms: 'bring [db]',
    table: 'bring [tb]',
    extra: { 'column.v.int': 'bring [v]' },
  });
  assert.equal(failure(map({ tb: 'x', v: 1 }, NOW)).code, 126);
  assert.equal(failure(map({ db: '   ', tb: 'x', v: 1 }, NOW)).code, 126);
  assert.equal(failure(map({ db: 'x', v: 1 }, NOW)).code, 127);
  assert.equal(failure(map({ db: 'x', tb: { a: 1 }, v: 1 }, NOW)).code, 127);
  assert.match(failure(map({ db: 'x', v: 1 }, NOW)).reason, /table bring '\[tb\]' is empty in message/);
});

test('a value that does not fit its type is error 124 naming the value', () => {
  const map = compileTopic({
    name: 't',
    dbms: 'd',
    table: 't',
    extra: { 'column.v.int': 'bring [v]', 'column.ts.timestamp': 'bring [ts]' },
  });
  const e = failure(map({ v: '7.5', ts: '2024-01-01T00:00:00Z' }, NOW));
  assert.equal(e.code, 124);
  assert.match(e.reason, /column 'v' pulls '\[v\]' in message: '7.5' is not an integer/);
  assert.equal(failure(map({ v: 1, ts: 'soon' }, NOW)).code, 124);
});

test('now and now() stamp every column that asks, first, with the same value', () => {
  const map = compileTopic({
    name: 't',
    dbms: 'd',
    table: 't',
    extra: { 'column.v.int': 'bring [v]', 'column.a.timestamp': 'now()', 'column.b': { type: 'str', value: 'now' } },
  });
  const r = rows(map({ v: 1 }, NOW))[0]!.row;
  assert.deepEqual(Object.keys(r), ['a', 'b', 'v']);
  assert.deepEqual(r, { a: STAMP, b: STAMP, v: 1 });
});

test('compile errors are ConfigErrors: unknown type 188 naming the column, bad mappings 124', () => {
  const isCode = (code: number, text: RegExp) => (e: unknown) =>
    e instanceof ConfigError && e.code === code && text.test(e.message);
  const t =
    (extra: Record<string, unknown>, more: Partial<TopicClause> = {}) =>
    () =>
      compileTopic({ name: 't', dbms: 'd', table: 't', extra, ...more });
  assert.throws(
    t({ 'column.v': { type: 'quaternion', value: 'bring [v]' } }),
    isCode(188, /column 'v'.*'quaternion' not supported/),
  );
  assert.throws(t({ 'column.v.bool': 'bring [v]' }), isCode(124, /wrong column type 'bool'/));
  assert.throws(t({ 'column.v': { type: 'int' } }), isCode(124, /missing value/));
  assert.throws(t({ 'column.v': { type: 'int', value: 'bring [v]', qos: '1' } }), isCode(124, /unknown member 'qos'/));
  assert.throws(t({ 'column.v': { type: 'int', value: 'bring [v]', optional: 'maybe' } }), isCode(124, /optional/));
  assert.throws(t({ 'column.v.int': 'abc' }), isCode(124, /constant 'abc' is not an integer/));
  assert.throws(t({ 'column.v.int': 'now' }), isCode(124, /now needs/));
  assert.throws(t({ 'column.v.int': 'bring [v' }), isCode(124, /unclosed \[/));
  assert.throws(t({ 'column.v': 'bring [v]' }), isCode(124, /expected \(type/));
  assert.throws(t({}), isCode(124, /missing mapping instructions/));
  assert.throws(t({ 'column.v.int': 'bring [v]' }, { dbms: '' }), isCode(124, /dbms/));
  assert.throws(t({ 'column.v.int': 'bring [v]' }, { table: undefined }), isCode(124, /table/));
  assert.throws(t({ 'column.v.int': 'bring [v]' }, { policy: ['p1'] }), isCode(124, /maps by policy 'p1'/));
});

test('!var in a column group is read from the dictionary once, at compile time', () => {
  const dictionary = (n: string) => ({ vtype: 'float', vpath: 'bring [x]' })[n];
  const map = compileTopic(
    { name: 't', dbms: 'd', table: 't', extra: { 'column.v': { type: '!vtype', value: '!vpath' } } },
    { dictionary },
  );
  assert.deepEqual(rows(map({ x: '2.5' }, NOW))[0]!.row, { v: 2.5 });
  assert.throws(
    () =>
      compileTopic(
        { name: 't', dbms: 'd', table: 't', extra: { 'column.v': { type: '!nope', value: 'bring [x]' } } },
        { dictionary },
      ),
    ConfigError,
  );
});
