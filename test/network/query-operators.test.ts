// Which operators a network query goes to (node/query/operators.ts), from policies as a ledger holds them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OperatorChooser, operatorsFor, type PolicyReader } from '../../node/query/operators.js';
import { EdgeRtError } from '../../base/errors.js';

const policies: Record<string, Record<string, unknown>[]> = {
  cluster: [
    { id: 'c1', name: 'c1', table: [{ dbms: 'test', name: 'readings' }] },
    // A child cluster (EdgeLake's operator adds a table this way) stands for its parent.
    { id: 'c2child', parent: 'c2', name: 'c2', table: [{ dbms: 'test', name: 'readings' }] },
    { id: 'c2', name: 'c2' },
    { id: 'c3', name: 'c3', table: [{ dbms: 'test', name: 'other' }] },
  ],
  operator: [
    { id: 'o1', ip: '127.0.0.1', port: 1001, cluster: 'c1' },
    { id: 'o2', ip: '127.0.0.1', port: 1002, cluster: 'c1', main: true },
    { id: 'o3', ip: '127.0.0.1', port: 1003, cluster: 'c2' },
    { id: 'o4', ip: '127.0.0.1', port: 1004, cluster: 'c2' },
    { id: 'o5', ip: '127.0.0.1', port: 1005, cluster: 'c3' },
    // Without a cluster: an operator naming the table itself is a cluster of its own.
    { id: 'o6', ip: '127.0.0.1', port: 1006, dbms: 'test', table: 'readings' },
    // No address: never chosen.
    { id: 'o7', cluster: 'c1' },
  ],
};
const read: PolicyReader = async (type) => policies[type] ?? [];
const labels = (x: { label: string }[][]): string[][] => x.map((c) => c.map((t) => t.label));

test('one operator per cluster holding the table: the main one first, the others as fallbacks', async () => {
  const got = labels(await operatorsFor(read, [{ dbms: 'test', table: 'readings' }], new OperatorChooser(), false));
  assert.deepEqual(got, [
    ['127.0.0.1:1002', '127.0.0.1:1001'],
    ['127.0.0.1:1003', '127.0.0.1:1004'],
    ['127.0.0.1:1006'],
  ]);
});

test('a cluster without a main operator is asked in turn', async () => {
  const chooser = new OperatorChooser();
  const first: string[] = [];
  for (let i = 0; i < 4; i++)
    first.push(labels(await operatorsFor(read, [{ dbms: 'test', table: 'readings' }], chooser, false))[1]![0]!);
  assert.deepEqual(first, ['127.0.0.1:1003', '127.0.0.1:1004', '127.0.0.1:1003', '127.0.0.1:1004']);
});

test('nodes = all asks every operator; include adds the clusters of the other tables', async () => {
  const all = labels(await operatorsFor(read, [{ dbms: 'test', table: 'readings' }], new OperatorChooser(), true));
  assert.deepEqual(
    all.flat().sort(),
    ['1001', '1002', '1003', '1004', '1006'].map((p) => `127.0.0.1:${p}`),
  );
  const inc = labels(
    await operatorsFor(
      read,
      [
        { dbms: 'test', table: 'readings' },
        { dbms: 'test', table: 'other' },
      ],
      new OperatorChooser(),
      false,
    ),
  );
  assert.deepEqual(
    inc.map((c) => c[0]).sort(),
    ['1002', '1003', '1005', '1006'].map((p) => `127.0.0.1:${p}`),
  );
});

test('a table no cluster holds fails with error 20', async () => {
  await assert.rejects(
    operatorsFor(read, [{ dbms: 'test', table: 'nowhere' }], new OperatorChooser(), false),
    (err: unknown) => err instanceof EdgeRtError && err.code === 20 && /nowhere/.test(err.message),
  );
});
