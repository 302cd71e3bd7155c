// Two nodes as child processes (the CLI from its sources): one asks the other over TCP; killing the peer's
// process turns the answer into a refused connection.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlClient } from '../../runtime/control/client.js';
import { socketPath } from '../../node/layout.js';
import { startCli, type CliProcess } from '../../harness/cli.js';
import { tcpNodeYaml } from './peers.js';

async function child(
  t: TestContext,
  name: string,
): Promise<{ p: CliProcess; root: string; client: ControlClient; addr: string }> {
  const root = mkdtempSync(join(tmpdir(), `elrt-net-${name}-`));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const file = join(root, 'node.yaml');
  writeFileSync(file, tcpNodeYaml(name));
  const p = startCli(['start', file, '--root', root]);
  t.after(() => {
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  });
  await p.waitForStdout(/control: .*edgelake-rt\.sock\r\n/);
  const client = await ControlClient.connect(socketPath(root));
  t.after(() => client.close());
  const addr = (JSON.parse(await client.cmd('get connections where format = json')) as { TCP: { external: string } })
    .TCP.external;
  return { p, root, client, addr };
}

test('a node in another process answers run client, and a killed one is reported refused', async (t) => {
  const a = await child(t, 'node-a');
  const b = await child(t, 'node-b');
  assert.equal(
    await a.client.cmd(`run client (${b.addr}) get status`),
    `\r\n[From Node ${b.addr}] node-b@${b.addr} running`,
  );
  // Twice more: the second and later requests go on the persistent edgelake-rt connection.
  for (let i = 0; i < 2; i++)
    assert.equal(await a.client.cmd(`run client (${b.addr}) get node name`), `\r\n[From Node ${b.addr}] node-b`);
  b.p.child.kill('SIGKILL');
  await b.p.exited(10_000);
  await assert.rejects(a.client.cmd(`run client (${b.addr}) get status`), /connection refused \(3 tries\)/);
});
