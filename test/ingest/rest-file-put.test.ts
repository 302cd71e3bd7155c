// A REST `mode: file` PUT goes to the running operator's watch directory (issue 12 item 9): not to `<root>/data/watch`
// when the operator watches another directory, and refused with 503 when no operator runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { http, startTestNode, until, tableCount } from '../../harness/test-node.js';

const REST = `  rest_server:\n    internal_ip: 127.0.0.1\n    internal_port: 0\n  streamer: {}\n`;
const yaml = (services: string) => `node:\n  name: put-node\ndbms:\n  test:\n    type: sqlite\nservices:\n${services}`;
const PUT = { type: 'json', dbms: 'test', table: 'tf', mode: 'file' };
const BODY = '[{"v": 1}, {"v": 2}]';

test("a file PUT lands through the operator's own watch_dir, not <root>/data/watch", async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'elrt-put-'));
  const other = join(root, 'elsewhere');
  mkdirSync(other);
  const n = await startTestNode(yaml(`${REST}  operator:\n    watch_dir: ${other}\n`), { keepRoot: root });
  t.after(async () => {
    await n.stop();
    rmSync(root, { recursive: true, force: true });
  });
  const r = await http(n.port, 'PUT', PUT, BODY);
  assert.equal(r.status, 200, r.body);
  await until(async () => (await tableCount(n, 'tf')) === 2);
  const defaultWatch = join(root, 'data', 'watch');
  assert.deepEqual(existsSync(defaultWatch) ? readdirSync(defaultWatch) : [], []);
});

test('a file PUT with no operator running is refused with 503 and writes nothing; it works once one runs', async (t) => {
  const n = await startTestNode(yaml(REST));
  t.after(() => n.stop());
  const watch = join(n.root, 'data', 'watch');
  const r = await http(n.port, 'PUT', PUT, BODY);
  assert.equal(r.status, 503);
  assert.match(r.body, /no operator is running/);
  assert.equal(r.body.includes('\n'), false);
  // `mode` defaults to file, as in EdgeLake.
  const noMode = await http(n.port, 'PUT', { type: 'json', dbms: 'test', table: 'tf' }, BODY);
  assert.equal(noMode.status, 503);
  assert.deepEqual(readdirSync(watch), []);
  // Streaming needs no operator to be acknowledged (the journal keeps the rows).
  assert.equal((await http(n.port, 'PUT', { ...PUT, mode: 'streaming', table: 'ts' }, BODY)).status, 200);
  await n.cmd('run operator');
  assert.equal((await http(n.port, 'PUT', PUT, BODY)).status, 200);
  await until(async () => (await tableCount(n, 'tf')) === 2);
  await n.cmd('exit operator');
  assert.equal((await http(n.port, 'PUT', PUT, BODY)).status, 503);
});
