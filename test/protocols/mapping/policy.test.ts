// compilePolicy: EdgeLake `mapping` policies (json_to_sql/mapping_policy.py apply_policy_schema, process_event,
// bring_and_default_to_data), compiled to the same Mapper as a topic.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compilePolicy } from '../../../protocols/mapping/policy.js';
import { ConfigError } from '../../../base/errors.js';
import { failure, NOW, rows, STAMP } from './helpers.js';

// A policy of the shape EdgeLake's docs use for PLC/EdgeX readings.
const POLICY = {
  mapping: {
    id: 'plc-readings',
    dbms: 'bring [site]',
    table: 'bring [device]',
    readings: 'readings',
    schema: {
      timestamp: { type: 'timestamp', bring: '[ts]', default: 'now()' },
      device: { type: 'str', bring: '[device]', root: true },
      value: { type: 'float', bring: '[value]' },
      unit: { type: 'string', value: 'bring [u]', default: 'n/a' },
      quality: { type: 'int', optional: true },
      __start__: { type: 'str', script: ['ignored'] },
    },
  },
};

test('a mapping policy maps each reading to a row, with defaults, root columns and the column-name bring', () => {
  const map = compilePolicy(POLICY);
  const msg = {
    site: 'Plant 1',
    device: 'PLC-7',
    readings: [{ ts: 1704067200123, value: '1.5', u: 'bar', quality: 3 }, { value: 2 }],
  };
  assert.deepEqual(rows(map(JSON.stringify(msg), NOW)), [
    {
      dbms: 'plant_1',
      table: 'plc_7',
      row: { timestamp: '2024-01-01T00:00:00.123000Z', device: 'PLC-7', value: 1.5, unit: 'bar', quality: 3 },
    },
    { dbms: 'plant_1', table: 'plc_7', row: { timestamp: STAMP, device: 'PLC-7', value: 2, unit: 'n/a' } },
  ]);
});

test('a missing policy column without default is error 125 naming the policy, column and path', () => {
  const e = failure(compilePolicy(POLICY)({ site: 's', device: 'd', readings: [{ value: 1 }, { u: 'x' }] }, NOW));
  assert.equal(e.code, 125);
  assert.equal(
    e.reason,
    "policy 'plc-readings' column 'value' pulls '[value]' which is missing in reading 1 and has no default",
  );
});

test('without readings the message itself is the one reading; 0 is a value, not a reason for the default', () => {
  const map = compilePolicy({
    mapping: { id: 'p', dbms: 'db', table: 'Tbl', schema: { v: { type: 'int', default: 5 } } },
  });
  assert.deepEqual(rows(map({ v: 0 }, NOW)), [{ dbms: 'db', table: 'tbl', row: { v: 0 } }]);
  assert.deepEqual(rows(map({}, NOW)), [{ dbms: 'db', table: 'tbl', row: { v: 5 } }]);
  assert.deepEqual(
    rows(map([{ v: 1 }, { v: 2 }], NOW)).map((r) => r.row['v']),
    [1, 2],
  );
});

test('missing readings is 125, empty dbms/table brings are 126/127, bad values 124', () => {
  const map = compilePolicy(POLICY);
  assert.equal(failure(map({ site: 's', device: 'd' }, NOW)).code, 125);
  assert.equal(failure(map({ device: 'd', readings: [] }, NOW)).code, 126);
  assert.equal(failure(map({ site: 's', readings: [] }, NOW)).code, 127);
  assert.equal(failure(map({ site: 's', device: 'd', readings: [{ value: 'high' }] }, NOW)).code, 124);
});

test('column alternatives are chosen by the dbms and table they name', () => {
  const map = compilePolicy({
    mapping: {
      id: 'p',
      dbms: 'db',
      table: 'bring [t]',
      schema: {
        v: [
          { table: 'a', type: 'int', bring: '[x]' },
          { table: 'b', type: 'str', bring: '[y]' },
        ],
      },
    },
  });
  assert.deepEqual(rows(map({ t: 'a', x: '1', y: 'why' }, NOW))[0]!.row, { v: 1 });
  assert.deepEqual(rows(map({ t: 'b', x: '1', y: 'why' }, NOW))[0]!.row, { v: 'why' });
  assert.deepEqual(rows(map({ t: 'c', x: '1' }, NOW)), []);
});

test('apply: epoch_to_datetime keeps the fraction digits, json_dump writes JSON text', () => {
  const map = compilePolicy({
    mapping: {
      id: 'p',
      dbms: 'db',
      table: 't',
      schema: {
        ts: { type: 'timestamp', bring: '[e]', apply: 'epoch_to_datetime' },
        raw: { type: 'str', bring: '[o]', apply: 'json_dump' },
      },
    },
  });
  assert.deepEqual(rows(map({ e: '1704067200012', o: { a: [1] } }, NOW))[0]!.row, {
    ts: '2024-01-01T00:00:00.012Z',
    raw: '{"a":[1]}',
  });
  assert.deepEqual(rows(map({ e: 1704067200, o: 'x' }, NOW))[0]!.row, { ts: '2024-01-01T00:00:00.0Z', raw: '"x"' });
});

test('bad policies are ConfigErrors naming the policy and column', () => {
  const p =
    (schema: unknown, more: Record<string, unknown> = {}) =>
    () =>
      compilePolicy({ mapping: { id: 'p', dbms: 'd', table: 't', schema, ...more } });
  const code = (c: number, re: RegExp) => (e: unknown) =>
    e instanceof ConfigError && e.code === c && re.test(e.message);
  assert.throws(() => compilePolicy({ operator: {} }), code(6, /'mapping'/));
  assert.throws(() => compilePolicy({ mapping: { dbms: 'd' } }), code(6, /without an id/));
  assert.throws(p(undefined), code(6, /schema/));
  assert.throws(p({ v: { type: 'quaternion' } }), code(188, /policy 'p' column 'v'.*not supported/));
  assert.throws(p({ v: { bring: '[v]' } }), code(6, /missing 'type'/));
  assert.throws(p({ v: { type: 'int', default: 'abc' } }), code(124, /default 'abc' is not an integer/));
  assert.throws(p({ v: { type: 'int', apply: 'rot13' } }), code(87, /unknown apply/));
  assert.throws(p({ v: { type: 'int', blob: true } }), code(87, /blob/));
  assert.throws(p({ v: { type: 'int', colour: 'red' } }), code(6, /unknown key 'colour'/));
  assert.throws(p({ '*': { type: '*', bring: ['*'] } }), code(87, /'\*'/));
  assert.throws(p({ v: { type: 'int' } }, { script: ['if ..'] }), code(87, /script/));
  assert.throws(p({ v: { type: 'int', bring: '[a][][b]' } }), code(124, /\[\] is not allowed/));
  assert.throws(p({}), code(6, /no column/));
  assert.throws(p({ v: { type: 'int' } }, { dbms: undefined }), ConfigError);
});

test('a bring given as a list of words is joined', () => {
  const map = compilePolicy({
    mapping: { id: 'p', dbms: 'd', table: 't', schema: { n: { type: 'str', bring: ['[a]', '_', '[b]'] } } },
  });
  assert.deepEqual(rows(map({ a: 'x', b: 'y' }, NOW))[0]!.row, { n: 'x_y' });
});
