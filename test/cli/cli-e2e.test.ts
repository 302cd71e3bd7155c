// The edgelake-rt CLI end to end, as child processes: `start` in the foreground, `cmd`, `send`, `kill`
// and `stop` through the control socket, SIGTERM, and `start script.al`.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { ControlClient } from '../../runtime/control/client.js';
import { socketPath } from '../../node/layout.js';
import { PROCESS_ORDER } from '../../node/service.js';
import { REPO, runCli, startCli, type CliProcess } from '../../harness/cli.js';
import { waitFor } from '../fixtures/supervision.js';

interface ProcessJson {
  Status: string;
  Details?: string;
  Restarts?: number;
  Threads?: number[];
}

function tempRoot(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'elrt-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Starts a node in the foreground and waits until its control socket answers. */
async function startNode(t: TestContext, file: string, root: string): Promise<CliProcess> {
  const p = startCli(['start', file, '--root', root]);
  t.after(() => {
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  });
  await p.waitForStdout(/running\r\n {2}root: .*\r\n {2}control: .*edgelake-rt\.sock\r\n/);
  return p;
}

async function processesJson(root: string): Promise<Record<string, ProcessJson>> {
  const client = await ControlClient.connect(socketPath(root));
  try {
    return JSON.parse(await client.cmd('get processes where format = json')) as Record<string, ProcessJson>;
  } finally {
    client.close();
  }
}

/** examples/node.yaml with its listeners on port 0 (tests never take a fixed port). */
function exampleYaml(root: string): string {
  const text = readFileSync(join(REPO, 'examples/node.yaml'), 'utf8').replace(
    /(_port:\s*)\d+/g,
    (_m, key: string) => `${key}0`,
  );
  const file = join(root, 'node.yaml');
  writeFileSync(file, text);
  return file;
}

test('start runs a node from node.yaml that cmd, send, kill and stop drive through the control socket', async (t) => {
  const root = tempRoot(t);
  const node = await startNode(t, exampleYaml(root), root);
  assert.match(node.stdout(), /^edgelake-rt node 'edge-node' running\r\n/);
  assert.equal(node.child.exitCode, null, 'start stays in the foreground');

  const sock = socketPath(root);
  assert.equal(statSync(sock).mode & 0o777, 0o600, 'the control socket is user-only');

  // get processes: EdgeLake's table shape (4-space prefix, `|` rules, \r\n) with all 15 services.
  const table = await runCli(['cmd', '--root', root, 'get processes']);
  assert.equal(table.code, 0, table.stderr);
  const lines = table.stdout.split('\r\n');
  const golden = readFileSync(new URL('../fixtures/golden/rest_get_processes.txt', import.meta.url), 'utf8').split(
    '\r\n',
  );
  const gTitle = golden.findIndex((l) => l.startsWith('    Process '));
  const title = lines.findIndex((l) => l.startsWith('    Process '));
  assert.ok(title >= 1 && lines[title - 1] === '', 'an empty line before the table, as EdgeLake');
  assert.equal(lines[title]!.slice(0, 33), golden[gTitle]!.slice(0, 33), 'same title columns');
  assert.equal(lines[title + 1]!.slice(0, 33), golden[gTitle + 1]!.slice(0, 33), 'same rule');
  assert.match(lines[title + 1]!, /^ {4}(-+\|){3}$/);
  const rows = lines.slice(title + 2, title + 2 + PROCESS_ORDER.length);
  assert.deepEqual(
    rows.map((r) => r.slice(4, 19).trim()),
    [...PROCESS_ORDER],
  );
  for (const r of rows) assert.match(r, /^ {4}[^|]{15}\|(Running {5}|Not declared|Restarting {2}|Failed {6})\|.*\|$/);
  assert.match(
    rows[PROCESS_ORDER.indexOf('Scheduler')]!,
    /\|Running {5}\|Schedulers IDs in use: \[0 \(system\)\] \[1 \(user\)\] *\|$/,
  );
  assert.equal(lines.at(-1), '', 'ends with \\r\\n');
  assert.equal(rows[0]!.length, lines[title + 1]!.length, 'rows as wide as the rule');

  const json = await runCli(['cmd', '--root', root, 'get processes where format = json']);
  assert.equal(json.code, 0, json.stderr);
  const procs = JSON.parse(json.stdout) as Record<string, ProcessJson>;
  assert.deepEqual(Object.keys(procs), [...PROCESS_ORDER]);
  assert.equal(procs['Scheduler']?.Status, 'Running');
  assert.equal(procs['Scheduler']?.Restarts, 0);
  assert.equal(procs['TCP']?.Status, 'Not declared');
  const threadBefore = procs['Scheduler']!.Threads![0];

  const ids = await runCli(['send', '--root', root, 'scheduler', '{"type":"scheduler.ids"}']);
  assert.equal(ids.code, 0, ids.stderr);
  assert.deepEqual(JSON.parse(ids.stdout), { running: [0, 1] });

  const killed = await runCli(['kill', '--root', root, 'scheduler']);
  assert.equal(killed.code, 0, killed.stderr);
  const after = await waitFor(async () => {
    const p = (await processesJson(root))['Scheduler'];
    return p?.Status === 'Running' && p.Restarts === 1 ? p : undefined;
  }, 'the scheduler running again with Restarts = 1');
  assert.notEqual(after.Threads![0], threadBefore, 'a new worker thread');
  const sched = await runCli(['cmd', '--root', root, 'get scheduler 1']);
  assert.equal(sched.code, 0, sched.stderr);
  assert.match(sched.stdout, /\|Status Check\|.*\|0:1:0 +\|get status\|/, 'its tasks are still there');
  assert.match(sched.stdout, /Scheduler Status: Running/);

  const bad = await runCli(['cmd', '--root', root, 'xyzzy plugh']);
  assert.notEqual(bad.code, 0);
  assert.equal(bad.stdout, '');
  assert.match(bad.stderr, /Unrecognized Command: 'xyzzy' \(error 141\)/);

  const badSend = await runCli(['send', '--root', root, 'nosuchactor', '{"type":"x.y"}']);
  assert.notEqual(badSend.code, 0);
  assert.match(badSend.stderr, /NoSuchActorError: no running actor 'nosuchactor'/);

  const stop = await runCli(['stop', '--root', root]);
  assert.equal(stop.code, 0, stop.stderr);
  assert.deepEqual(await node.exited(), { code: 0, signal: null });
  assert.equal(existsSync(sock), false, 'the socket is removed at stop');
  assert.match(node.stderr(), /"msg":"node stopping"/);
});

test('start script.al runs the script, and SIGTERM stops the node with exit 0', async (t) => {
  const root = tempRoot(t);
  const node = await startNode(t, join(REPO, 'test/fixtures/start-node.al'), root);
  assert.match(node.stdout(), /^edgelake-rt node '.*' running/);
  const status = await runCli(['cmd', '--root', root, 'get status']);
  assert.equal(status.code, 0, status.stderr);
  assert.equal(status.stdout, 'clinode@127.0.0.1 running\n');
  const sched = await runCli(['cmd', '--root', root, 'get scheduler 1']);
  assert.match(sched.stdout, /\|From Script\|.*\|1:0:0 +\|echo !greeting\|/);
  node.child.kill('SIGTERM');
  assert.deepEqual(await node.exited(), { code: 0, signal: null });
  assert.equal(existsSync(socketPath(root)), false);
});

test('cmd against a root where no node runs fails with the reason on stderr', async (t) => {
  const root = tempRoot(t);
  const r = await runCli(['cmd', '--root', root, 'get status']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /edgelake-rt: cannot connect to .*edgelake-rt\.sock/);
});
