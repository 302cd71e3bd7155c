import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { REST_NODE, http, startTestNode, tableCount, until } from '../../harness/test-node.js';

const rows = (n: number, base = 0) =>
  JSON.stringify(
    Array.from({ length: n }, (_, i) => ({
      timestamp: new Date(Date.UTC(2026, 0, 1) + base + i).toISOString(),
      device: `d${(base + i) % 7}`,
      value: (base + i) * 0.5,
    })),
  );

test('a streaming PUT of 1,000 rows is acknowledged as EdgeLake does and is queryable within a second', async (t) => {
  const n = await startTestNode(REST_NODE());
  t.after(() => n.stop());
  const t0 = Date.now();
  const r = await http(n.port, 'PUT', { type: 'json', dbms: 'test', table: 'readings', mode: 'streaming' }, rows(1000));
  assert.equal(r.status, 200);
  assert.equal(r.body, '{"AnyLog.status":"Success", "AnyLog.hash": "0" }');
  // JSON with its registered type, never sniffed, and no CORS header for a request without an allowed Origin.
  assert.equal(r.headers['content-type'], 'application/json');
  assert.equal(r.headers['x-content-type-options'], 'nosniff');
  assert.equal(r.headers['access-control-allow-origin'], undefined);
  await until(async () => (await tableCount(n, 'readings')) === 1000, 1000, 10);
  assert.ok(Date.now() - t0 < 1500);
  const reply = JSON.parse(
    await n.cmd('sql test format = json "select device, value from readings order by value limit 2"'),
  ) as { Query: unknown[]; Statistics: { Count: number }[] };
  assert.deepEqual(reply.Query, [
    { device: 'd0', value: 0 },
    { device: 'd1', value: 0.5 },
  ]);
  assert.equal(reply.Statistics[0]!.Count, 2);
});

test('a file-mode PUT answers with the EdgeLake hash and the file lands in the table and then the archive', async (t) => {
  const n = await startTestNode(REST_NODE());
  t.after(() => n.stop());
  const body = '[{"ts":"2024-01-01T00:00:00Z","v":1},{"ts":"2024-01-01T00:00:01Z","v":2}]';
  const r = await http(n.port, 'PUT', { type: 'json', dbms: 'test', table: 't_file', mode: 'file' }, body);
  assert.equal(r.status, 200);
  // EdgeLake interop vector 4: md5("testdb.t_file" + content) for dbms testdb; here dbms is test.
  assert.match(r.body, /^\{"AnyLog\.status":"Success", "AnyLog\.hash": "[0-9a-f]{32}" \}$/);
  await until(async () => (await tableCount(n, 't_file')) === 2);
  const archive = join(n.root, 'data', 'archive');
  await until(() => existsSync(archive) && JSON.stringify(readdirRec(archive)).includes('.json'));
});

function readdirRec(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? readdirRec(join(dir, e.name)) : [e.name],
  );
}

test('two identical file-mode bodies are both ingested (EdgeLake drops the second)', async (t) => {
  const n = await startTestNode(REST_NODE());
  t.after(() => n.stop());
  const body = '[{"ts":"2024-01-01T00:00:00Z","v":1}]';
  const a = await http(n.port, 'PUT', { type: 'json', dbms: 'test', table: 'dup', mode: 'file' }, body);
  const b = await http(n.port, 'PUT', { type: 'json', dbms: 'test', table: 'dup', mode: 'file' }, body);
  assert.equal(a.status, 200);
  assert.equal(b.status, 200);
  await until(async () => (await tableCount(n, 'dup')) === 2);
});

test('bad requests get a 4xx with a one-line reason and the node keeps running', async (t) => {
  const n = await startTestNode(REST_NODE());
  t.after(() => n.stop());
  const h = { type: 'json', dbms: 'test', table: 'x', mode: 'streaming' };
  const bad = await http(n.port, 'PUT', h, '{"a": 1,');
  assert.equal(bad.status, 400);
  const e = JSON.parse(bad.body) as { method: string; err_code: number; err_text: string };
  assert.equal(e.method, 'put');
  assert.match(e.err_text, /not JSON/);
  assert.ok(!e.err_text.includes('\n'));
  const noDbms = await http(n.port, 'PUT', { type: 'json', table: 'x' }, '{"a":1}');
  assert.equal(noDbms.status, 400);
  assert.match(noDbms.body, /Missing 'dbms' header/);
  const noRows = await http(n.port, 'PUT', h, '[]');
  assert.equal(noRows.status, 400);
  assert.match(noRows.body, /without new data/);
  const notObj = await http(n.port, 'PUT', h, '[1, 2]');
  assert.equal(notObj.status, 400);
  const badName = await http(n.port, 'PUT', { ...h, dbms: 'a;drop' }, '{"a":1}');
  assert.equal(badName.status, 400);
  const chunk = `{"a":"${'x'.repeat(1 << 20)}"}`;
  // 70 MiB against the default 64 MiB limit: refused (the server may also cut the upload short).
  const big = await http(n.port, 'PUT', h, `[${Array.from({ length: 70 }, () => chunk).join(',')}]`).catch(
    (err: Error) => ({ status: 413, headers: {}, body: err.message }),
  );
  assert.equal(big.status, 413);
  const wrongVerb = await http(n.port, 'GET', { command: 'run scheduler 1', 'User-Agent': 'AnyLog/1.23' });
  assert.equal(wrongVerb.status, 400);
  assert.equal(wrongVerb.headers['content-type'], 'application/json');
  assert.deepEqual(JSON.parse(wrongVerb.body), {
    method: 'get',
    node: '127.0.0.1',
    err_code: 156,
    err_text: 'Wrong HTTP method used',
  });
  const status = await http(n.port, 'GET', { command: 'get status', 'User-Agent': 'AnyLog/1.23' });
  assert.equal(status.status, 200);
  assert.equal(status.body, 'test-node@127.0.0.1 running');
  assert.equal(status.headers['content-type'], 'text/plain; charset=utf-8');
});

test('newline-delimited objects and a single object are accepted; rows with new keys add columns', async (t) => {
  const n = await startTestNode(REST_NODE());
  t.after(() => n.stop());
  const h = { type: 'json', dbms: 'test', table: 'mixed', mode: 'streaming' };
  assert.equal(
    (await http(n.port, 'PUT', h, '{"ts":"2024-01-01T00:00:00Z","a":1}\n{"ts":"2024-01-01T00:00:01Z","a":2}\n')).status,
    200,
  );
  assert.equal((await http(n.port, 'PUT', h, '{"ts":"2024-01-01T00:00:02Z","a":3,"Extra Col":"yes"}')).status, 200);
  await until(async () => (await tableCount(n, 'mixed')) === 3);
  const cols = JSON.parse(await n.cmd('get columns where dbms = test and table = mixed and format = json')) as Record<
    string,
    string
  >;
  assert.ok('extra_col' in cols, JSON.stringify(cols));
  assert.deepEqual(Object.keys(cols).slice(0, 4), ['row_id', 'insert_timestamp', 'tsd_name', 'tsd_id']);
});

test('a value holding an apostrophe or SQL is stored exactly (EdgeLake splices values into SQL)', async (t) => {
  const n = await startTestNode(REST_NODE());
  t.after(() => n.stop());
  const evil = `it's a "test"; drop table x; --`;
  const r = await http(
    n.port,
    'PUT',
    { type: 'json', dbms: 'test', table: 'quotes', mode: 'streaming' },
    JSON.stringify([{ ts: '2024-01-01T00:00:00Z', note: evil }]),
  );
  assert.equal(r.status, 200);
  await until(async () => (await tableCount(n, 'quotes')) === 1);
  const q = JSON.parse(await n.cmd('sql test format = json "select note from quotes"')) as {
    Query: { note: string }[];
  };
  assert.equal(q.Query[0]!.note, evil);
});
