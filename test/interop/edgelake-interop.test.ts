// edgelake-rt and a real EdgeLake node on loopback talk to each other over TCP (spec section 1):
//   our `run client (<EdgeLake>) get status` gets EdgeLake's answer, and
//   EdgeLake's REST `get status` with a `destination` header naming our node gets ours, and
//   our `run client (<EdgeLake operator>) sql ...` gets its rows as EdgeLake's query JSON.
// Runs when EDGELAKE_SRC names a checkout of github.com/EdgeLake/EdgeLake and the launcher is found
// (harness/edgelake.ts); skips with a message otherwise (CI has neither). Nothing of
// EdgeLake is kept in this repository.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { http, startTestNode, until } from '../../harness/test-node.js';
import { edgeLakeSkip, startEdgeLake } from '../../harness/edgelake.js';
import { tcpNodeYaml } from '../network/peers.js';

const skip = edgeLakeSkip;

test('edgelake-rt and a real EdgeLake node answer each other over TCP', { skip, timeout: 400_000 }, async (t) => {
  const el = await startEdgeLake(t);
  const us = await startTestNode(tcpNodeYaml('rt-node'));
  t.after(() => us.stop());
  const ours = us.running.node.connections.get('TCP')!.external;

  // Our run client -> EdgeLake's get status.
  assert.equal(
    await us.cmd(`run client (${el.tcp}) get status`),
    `\r\n[From Node ${el.tcp}] ${el.name}@${el.tcp} running`,
  );
  const json = JSON.parse(await us.cmd(`run client (${el.tcp}) get status where format = json`)) as Record<
    string,
    { status: string }
  >;
  assert.equal(json[el.tcp]!.status, 'running');
  assert.equal(
    await us.cmd(`run client (${el.tcp}) xyzzy`),
    `\r\n[From Node ${el.tcp}] Command 'xyzzy' not recoginzed`,
  );

  // EdgeLake's REST with a destination header -> our get status, through EdgeLake's run client.
  const r = await http(el.rest, 'GET', { 'User-Agent': 'AnyLog/1.23', command: 'get status', destination: ours });
  assert.equal(r.status, 200);
  assert.equal(r.body, `\r\n[From Node ${ours}] rt-node@${ours} running`);
  const rj = await http(el.rest, 'GET', {
    'User-Agent': 'AnyLog/1.23',
    command: 'get status where format = json',
    destination: ours,
  });
  assert.equal(
    (JSON.parse(rj.body) as Record<string, { assigned_name: string }>)[ours]!.assigned_name,
    `rt-node@${ours}`,
  );

  // Our node signs once it has keys: EdgeLake skips the authentication segment of our commands.
  await us.cmd('id create keys for node where password = interop-pw');
  assert.equal(
    await us.cmd(`run client (${el.tcp}) get status`),
    `\r\n[From Node ${el.tcp}] ${el.name}@${el.tcp} running`,
  );
  // Node authentication on: EdgeLake (it cannot sign) is served from the allow list only.
  const viaEl = () => http(el.rest, 'GET', { 'User-Agent': 'AnyLog/1.23', command: 'get status', destination: ours });
  await us.cmd('set node authentication on where allow = 127.0.0.1');
  assert.equal((await viaEl()).body, `\r\n[From Node ${ours}] rt-node@${ours} running`);
  await us.cmd('set node authentication on where allow = 127.0.0.2');
  // Refused: no answer; EdgeLake's REST reply then is not always valid HTTP (a bad chunk size), either way no status.
  const refused = await viaEl().then(
    (r) => r.body,
    (err: Error) => err.message,
  );
  assert.doesNotMatch(refused, /running/);
  await until(async () => /Peer messages refused\s*\|\s*unsigned 1/.test(await us.cmd('get authentication')), 5000);
  await us.cmd('set node authentication off');
});

test(
  'a query sent by edgelake-rt to an EdgeLake operator comes back as EdgeLake query JSON',
  { skip, timeout: 400_000 },
  async (t) => {
    const el = await startEdgeLake(t, true);
    const us = await startTestNode(tcpNodeYaml('rt-node'));
    t.after(() => us.stop());
    // A file-mode PUT lands in the operator's watch dir; the operator creates the table and inserts the rows.
    const put = await http(
      el.rest,
      'PUT',
      { 'User-Agent': 'AnyLog/1.23', type: 'json', dbms: 'test', table: 'readings', mode: 'file' },
      '[{"device":"d1","value":1.5},{"device":"d2","value":2.5},{"device":"d4","value":4.5}]',
    );
    assert.equal(put.status, 200);
    const query = `run client (${el.tcp}) sql test format = json "select device, value from readings order by device"`;
    let reply = '';
    for (const end = Date.now() + 120_000; Date.now() < end; await new Promise((r) => setTimeout(r, 2000))) {
      try {
        reply = await us.cmd(query);
        if (reply.includes('"Count": 3')) break;
      } catch (err) {
        // Until the operator made the table, EdgeLake answers that it does not know it.
        if (!/not recognized|No metadata|does not exist|query failed/i.test((err as Error).message)) throw err;
      }
    }
    // The time is the query's own (a loaded machine makes it 00:00:01): its shape is checked, then it is set aside.
    assert.match(reply, /"Time":"\d\d:\d\d:\d\d"/);
    assert.equal(
      reply.replace(/"Time":"\d\d:\d\d:\d\d"/, '"Time":"00:00:00"'),
      '{"Query":[{"device":"d1","value":1.5},{"device":"d2","value":2.5},{"device":"d4","value":4.5}],\n"Statistics":[{"Count": 3,"Time":"00:00:00","Nodes": 1}]}',
    );
    const count = JSON.parse(
      await us.cmd(`run client (${el.tcp}) sql test format = json "select count(*) as n from readings"`),
    ) as { Query: { n: number }[] };
    assert.deepEqual(count.Query, [{ n: 3 }]);
  },
);
