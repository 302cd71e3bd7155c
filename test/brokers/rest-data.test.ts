// `run msg client where broker = rest`: REST POSTs with `command: data` and the registered user-agent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REST_NODE, http, startTestNode, until, type TestNode } from '../../harness/test-node.js';
import { query } from './support.js';

async function node(t: { after(fn: () => Promise<void>): void }): Promise<TestNode> {
  const n = await startTestNode(REST_NODE());
  t.after(() => n.stop());
  return n;
}

test('broker = rest: a POST with command data and the registered user-agent is mapped and stored', async (t) => {
  const n = await node(t);
  assert.equal(
    await n.cmd(
      'run msg client where broker = rest and user-agent = gateway and topic = (name = readings and dbms = test and table = "bring [device]" and column.ts.timestamp = "bring [ts]" and column.v.float = "bring [v]")',
    ),
    '',
  );
  const body = JSON.stringify([
    { device: 'gw-1', ts: '2024-01-01T00:00:00Z', v: 1.5 },
    { device: 'gw-1', ts: '2024-01-01T00:00:01Z', v: 2 },
  ]);
  const r = await http(
    n.port,
    'POST',
    { command: 'data', topic: 'readings', 'User-Agent': 'gateway/1.0', 'Content-Type': 'application/json' },
    body,
  );
  assert.equal(r.status, 200, r.body);
  // Answered after the rows are durable: they reach the table without further input.
  await until(async () => (await query(n.cmd, 'test', 'select v from gw_1')).length === 2, 10_000);
  assert.match(await n.cmd('get msg clients'), /Broker:\s+rest\r\nConnection:   Connected to local Message Server/);
  const other = await http(n.port, 'POST', { command: 'data', 'User-Agent': 'someone/1.0' }, body);
  assert.equal(other.status, 400);
  assert.match(other.body, /Missing data ingest mapping/);
});

test('only_log = true writes the raw messages to prep_dir instead of mapping them', async (t) => {
  const n = await node(t);
  assert.equal(
    await n.cmd(
      'run msg client where broker = rest and user-agent = logger and only_log = true and topic = (name = raw)',
    ),
    '',
  );
  const r = await http(
    n.port,
    'POST',
    { command: 'data', topic: 'raw', 'User-Agent': 'logger' },
    '{"anything": [1, 2]}',
  );
  assert.equal(r.status, 200, r.body);
  const file = join(n.root, 'data', 'prep', 'log_rest.dat');
  await until(() => existsSync(file) && readFileSync(file, 'utf8').includes('anything'), 5000);
  assert.deepEqual(JSON.parse(readFileSync(file, 'utf8').trim()), { topic: 'raw', message: '{"anything": [1, 2]}' });
});

test('a REST server started after the client still routes its user-agent to it', async (t) => {
  const n = await node(t);
  assert.equal(
    await n.cmd(
      'run msg client where broker = rest and user-agent = late-gw and topic = (name = t and dbms = test and table = late_rest and column.v.int = "bring [v]")',
    ),
    '',
  );
  assert.equal(await n.cmd('exit rest'), '');
  assert.equal(await n.cmd('run rest server where internal_ip = 127.0.0.1 and internal_port = 0'), '');
  const port = Number(n.running.node.connections.get('REST')!.internal.split(':').pop());
  const r = await http(port, 'POST', { command: 'data', 'User-Agent': 'late-gw/2.0' }, '{"v": 7}');
  assert.equal(r.status, 200, r.body);
  await until(async () => (await query(n.cmd, 'test', 'select v from late_rest')).length === 1, 10_000);
});
