// List expansion (spec section 6 "Rows"; EdgeLake mqtt_client.py L1392-1481): one row per element, per-element
// tables, and the EdgeLake data-loss cases done right (scalars in every row, a lacking key is per element).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileTopic } from '../../../protocols/mapping/compile.js';
import { failure, NOW, rows, STAMP } from './helpers.js';

test('list expansion: scalar and constant columns appear in every row', () => {
  const map = compileTopic({
    name: 't',
    dbms: 'd',
    table: 't',
    extra: {
      'column.ts.timestamp': 'now',
      'column.device.str': 'bring [device]',
      'column.site.str': 'Lab A',
      'column.v.float': 'bring [rs][][v]',
    },
  });
  assert.deepEqual(
    rows(map({ device: 'D1', rs: [{ v: 1 }, { v: 2 }] }, NOW)).map((r) => r.row),
    [
      { ts: STAMP, device: 'D1', site: 'Lab A', v: 1 },
      { ts: STAMP, device: 'D1', site: 'Lab A', v: 2 },
    ],
  );
});

test('list expansion: a plain JSON array value makes one row per element', () => {
  const map = compileTopic({ name: 't', dbms: 'd', table: 't', extra: { 'column.v.int': 'bring [vals]' } });
  assert.deepEqual(
    rows(map({ vals: [1, 2, 3] }, NOW)).map((r) => r.row['v']),
    [1, 2, 3],
  );
});

test('list expansion: an element lacking the key fails the message (125) or is skipped when optional', () => {
  const strict = compileTopic({
    name: 't',
    dbms: 'd',
    table: 't',
    extra: { 'column.v.int': 'bring [rs][][v]', 'column.n.str': 'bring [rs][][n]' },
  });
  const e = failure(strict({ rs: [{ v: 1, n: 'a' }, { n: 'b' }] }, NOW));
  assert.equal(e.code, 125);
  assert.match(e.reason, /'\[rs\]\[\]\[v\]' which is missing in element 1 of '\[rs\]\[\]\[v\]'/);
  const lax = compileTopic({
    name: 't',
    dbms: 'd',
    table: 't',
    extra: {
      'column.v': { type: 'int', value: 'bring [rs][][v]', optional: 'true' },
      'column.n.str': 'bring [rs][][n]',
    },
  });
  assert.deepEqual(
    rows(lax({ rs: [{ v: 1, n: 'a' }, { n: 'b' }] }, NOW)).map((r) => r.row),
    [{ v: 1, n: 'a' }, { n: 'b' }],
  );
});

test('list expansion: lists of different lengths and non-lists under [] are error 125', () => {
  const map = compileTopic({
    name: 't',
    dbms: 'd',
    table: 't',
    extra: { 'column.a.int': 'bring [a][]', 'column.b.int': 'bring [b][]' },
  });
  assert.match(failure(map({ a: [1, 2], b: [1] }, NOW)).reason, /with 1 elements, '\[a\]\[\]' has 2/);
  assert.match(failure(map({ a: { x: 1 }, b: [1] }, NOW)).reason, /'\[a\]' is not a list/);
});

test('a per-element table that is empty for one element is error 127 naming the element', () => {
  const map = compileTopic({
    name: 't',
    dbms: 'd',
    table: 'bring [rs][][name]',
    extra: { 'column.v.int': 'bring [rs][][v]' },
  });
  const e = failure(map({ rs: [{ name: 'a', v: 1 }, { v: 2 }] }, NOW));
  assert.equal(e.code, 127);
  assert.match(e.reason, /in element 1/);
});

test('a brought type that is unknown is error 188; a missing one is 125', () => {
  const map = compileTopic({
    name: 't',
    dbms: 'd',
    table: 't',
    extra: { 'column.v': { type: 'bring [vt]', value: 'bring [v]' } },
  });
  assert.equal(failure(map({ v: 1, vt: 'Quaternion' }, NOW)).code, 188);
  assert.equal(failure(map({ v: 1 }, NOW)).code, 125);
  assert.deepEqual(rows(map({ v: '3', vt: 'Int32' }, NOW))[0]!.row, { v: 3 });
});
