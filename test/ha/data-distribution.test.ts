// `set data distribution` (AnyLog: "Force a publisher to a defined distribution of the data"): the publisher sends a
// table's files to the rule's destinations in turn, before any metadata; `get data distribution` lists the rules
// with the files each destination got; `remove = true` drops a rule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestNode, until, type TestNode } from '../../harness/test-node.js';

const TCP = (name: string): string =>
  `node:\n  name: ${name}\nservices:\n  tcp_server:\n    internal_ip: 127.0.0.1\n    internal_port: 0\n`;

const watchDir = (n: TestNode): string => join(n.root, 'data', 'watch');
const listed = (d: string): string[] => (existsSync(d) ? readdirSync(d).filter((f) => f.endsWith('.json')) : []);

function drop(n: TestNode, name: string): void {
  const tmp = join(n.root, 'data', 'tmp', name);
  writeFileSync(tmp, '{"v": 1}\n');
  renameSync(tmp, join(watchDir(n), name));
}

test('set data distribution sends a table round robin to its destinations; get data distribution counts them', async (t) => {
  const [pub, a, b] = await Promise.all([startTestNode(TCP('pub')), startTestNode(TCP('a')), startTestNode(TCP('b'))]);
  t.after(async () => {
    for (const n of [pub, a, b]) await n.stop();
  });
  const addr = (n: TestNode): string => n.running.node.connections.get('TCP')!.external;
  await pub.cmd(`set data distribution where dbms = test and table = * and dest = ${addr(a)} and dest = ${addr(b)}`);
  await pub.cmd(`set data distribution where dbms = other and dest = ${addr(a)}`);
  await pub.cmd('set data distribution where dbms = other and remove = true');
  await assert.rejects(pub.cmd('set data distribution where dbms = x'), /requires 'dest' value or 'remove = True'/);
  await pub.cmd('run publisher');
  for (let i = 1; i <= 4; i++) drop(pub, `test.t.0.${String(i).repeat(32)}.0.json`);
  await until(() => listed(watchDir(a)).length === 2 && listed(watchDir(b)).length === 2, 15_000, 50);
  const rows = JSON.parse(await pub.cmd('get data distribution where format = json')) as Record<string, unknown>[];
  assert.deepEqual(rows, [
    { DBMS: 'test', Table: '*', Destinations: addr(a), Files: 2 },
    { DBMS: 'test', Table: '*', Destinations: addr(b), Files: 2 },
  ]);
  assert.match(await pub.cmd('get data distribution'), /DBMS\s+Table\s+Destinations\s+Files/);
});
