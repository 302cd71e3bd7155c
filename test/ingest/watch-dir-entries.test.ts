// The watch directory takes regular files only (issue 12 items 4 and 10): a FIFO, a symlink leaving the directory
// and a directory never stall the scan, and a name too long to claim goes to the error directory under a short name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestNode, until, type TestNode, tableCount } from '../../harness/test-node.js';

const NODE = `node:\n  name: op-node\ndbms:\n  test:\n    type: sqlite\nservices:\n  operator: {}\n`;

const dir = (n: TestNode, d: string): string => join(n.root, 'data', d);
const ls = (d: string): string[] => (existsSync(d) ? readdirSync(d) : []);

test('a FIFO, a symlink out of the watch dir and a directory never stall the operator; a file after them lands', async (t) => {
  const n = await startTestNode(NODE);
  t.after(() => n.stop());
  const watch = dir(n, 'watch');
  // A real FIFO with no writer: opening it for reading would wait for ever.
  execFileSync('mkfifo', [join(watch, 'test.fifo.json')]);
  const outside = join(n.root, 'outside.json');
  writeFileSync(outside, '{"secret": 1}\n');
  symlinkSync(outside, join(watch, 'test.link.json'));
  mkdirSync(join(watch, 'test.sub.json'));
  // Picked up by the next periodic scan, after the entries above.
  writeFileSync(join(watch, 'test.after.json'), '{"a": 1}\n{"a": 2}\n');
  await until(async () => (await tableCount(n, 'after')) === 2, 15_000);
  await until(() => ls(dir(n, 'error')).filter((f) => f.endsWith('.reason.txt')).length === 2, 15_000);
  const errs = ls(dir(n, 'error'));
  const fifo = errs.find((f) => f.startsWith('test.fifo.') && !f.endsWith('.txt'))!;
  assert.match(readFileSync(join(dir(n, 'error'), `${fifo}.reason.txt`), 'utf8'), /not a regular file \(fifo\)/);
  const link = errs.find((f) => f.startsWith('test.link.') && !f.endsWith('.txt'))!;
  assert.match(
    readFileSync(join(dir(n, 'error'), `${link}.reason.txt`), 'utf8'),
    /not a regular file \(symlink leaving the directory\)/,
  );
  // The symlink was moved, not followed: its target is where it was, and nothing of it was inserted.
  assert.equal(readFileSync(outside, 'utf8'), '{"secret": 1}\n');
  assert.equal(await tableCount(n, 'link'), 0);
  // The directory stays (it may be the user's) and is skipped.
  assert.ok(existsSync(join(watch, 'test.sub.json')));
  // The operator still answers, and a file dropped now lands at once.
  assert.match(await n.cmd('get operator summary'), /\S/);
  writeFileSync(join(watch, 'test.later.json'), '{"a": 3}\n');
  await until(async () => (await tableCount(n, 'later')) === 1);
});

test('a watch file whose claimed name would be too long goes to the error dir under a short name', async (t) => {
  const n = await startTestNode(NODE);
  t.after(() => n.stop());
  // 240 bytes: a valid name, but claiming adds `.<member>.<row id>.<YYMMDDHHMMSS>` and goes past NAME_MAX (255).
  const source = 's'.repeat(240 - 'test.longname..0.0.json'.length);
  const name = `test.longname.${source}.0.0.json`;
  assert.equal(name.length, 240);
  writeFileSync(join(dir(n, 'watch'), name), '{"a": 1}\n');
  // The reason file is created, then written: wait for its text, not only its name.
  const reasonText = (): string => {
    const f = ls(dir(n, 'error')).find((x) => x.endsWith('.reason.txt'));
    return f ? readFileSync(join(dir(n, 'error'), f), 'utf8') : '';
  };
  await until(() => reasonText().includes('original name'), 15_000);
  const errs = ls(dir(n, 'error'));
  const moved = errs.find((f) => !f.endsWith('.reason.txt'))!;
  assert.match(moved, /^long-[0-9a-f]{16}\.err_119\.\d+\.json$/);
  const reason = readFileSync(join(dir(n, 'error'), `${moved}.reason.txt`), 'utf8');
  assert.match(reason, /error 119: file name too long/);
  assert.ok(reason.includes(`original name: ${name}`));
  assert.deepEqual(
    ls(dir(n, 'watch')).filter((f) => f.includes('longname')),
    [],
  );
  assert.equal(await tableCount(n, 'longname'), 0);
});
