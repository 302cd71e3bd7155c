// A node whose output nobody reads any more (`edgelake-rt start ... | head`, a killed `tee`) keeps running, and a
// client verb whose reader closed ends quietly (main/cli/closed-output.ts). Before, the first log line after the
// reader went away ended the node with an unhandled EPIPE, and `cmd ... | head` printed a stack trace.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { REPO, runCli, startCli } from '../../harness/cli.js';

function tempRoot(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'elrt-closed-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('a node goes on when the reader of its stdout and stderr goes away', async (t) => {
  const root = tempRoot(t);
  const node = startCli(['start', join(REPO, 'test/fixtures/start-node.al'), '--root', root]);
  t.after(() => {
    if (node.child.exitCode === null && node.child.signalCode === null) node.child.kill('SIGKILL');
  });
  await node.waitForStdout(/control: .*edgelake-rt\.sock/);
  // The reader goes away: both pipes' read ends close.
  node.child.stdout!.destroy();
  node.child.stderr!.destroy();
  // A crash of the scheduler's worker makes the node log (the supervisor's restart) into the closed stderr.
  const killed = await runCli(['kill', '--root', root, 'scheduler']);
  assert.equal(killed.code, 0, killed.stderr);
  for (let i = 0; i < 20; i++) {
    const status = await runCli(['cmd', '--root', root, 'get status']);
    assert.equal(status.code, 0, `get status ${i}: ${status.stderr}`);
    assert.equal(status.stdout, 'clinode@127.0.0.1 running\n');
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(node.child.exitCode, null, 'the node still runs');
  const stop = await runCli(['stop', '--root', root]);
  assert.equal(stop.code, 0, stop.stderr);
  assert.deepEqual(await node.exited(), { code: 0, signal: null });
});

test('cmd whose reader closed ends quietly with status 0, not with a stack trace', async (t) => {
  const root = tempRoot(t);
  const node = startCli(['start', join(REPO, 'test/fixtures/start-node.al'), '--root', root]);
  t.after(() => {
    if (node.child.exitCode === null && node.child.signalCode === null) node.child.kill('SIGKILL');
  });
  await node.waitForStdout(/control: .*edgelake-rt\.sock/);
  // `get processes` is several lines; the reader is gone before the first (`... | true`).
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'main/cli/main.ts', 'cmd', '--root', root, 'get processes'],
    {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout.destroy();
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
  assert.equal(stderr, '');
  assert.equal(code, 0);
  const stop = await runCli(['stop', '--root', root]);
  assert.equal(stop.code, 0, stop.stderr);
  assert.deepEqual(await node.exited(), { code: 0, signal: null });
});
