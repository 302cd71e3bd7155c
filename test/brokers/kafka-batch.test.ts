// The exactly-once core of the Kafka consumer without a broker: a batch against the journal mark of its
// partition (actors/kafka-consumer/batch.ts), and the mark written with the rows in one journal
// transaction (storage/journal: appendBatch), surviving a reopen as a restarted worker would see it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileTopic } from '../../protocols/mapping/index.js';
import { markKey, planBatch, type BatchRecord } from '../../actors/kafka-consumer/batch.js';
import { Journal } from '../../storage/journal/journal.js';
import { checkReadmeSamples } from '../services/readme-samples.js';

const mapper = compileTopic({ name: 't', dbms: 'test', table: 'readings', extra: { 'column.id.int': 'bring [id]' } });
const records = (from: number, to: number): BatchRecord[] =>
  Array.from({ length: to - from + 1 }, (_, i) => ({
    offset: String(from + i),
    value: Buffer.from(JSON.stringify({ id: from + i })),
  }));
const NOW = new Date(Date.UTC(2026, 0, 1));

test('records at or below the journal mark are skipped, the others become rows', () => {
  const plan = planBatch(records(10, 19), '20', 14n, mapper, NOW);
  assert.deepEqual(
    plan.rows.map((r) => r.row['id']),
    [15, 16, 17, 18, 19],
  );
  assert.deepEqual([plan.fresh, plan.skipped, plan.failed, plan.last, plan.staleMark], [5, 5, 0, '19', false]);
});

test('a batch wholly below the mark yields no rows and still moves the offset', () => {
  const plan = planBatch(records(0, 9), '100', 50n, mapper, NOW);
  assert.deepEqual([plan.rows.length, plan.fresh, plan.skipped, plan.last], [0, 0, 10, '9']);
});

test('a mark beyond the end of the partition is not trusted (a recreated topic loses nothing)', () => {
  const plan = planBatch(records(0, 4), '5', 900n, mapper, NOW);
  assert.deepEqual([plan.rows.length, plan.skipped, plan.staleMark], [5, 0, true]);
});

test('bad records are counted with the reason of the last one and do not stop the batch', () => {
  const batch: BatchRecord[] = [
    { offset: '0', value: Buffer.from('{"id": 1}') },
    { offset: '1', value: Buffer.from('not json') },
    { offset: '2', value: null },
    { offset: '3', value: Buffer.from('{"id": "x"}') },
    { offset: '4', value: Buffer.from('{"id": 5}') },
  ];
  const plan = planBatch(batch, '5', undefined, mapper, NOW);
  assert.deepEqual(
    plan.rows.map((r) => r.row['id']),
    [1, 5],
  );
  assert.equal(plan.failed, 3);
  assert.equal(plan.lastFailure?.code, 124);
  assert.match(plan.lastFailure!.reason, /^offset 3: /);
});

test('marks are written with the rows in one transaction and read back after a reopen', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'elrt-marks-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const key = markKey('127.0.0.1:9092', 'g', 'sensors', 2);
  const j = Journal.open(dir);
  const w = j.writer('kafka-consumer');
  const a = w.appendBatch(
    [
      { dbms: 'test', table: 'a', rows: '[{"id":1}]', count: 1, keys: ['id'] },
      { dbms: 'test', table: 'b', rows: '[{"id":2}]', count: 1, keys: ['id'] },
    ],
    { [key]: '41' },
  );
  await a.durable;
  // Marks only (a batch whose records all failed to map): no entry, the position still moves.
  await w.appendBatch([], { [key]: '42' }).durable;
  assert.deepEqual(
    a.entries.map((e) => [e.table, e.seq]),
    [
      ['a', 1],
      ['b', 1],
    ],
  );
  await j.close();
  const again = Journal.open(dir);
  t.after(() => again.close());
  assert.equal(again.writer('kafka-consumer').mark(key), '42');
  assert.equal(again.writer('other-stream').mark(key), undefined);
  assert.equal(again.pending().rows, 2);
});

test('the kafka-consumer README sample parses as node.yaml', () => checkReadmeSamples('kafka-consumer'));
