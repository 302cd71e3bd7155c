// Monitoring replies as EdgeLake 1.4 prints them (issue 15), against the goldens captured from a real EdgeLake
// node (test/fixtures/golden, copied from shared/spec/golden) and EdgeLake's member_cmd.py, on a real
// in-process node.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { bootNode, type RunningNode } from '../../main/boot.js';
import { MemorySink } from '../../base/log.js';
import { REST_NODE, http, startTestNode, until } from '../../harness/test-node.js';

async function boot(t: TestContext): Promise<{ running: RunningNode; root: string; cmd(s: string): Promise<string> }> {
  const root = mkdtempSync(join(tmpdir(), 'elrt-replies-'));
  const running = await bootNode({ root, logSink: new MemorySink(1000).sink, output: () => undefined });
  t.after(async () => {
    await running.stop('test done');
    rmSync(root, { recursive: true, force: true });
  });
  return { running, root, cmd: (s) => running.node.command(s, { source: 'test' }) };
}

/** The body of a golden HTTP capture (after the blank line that ends the headers). */
function goldenBody(name: string): string {
  const raw = readFileSync(new URL(`../fixtures/golden/${name}`, import.meta.url), 'utf8');
  return raw.slice(raw.indexOf('\r\n\r\n') + 4);
}

test('get processes starts with one CRLF and lists EdgeLake rows in its order, Scheduler as at boot', async (t) => {
  const n = await boot(t);
  const reply = await n.cmd('get processes');
  const golden = goldenBody('rest_get_processes.txt');
  assert.ok(golden.startsWith('\r\n    Process '), 'the golden body starts with one CRLF');
  assert.ok(
    reply.startsWith('\r\n    Process '),
    `one CRLF before the title, got ${JSON.stringify(reply.slice(0, 12))}`,
  );
  const names = (body: string): string[] =>
    body
      .split('\r\n')
      .slice(3)
      .filter((l) => l.includes('|'))
      .map((l) => l.slice(4, l.indexOf('|')).trim());
  const ours = names(reply);
  const theirs = names(golden);
  assert.equal(theirs.length, 19);
  assert.deepEqual(ours.slice(0, theirs.length), theirs, "EdgeLake's rows first, in EdgeLake's order");
  assert.deepEqual(ours.slice(theirs.length), ['Publisher', 'Distributor', 'Consumer'], 'ours after');
  const row = (body: string, name: string): string[] =>
    body
      .split('\r\n')
      .find((l) => l.slice(4).startsWith(name + ' '))!
      .split('|')
      .map((c) => c.trim());
  assert.deepEqual(row(reply, 'Scheduler'), row(golden, 'Scheduler'));
  assert.deepEqual(row(reply, 'Scheduler'), ['Scheduler', 'Running', 'Schedulers IDs in use: [0 (system)]', '']);
  const json = JSON.parse(await n.cmd('get processes where format = json')) as Record<string, { Status: string }>;
  assert.deepEqual(Object.keys(json), ours);
  assert.equal(json['Scheduler']?.Status, 'Running');
});

test('get streaming prints EdgeLake titles, Last Process as time since data arrived, cached rows until queryable', async (t) => {
  const n = await startTestNode(REST_NODE());
  t.after(() => n.stop());
  // Big per-table thresholds keep the rows in the streamer's buffer (EdgeLake's golden shows them cached).
  await n.cmd('set buffer threshold where time = 60 seconds and volume = 10KB and dbms = test and table = readings');
  const body = JSON.stringify([
    { timestamp: '2026-01-01T00:00:00Z', value: 1 },
    { timestamp: '2026-01-01T00:00:01Z', value: 2 },
  ]);
  const r = await http(n.port, 'PUT', { type: 'json', dbms: 'test', table: 'readings', mode: 'streaming' }, body);
  assert.equal(r.status, 200);
  await until(async () => /\|\s+2\|\s+2\|/.test(await n.cmd('get streaming')), 5000);
  const reply = await n.cmd('get streaming');
  const golden = readFileSync(new URL('../fixtures/golden/rest_get_streaming.txt', import.meta.url), 'utf8');
  const lines = reply.split('\r\n');
  const glines = golden.split('\r\n');
  assert.deepEqual(lines.slice(0, 6), glines.slice(0, 6), "EdgeLake's lines before the rows, byte for byte");
  const cells = lines[6]!.split('|').map((c) => c.trim());
  // DBMS-Table, Put files, Put Rows, separator, Streaming Calls, Streaming Rows, Cached Rows, ..., Last Process
  assert.deepEqual(cells.slice(0, 7), ['test.readings', '0', '0', '', '1', '2', '2']);
  assert.equal(cells[8], '10', 'the table threshold: 10 KB');
  assert.equal(cells[10], '60', 'the table threshold: 60 s');
  assert.match(cells[12]!, /^00:00:0\d$/, 'seconds since the rows arrived, not a clock time');
  await new Promise((res) => setTimeout(res, 1100));
  const later = (await n.cmd('get streaming')).split('\r\n')[6]!.split('|')[12]!.trim();
  assert.notEqual(later, '00:00:00', 'Last Process grows while no data arrives');
  const json = JSON.parse(await n.cmd('get streaming where format = json')) as Record<string, unknown>[];
  assert.deepEqual(Object.keys(json[0]!), [
    'table',
    'File Put',
    'File Rows',
    'Streaming Put',
    'Streaming Rows',
    'Streaming Cached',
    'Immediate',
    'Threshold Volume',
    '% Buffer Fill',
    'Threshold Time',
    'Time Left',
    'Last Process',
  ]);
  assert.equal(json[0]!['Streaming Cached'], 2);
  const config = await n.cmd('get streaming config');
  assert.match(config, /\r\nThreshold Time  *\|\s*[\d.]+\|Running *\|/);
  assert.match(config, /\r\nTable +   Time \/ Volume\r\n-+   -{13}\r\ntest\.readings : \[60, 10240, False\]\r\n/);
  // Once flushed, the rows are queryable and no longer cached.
  await n.cmd('flush buffers');
  await until(async () => {
    const q = await n.cmd('sql test format = json "select count(*) as n from readings"').catch(() => '');
    return q.includes('"n": 2') || q.includes('"n":2');
  }, 5000);
  const after = JSON.parse(await n.cmd('get streaming where format = json')) as Record<string, unknown>[];
  assert.equal(after[0]!['Streaming Cached'], 0);
  assert.equal(after[0]!['Time Left'], 60, "EdgeLake's full threshold time when nothing is cached");
});

test('get operator while no operator runs prints the CONFIG table with Not Active, for any topic', async (t) => {
  const n = await boot(t);
  const expected =
    '\r\n\nStats: OPERATOR CONFIG' +
    '\r\nStatus     Operational time ' +
    '\r\n----------|----------------|' +
    '\r\nNot Active|00:00:00        |\r\n';
  assert.equal(await n.cmd('get operator'), expected);
  assert.equal(await n.cmd('get operator summary'), expected);
  assert.deepEqual(JSON.parse(await n.cmd('get operator where format = json')), {
    status: 'Not Active',
    'operational time': '00:00:00',
  });
});

test("get operator's Node name follows set node name", async (t) => {
  const n = await startTestNode(REST_NODE());
  t.after(() => n.stop());
  await n.cmd('set node name renamed-op');
  const summary = JSON.parse(await n.cmd('get operator summary where format = json')) as Record<string, unknown>;
  assert.equal(summary['Node name'], 'renamed-op');
  assert.match(await n.cmd('get operator summary'), /\r\nrenamed-op\|Active *\|/);
});

test('get synchronizer counts the syncs that fail in Sync Err', async (t) => {
  const n = await boot(t);
  // A port nobody listens on: every sync fails to reach the master.
  const probe = createServer();
  await new Promise<void>((res) => probe.listen(0, '127.0.0.1', res));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((res) => probe.close(() => res()));
  await n.cmd(
    `run blockchain sync where source = master and time = 1 second and dest = file and connection = 127.0.0.1:${port}`,
  );
  const sync = async (): Promise<Record<string, unknown>> =>
    JSON.parse(await n.cmd('get synchronizer where format = json')) as Record<string, unknown>;
  await until(async () => Number((await sync())['Sync Err']) >= 1, 8000, 50);
  const s = await sync();
  assert.equal(s['Sync OK'], 0);
  assert.ok(Number(s['Sync Err']) <= Number(s['Calls']), 'no more failures than calls');
  assert.match(await n.cmd('get synchronizer'), /\|\s+[1-9]\d*\|\r\n$/);
});

test("get rest calls starts with EdgeLake's header: the connection with its scheme", async (t) => {
  const n = await startTestNode(REST_NODE());
  t.after(() => n.stop());
  const r = await http(n.port, 'GET', { command: 'get status', 'User-Agent': 'AnyLog/1.23' });
  assert.equal(r.status, 200);
  const reply = await n.cmd('get rest calls');
  const lines = reply.split('\r\n');
  assert.equal(lines[0], '');
  assert.equal(lines[1], `Statistics for REST calls using http://127.0.0.1:${n.port}`);
  assert.match(lines[2]!, /^Caller +Call +Processed Errors Last Error First Call +Last Call +Last Caller *$/);
});
