// The sync exchange on the wire (spec section 7 and interop vector 9), with a hand-made peer on loopback:
//   master side: `event get_blockchain <dir>/blockchain.new 0 0` -> `file write <dir>/blockchain.master_id_1.new`,
//                generic flag 2, payload = the ledger lines, whose md5 is the master's Metadata Version; that md5
//                sent as the hash -> no ledger
//   node side:   the synchronizer asks a master with exactly that command; a flag-2 `file write` of a ledger
//                becomes the node's metadata, and the next request carries the ledger's md5
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { commandMessage, fileWriteMessage } from '../../protocols/tcp/builders.js';
import { readMessage, type TcpMessage } from '../../protocols/tcp/assembler.js';
import { close, listen, tcpTestNode, writeRaw } from '../network/peers.js';
import { until } from '../../harness/test-node.js';

const md5 = (b: Uint8Array | string): string => createHash('md5').update(b).digest('hex');
const GOLDEN = JSON.parse(
  readFileSync(new URL('../fixtures/golden/rest_node1_blockchain_get_all.txt', import.meta.url), 'utf8'),
) as unknown[];

const node = tcpTestNode;

/** A peer that records every message sent to it (one per connection). */
async function recorder(t: TestContext): Promise<{ port: number; messages: TcpMessage[] }> {
  const messages: TcpMessage[] = [];
  const { server, port } = await listen((s: Socket) => {
    readMessage(s).then(
      (m) => messages.push(m),
      () => undefined, // a connection that carried no message
    );
  });
  t.after(() => close(server));
  return { port, messages };
}

const ledgerWrites = (ms: TcpMessage[]): TcpMessage[] => ms.filter((m) => m.command.startsWith('file write'));

test('a master answers event get_blockchain with its ledger as file write flag 2, and nothing for the same md5', async (t) => {
  const master = await node(t, 'master');
  for (const p of GOLDEN.slice(0, 2))
    await master.cmd(`blockchain push ${JSON.stringify(p).replaceAll('"local"', '"global"')}`);
  const peer = await recorder(t);
  const ask = (hash: string): Promise<unknown> =>
    writeRaw(
      master.port,
      Buffer.concat(
        commandMessage(`event get_blockchain /data/node/blockchain/blockchain.new ${hash} 0`, {
          source: { ip: '127.0.0.1', port: peer.port },
        }),
      ),
    );

  await ask('0');
  await until(() => ledgerWrites(peer.messages).length === 1, 5000);
  const m = ledgerWrites(peer.messages)[0]!;
  assert.equal(m.command, 'file write /data/node/blockchain/blockchain.master_id_1.new');
  assert.equal(m.header.genericFlag, 2);
  const text = Buffer.from(m.payload).toString('utf8');
  const lines = text.split('\n');
  assert.equal(lines.pop(), '', 'a line per policy, each ending in \\n');
  assert.deepEqual(
    lines.map((l) => JSON.parse(l) as unknown),
    GOLDEN.slice(0, 2).map((p) => JSON.parse(JSON.stringify(p).replaceAll('"local"', '"global"')) as unknown),
  );
  assert.equal(
    md5(m.payload),
    await master.cmd('get metadata version'),
    "the payload's md5 is the master's Metadata Version",
  );
  assert.match(await master.cmd('get synchronizer'), new RegExp(`\\|${md5(m.payload)}\\|`));

  await ask(md5(m.payload));
  await new Promise((r) => setTimeout(r, 800));
  assert.equal(ledgerWrites(peer.messages).length, 1, 'same md5: no ledger sent');

  // A changed ledger is sent again, as the next copy id.
  await master.cmd('blockchain push {"table": {"name": "t9", "dbms": "d9"}}');
  await ask(md5(m.payload));
  await until(() => ledgerWrites(peer.messages).length === 2, 5000);
  assert.equal(ledgerWrites(peer.messages)[1]!.command, 'file write /data/node/blockchain/blockchain.master_id_2.new');
});

test('event get_blockchain without its three arguments is answered with an echo error', async (t) => {
  const master = await node(t, 'master');
  const peer = await recorder(t);
  await writeRaw(
    master.port,
    Buffer.concat(
      commandMessage('event get_blockchain /x/blockchain.new', { source: { ip: '127.0.0.1', port: peer.port } }),
    ),
  );
  await until(() => peer.messages.length === 1, 5000);
  assert.match(peer.messages[0]!.command, /^echo/);
  assert.equal(peer.messages[0]!.header.error, 64);
  assert.match(Buffer.from(peer.messages[0]!.payload).toString(), /destination file name not provided/);
});

test('a node syncs from a master: the request on the wire, a flag-2 ledger taken, the md5 sent next time', async (t) => {
  const n = await node(t, 'node2');
  const fakeMaster = await recorder(t);
  await n.cmd(
    `run blockchain sync where source = master and time = 1 second and dest = file and connection = 127.0.0.1:${fakeMaster.port}`,
  );
  await until(() => fakeMaster.messages.length >= 1, 5000);
  const req = fakeMaster.messages[0]!;
  const newFile = join(n.root, 'blockchain', 'blockchain.new');
  assert.equal(req.command, `event get_blockchain ${newFile} 0 0`);
  assert.equal(req.header.sourcePort, n.port, "the ledger is to be sent to the node's TCP server");

  // As a master serves it: its policies are `global` (a `local` one would be taken as this node's own).
  const served = GOLDEN.map((p) => JSON.parse(JSON.stringify(p).replaceAll('"local"', '"global"')) as unknown);
  const payload = Buffer.from(served.map((p) => JSON.stringify(p)).join('\n') + '\n');
  await writeRaw(
    n.port,
    Buffer.concat(
      fileWriteMessage(join(n.root, 'blockchain', 'blockchain.master_id_1.new'), payload, 2, {
        source: { ip: '127.0.0.1', port: fakeMaster.port },
      }),
    ),
  );
  await until(async () => (await n.cmd('blockchain get *')) !== '', 5000);
  assert.deepEqual(JSON.parse(await n.cmd('blockchain get *')), served);
  const before = fakeMaster.messages.length;
  await until(() => fakeMaster.messages.length > before, 5000);
  assert.equal(fakeMaster.messages.at(-1)!.command, `event get_blockchain ${newFile} ${md5(payload)} 0`);
  assert.match(await n.cmd('get synchronizer'), /Running\|master \|127\.0\.0\.1:\d+\|/);
  // A change of its own the master has not confirmed: the next request asks for the whole ledger (md5 0).
  await n.cmd('blockchain insert where policy = {"tag": {"name": "mine"}} and local = true');
  const after = fakeMaster.messages.length;
  await until(() => fakeMaster.messages.length > after, 5000);
  assert.equal(fakeMaster.messages.at(-1)!.command, `event get_blockchain ${newFile} 0 0`);
});

test('source = blockchain is refused with a clear error', async (t) => {
  const n = await node(t, 'node3');
  await assert.rejects(
    n.cmd(
      'run blockchain sync where source = blockchain and platform = ethereum and time = 30 seconds and dest = file',
    ),
    /no blockchain platform/,
  );
  await assert.rejects(
    n.cmd('blockchain insert where policy = {"table": {"name": "a", "dbms": "b"}} and blockchain = ethereum'),
    /no blockchain platform/,
  );
  await assert.rejects(n.cmd('run blockchain sync'), /synchronizer is not running/);
});

test('a master node syncing from itself asks its own dispatcher: no command worker starts until a ledger is sent', async (t) => {
  const n = await node(t, 'master1');
  await n.cmd(
    `run blockchain sync where source = master and time = 1 second and dest = file and connection = 127.0.0.1:${n.port}`,
  );
  // Empty ledger: the master's `Empty local blockchain file` is logged, the request counts as sent.
  const row = async (): Promise<string[]> =>
    (await n.cmd('get synchronizer'))
      .split('\r\n')
      .find((l) => l.startsWith('Running|'))!
      .split('|')
      .map((c) => c.trim());
  // Columns: Status, Source, Connection, Sync Time, Metadata Version, Time Since Update, Calls, ..., Sync Err.
  await until(async () => Number((await row())[6]) >= 2, 5000);
  assert.equal((await row())[10], '0', 'no Sync Err');
  assert.equal(n.running.node.instances('tcp-worker').length, 0, 'no TCP command worker started');
  // A policy of its own (local): the request carries md5 0, so the master sends its ledger as a flag-2 file write
  // to this node's TCP server, whose command worker starts for it and takes it.
  await n.cmd('blockchain insert where policy = {"tag": {"name": "mine"}} and local = true');
  await until(() => n.running.node.instances('tcp-worker').some((w) => w.status === 'running'), 5000);
  assert.match(await n.cmd('blockchain get tag'), /"name": "mine"/);
});
