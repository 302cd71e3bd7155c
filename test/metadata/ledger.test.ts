// The ledger store: blockchain.json lines mirrored in LMDB, EdgeLake's insert / push / delete / merge rules.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { Ledger, SENT_GRACE_MS, storePath } from '../../storage/metadata/ledger.js';
import { md5Hex } from '../../storage/metadata/file.js';
import { jsonDumps } from '../../protocols/policy/pyrepr.js';
import { parsePolicy } from '../../protocols/policy/pyvalue.js';

const GOLDEN = readFileSync(new URL('../fixtures/golden/rest_node1_blockchain_get_all.txt', import.meta.url), 'utf8');
const NOW = new Date('2026-11-24T03:02:12.636Z');

function open(t: TestContext): { ledger: Ledger; file: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'elrt-ledger-'));
  const file = join(dir, 'blockchain.json');
  const ledger = Ledger.open(file);
  t.after(async () => {
    await ledger.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { ledger, file, dir };
}

const ids = (l: Ledger, types?: string[]): string[] =>
  l
    .policies(types)
    .map((p) =>
      String([...p.values()][0] instanceof Map ? ([...p.values()][0] as Map<string, unknown>).get('id') : ''),
    );

test('insertLocal writes one json.dumps line per policy and the md5 of the file is the version', (t) => {
  const { ledger, file } = open(t);
  assert.equal(ledger.version(), '0');
  ledger.insertLocal(parsePolicy('{"cluster": {"name": "cl1", "company": "Test Co"}}'), { now: NOW });
  const op = ledger.insertLocal(
    parsePolicy(
      '{"operator": {"name": "node1", "company": "Test Co", "ip": "127.0.0.1", "local_ip": "127.0.0.1", "port": 32148, "rest_port": 32149, "cluster": "cdf34d419daf168289697a2dec1d852c"}}',
    ),
    { now: NOW, random: () => 82 },
  );
  const text = readFileSync(file, 'utf8');
  const golden = JSON.parse(GOLDEN) as Record<string, Record<string, unknown>>[];
  const lines = text.trimEnd().split('\n');
  assert.equal(lines.length, 2);
  // The golden ledger without its dates (the run's clock) is what EdgeLake wrote for the same commands.
  const undated = (s: string): string => s.replace(/"date": "[^"]+"/, '"date": "D"');
  assert.equal(undated(lines[0]!), undated(jsonDumps(parsePolicy(JSON.stringify(golden[0])))));
  assert.equal(undated(lines[1]!), undated(jsonDumps(parsePolicy(JSON.stringify(golden[1])))));
  assert.equal(jsonDumps(op), lines[1]);
  assert.equal(ledger.version(), md5Hex(text));
  assert.deepEqual(ids(ledger, ['operator']), ['181fd35f24c2bc40e90b7d017baccade']);
  assert.equal(
    ledger.store.find('operator', 'cluster', 'CDF34D419DAF168289697A2DEC1D852C').length,
    1,
    'field index, case-insensitive',
  );
});

test('a rejected insert (not unique) changes neither the file nor the store', (t) => {
  const { ledger, file } = open(t);
  ledger.insertLocal(parsePolicy('{"cluster": {"name": "cl1", "company": "Test Co"}}'), { now: NOW });
  const before = readFileSync(file, 'utf8');
  assert.throws(
    () => ledger.insertLocal(parsePolicy('{"cluster": {"name": "cl1", "company": "Test Co"}}'), { now: NOW }),
    { code: 180 },
  );
  assert.equal(readFileSync(file, 'utf8'), before);
  assert.equal(ledger.count(), 1);
});

test('the file is authoritative: a file changed behind the store is loaded again at open', (t) => {
  const { ledger, file } = open(t);
  ledger.insertLocal(parsePolicy('{"cluster": {"name": "cl1", "company": "Test Co"}}'), { now: NOW });
  appendFileSync(
    file,
    '{"table": {"name": "t", "dbms": "d", "id": "x1", "date": "2026-01-01T00:00:00.000000Z", "ledger": "global"}}\n',
  );
  const again = Ledger.open(file);
  t.after(() => again.close());
  assert.equal(again.count(), 2);
  assert.equal(again.byId('x1')?.has('table'), true);
  assert.deepEqual(again.store.find('table', 'name', 't').length, 1);
});

test('delete leaves a deletion record, and a file with both lines is read as deleted', (t) => {
  const { ledger, file } = open(t);
  const c = ledger.insertLocal(parsePolicy('{"cluster": {"name": "cl1", "company": "Test Co"}}'), { now: NOW });
  const id = String((c.get('cluster') as Map<string, unknown>).get('id'));
  ledger.deleteLocal(id);
  assert.equal(ledger.count(), 0);
  assert.equal(readFileSync(file, 'utf8'), `{"deleted": { "id" : "${id}", "ledger" : "local" }}\n`);
  assert.throws(() => ledger.deleteLocal(id), { code: 113 });
  // EdgeLake's file keeps the policy line before the deletion record.
  writeFileSync(file, `${jsonDumps(c)}\n{"deleted": { "id" : "${id}", "ledger" : "local" }}\n`);
  ledger.reload();
  assert.equal(ledger.count(), 0);
});

test("a push replaces this node's local copy in place; a second push is a duplicate", (t) => {
  const { ledger } = open(t);
  ledger.insertLocal(parsePolicy('{"cluster": {"name": "a", "company": "C"}}'), { now: NOW });
  const b = ledger.insertLocal(parsePolicy('{"cluster": {"name": "b", "company": "C"}}'), { now: NOW });
  const global = parsePolicy(jsonDumps(b).replace('"ledger": "local"', '"ledger": "global"'));
  assert.equal(ledger.push(global, NOW), 'replaced');
  assert.equal(ledger.push(global, NOW), 'duplicate');
  assert.deepEqual(
    ledger.policies().map((p) => (p.get('cluster') as Map<string, unknown>).get('ledger')),
    ['local', 'global'],
  );
  assert.equal(ledger.push(parsePolicy('{"table": {"name": "t", "dbms": "d"}}'), NOW), 'added');
  assert.equal(ledger.count(), 3);
});

test('served ledger: live policies with ledger global', (t) => {
  const { ledger } = open(t);
  ledger.insertLocal(parsePolicy('{"cluster": {"name": "a", "company": "C"}}'), { now: NOW });
  assert.match(ledger.served(), /^\{"cluster": \{.*"ledger": "global"\}\}\n$/);
});

test("takeMaster: the master's ledger plus the local policies it lacks, which are returned to push again", (t) => {
  const { ledger, file, dir } = open(t);
  const mine = ledger.insertLocal(parsePolicy('{"cluster": {"name": "mine", "company": "C"}}'), { now: NOW });
  const known = ledger.insertLocal(parsePolicy('{"cluster": {"name": "known", "company": "C"}}'), { now: NOW });
  const gone = ledger.insertLocal(parsePolicy('{"cluster": {"name": "gone", "company": "C"}}'), { now: NOW });
  const goneId = String((gone.get('cluster') as Map<string, unknown>).get('id'));
  ledger.deleteLocal(goneId);
  const master = [
    jsonDumps(known).replace('"local"', '"global"'),
    jsonDumps(gone).replace('"local"', '"global"'),
    '{"table": {"name": "t", "dbms": "d", "id": "t1", "date": "2026-01-01T00:00:00.000000Z", "ledger": "global"}}',
  ];
  const text = `${master.join('\n')}\n`;
  const r = ledger.takeMaster(text);
  assert.deepEqual(
    r.push.map((p) => (p.get('cluster') as Map<string, unknown>).get('name')),
    ['mine'],
  );
  assert.equal((r.push[0]!.get('cluster') as Map<string, unknown>).get('ledger'), 'global', 'pushed as global');
  assert.deepEqual(r.drop, [goneId], 'the master still has the deleted policy: drop it again');
  const names = ledger.policies().map((p) => String(([...p.values()][0] as Map<string, unknown>).get('name')));
  assert.deepEqual(names, ['known', 't', 'mine']);
  assert.equal(
    (
      ledger.byId(String((mine.get('cluster') as Map<string, unknown>).get('id')))!.get('cluster') as Map<
        string,
        unknown
      >
    ).get('ledger'),
    'local',
    'stays local until the master has it',
  );
  assert.equal(ledger.masterVersion(), md5Hex(text));
  assert.ok(existsSync(join(dir, 'blockchain.old')));
  assert.ok(readFileSync(file, 'utf8').includes('"deleted"'), 'the deletion record stays until the master drops it');
  assert.equal(ledger.stats.syncOk, 1);
});

test('takeMaster refuses a ledger that is not policies and changes nothing', (t) => {
  const { ledger, file } = open(t);
  ledger.insertLocal(parsePolicy('{"cluster": {"name": "a", "company": "C"}}'), { now: NOW });
  const before = readFileSync(file, 'utf8');
  assert.throws(() => ledger.takeMaster('not json\n'), { code: 69 });
  assert.throws(() => ledger.takeMaster(''), { code: 59 });
  assert.equal(readFileSync(file, 'utf8'), before);
  assert.equal(ledger.stats.syncErr, 2);
});

test('a worker thread reads the store read-only and sees later commits', async (t) => {
  const { ledger, file } = open(t);
  ledger.insertLocal(parsePolicy('{"cluster": {"name": "a", "company": "C"}}'), { now: NOW });
  const src = `
    import { parentPort, workerData } from 'node:worker_threads';
    const { LedgerStore } = await import(workerData.store);
    const s = LedgerStore.open(workerData.path, { readOnly: true });
    parentPort.on('message', (m) => {
      if (m === 'close') { s.close().then(() => parentPort.close()); return; }
      parentPort.postMessage(s.policies(['cluster']).length);
    });`;
  const w = new Worker(
    `import('tsx/esm/api').then((m) => { m.register(); return import('data:text/javascript,' + encodeURIComponent(${JSON.stringify(src)})); })`,
    {
      eval: true,
      workerData: { store: new URL('../../storage/metadata/store.ts', import.meta.url).href, path: storePath(file) },
    },
  );
  t.after(() => w.terminate());
  const ask = (): Promise<number> => new Promise((resolve) => (w.once('message', resolve), w.postMessage('count')));
  assert.equal(await ask(), 1);
  ledger.insertLocal(parsePolicy('{"cluster": {"name": "b", "company": "C"}}'), { now: NOW });
  assert.equal(await ask(), 2);
});

test('syncHash: the master ledger md5, or 0 while local changes wait for the master', (t) => {
  const { ledger } = open(t);
  assert.equal(ledger.syncHash(), '0', 'nothing from the master yet');
  const mine = ledger.insertLocal(parsePolicy('{"cluster": {"name": "mine", "company": "C"}}'), { now: NOW });
  ledger.takeMaster(
    '{"table": {"name": "t", "dbms": "d", "id": "t1", "date": "2026-01-01T00:00:00.000000Z", "ledger": "global"}}\n',
  );
  assert.equal(ledger.syncHash(), '0', 'mine is still local');
  const confirmed = `{"table": {"name": "t", "dbms": "d", "id": "t1", "date": "2026-01-01T00:00:00.000000Z", "ledger": "global"}}\n${jsonDumps(mine).replace('"local"', '"global"')}\n`;
  ledger.takeMaster(confirmed);
  assert.equal(ledger.syncHash(), md5Hex(confirmed));
  ledger.deleteLocal('t1');
  assert.equal(ledger.syncHash(), '0', 'a deletion waits for the master');
});

test('takeMaster does not push again a local policy the master just took, from a copy made before it had it', (t) => {
  const { ledger } = open(t);
  const mine = ledger.insertLocal(parsePolicy('{"cluster": {"name": "mine", "company": "C"}}'), { now: NOW });
  const id = String((mine.get('cluster') as Map<string, unknown>).get('id'));
  ledger.noteSentToMaster(id, 1_000);
  const stale =
    '{"table": {"name": "t", "dbms": "d", "id": "t1", "date": "2026-01-01T00:00:00.000000Z", "ledger": "global"}}\n';
  assert.deepEqual(ledger.takeMaster(stale, 2_000).push, [], 'sent moments ago: not again');
  assert.ok(ledger.byId(id), 'kept locally meanwhile');
  // Still missing from the master's copies long after: pushed again.
  assert.equal(ledger.takeMaster(stale, 1_000 + SENT_GRACE_MS).push.length, 1);
});
