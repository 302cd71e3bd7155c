// Which journal entries the SQLite writer walks for repeated keys (protocols/frames/repeated-keys.ts: EdgeLake keeps a
// repeated key's last value, json_extract reads the first). The walk was a pass over every batch on the writer's
// thread, though repeats are rare; now the producer says in the entry whether a row repeats a key
// (storage/journal/journal.ts `repeatedKeys`): the REST door from its rows scan, producers that serialise objects by
// construction. Only `false` skips the walk: an entry of an older build (no flag), or from a producer that does not
// look, is walked.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../base/log.js';
import { Journal, type JournalEntry } from '../../storage/journal/journal.js';
import { Catalog } from '../../actors/operator/catalog.js';
import { applyParts, partOf } from '../../actors/operator/apply.js';
import { testApplyContext } from '../../harness/operator-context.js';
import { http, startTestNode } from '../../harness/test-node.js';

function tempJournal(t: TestContext): { root: string; journal: Journal } {
  const root = mkdtempSync(join(tmpdir(), 'elrt-repeat-flag-'));
  const journal = Journal.open(join(root, 'journal'));
  t.after(async () => {
    await journal.close();
    rmSync(root, { recursive: true, force: true });
  });
  return { root, journal };
}

const rows = (text: string): Buffer => Buffer.from(text);

test('the journal keeps whether an entry repeats a key, by every way of appending; an entry without it reads as not known', async (t) => {
  const { journal } = tempJournal(t);
  const w = journal.writer('rest-server');
  await w.append('d', 'a', rows('[{"x":1}]'), 1, ['x'], false).durable;
  await w.append('d', 'a', rows('[{"x":1,"x":2}]'), 1, ['x'], true).durable;
  await w.append('d', 'a', rows('[{"x":1}]'), 1, ['x']).durable;
  await w.appendBatch(
    [
      { dbms: 'd', table: 'b', rows: rows('[{"x":1}]'), count: 1, keys: ['x'], repeatedKeys: false },
      { dbms: 'd', table: 'c', rows: rows('[{"x":1}]'), count: 1, keys: ['x'] },
    ],
    {},
  ).durable;
  const body = w.stage('d', 'e');
  body.stage(rows('[{"x":1}]'), 1, ['x'], false);
  body.stage(rows('[{"x":1}]'), 1, ['x']);
  await body.commit(rows('[{"x":1,"x":2}]'), 1, ['x'], true);
  const seen = [...journal.scan()].map((e) => [e.table, e.stream, e.seq, e.repeatedKeys]);
  assert.deepEqual(seen, [
    ['a', 'rest-server', 1, false],
    ['a', 'rest-server', 2, true],
    ['a', 'rest-server', 3, undefined],
    ['b', 'rest-server', 1, false],
    ['c', 'rest-server', 1, undefined],
    ['e', 'rest-server+1', 1, false],
    ['e', 'rest-server+1', 2, undefined],
    ['e', 'rest-server+1', 3, true],
  ]);
  assert.equal(journal.get('d', 'a', 'rest-server', 1)?.repeatedKeys, false);
  assert.equal(journal.get('d', 'a', 'rest-server', 3)?.repeatedKeys, undefined);
  assert.deepEqual(
    [...journal.range('d', 'a', 'rest-server', 1, 3)].map((e) => e.repeatedKeys),
    [false, true, undefined],
  );
});

test('the operator walks an entry unless it says it has no repeat: an older entry keeps the last value, a flagged one is inserted as it is', async (t) => {
  const { root, journal } = tempJournal(t);
  mkdirSync(join(root, 'dbms'));
  const log = createLogger('test', () => undefined, 'error');
  const catalog = new Catalog(join(root, 'dbms'), log);
  await catalog.connect('test', { type: 'sqlite' });
  t.after(() => catalog.disconnect('test'));
  const ctx = testApplyContext({ catalog, journal, log, errDir: join(root, 'err') });
  const w = journal.writer('rest-server');
  const put = async (n: number, flag: boolean | undefined): Promise<JournalEntry> =>
    (await w.append('test', 'dup', rows(`[{"n":${n},"a":"first","a":"last"}]`), 1, ['n', 'a'], flag).durable,
    journal.get('test', 'dup', 'rest-server', n))!;
  // 1: an entry journaled before the flag existed (none stored); 2: the door found the repeat.
  const parts = [partOf(await put(1, undefined)), partOf(await put(2, true))];
  // 3: an entry that says "no repeat" is trusted and not walked, so SQLite's json_extract reads the first value:
  // what the flag saves is exactly this walk (the door never says false for such rows: rows-scan.test.ts).
  parts.push(partOf(await put(3, false)));
  assert.equal(await applyParts(ctx, 'test', 'dup', parts), 3);
  const c = catalog.get('test')!;
  const got = await c.adapter.select('SELECT n, a FROM dup ORDER BY n');
  assert.deepEqual(
    got.rows.map((r) => [Number(r[0]), r[1]]),
    [
      [1, 'last'],
      [2, 'last'],
      [3, 'first'],
    ],
  );
});

test('the REST door journals whether a body repeats a key: from its scan, and not known where JSON.parse read it or the bytes were made well-formed', async (t) => {
  // No operator: the entries stay in the journal to be read here.
  const n = await startTestNode(
    'node:\n  name: flag-node\ndbms:\n  test:\n    type: sqlite\nservices:\n  rest_server:\n    internal_ip: 127.0.0.1\n    internal_port: 0\n',
  );
  t.after(() => n.stop());
  const put = async (table: string, body: string): Promise<void> => {
    const r = await http(n.port, 'PUT', { type: 'json', dbms: 'test', table, mode: 'streaming' }, body);
    assert.equal(r.status, 200, r.body);
  };
  await put('plain', '[{"a":1,"b":2},{"b":3,"a":4}]');
  await put('twice', '[{"a":1,"b":2},{"a":1,"a":2}]');
  await put('escaped', '[{"a":1,"\\u0061":2}]');
  // A key that starts with a digit: the scan leaves the body to JSON.parse, which does not say.
  await put('parsed', '[{"1":1,"a":2}]');
  // Two keys the scan reads as distinct, one once made well-formed (a lone surrogate becomes U+FFFD).
  await put('surrogate', '[{"\\ud800":1,"\\ufffd":2}]');
  // A body past one piece (512 KB): staged in pieces, each with its scan's answer.
  const big = Array.from({ length: 12_000 }, (_, i) => `{"id":${i},"pad":"${'x'.repeat(40)}"}`);
  await put('big', `[${big.join(',')}]`);
  const journal = Journal.open(join(n.root, 'journal'));
  t.after(() => journal.close());
  const flags = new Map<string, (boolean | undefined)[]>();
  for (const e of journal.scan()) flags.set(e.table, [...(flags.get(e.table) ?? []), e.repeatedKeys]);
  const bigFlags = flags.get('big') ?? [];
  flags.delete('big');
  assert.deepEqual(Object.fromEntries(flags), {
    plain: [false],
    twice: [true],
    escaped: [true],
    parsed: [undefined],
    surrogate: [undefined],
  });
  assert.ok(bigFlags.length > 1, `the large body was staged in pieces (${bigFlags.length})`);
  assert.ok(
    bigFlags.every((f) => f === false),
    JSON.stringify(bigFlags),
  );
});
