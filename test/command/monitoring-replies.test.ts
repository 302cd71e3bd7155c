// Monitoring replies as EdgeLake 1.4 prints them (issue 15), against the goldens captured from a real EdgeLake
// node (test/fixtures/golden, copied from shared/spec/golden) and EdgeLake's member_cmd.py, on a real
// in-process node.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootNode, type RunningNode } from '../../main/boot.js';
import { MemorySink } from '../../base/log.js';

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
