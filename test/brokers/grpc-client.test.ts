// The gRPC client against a real @grpc/grpc-js server on 127.0.0.1:0 (test/fixtures/grpc): real workers,
// real SQLite. The mappings are given without the metadata layer: column mappings with dbms and table,
// dbms and table alone (the message is the row), or a mapping policy read from a .json file.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REST_NODE, startTestNode, until, type TestNode, tableCount } from '../../harness/test-node.js';
import { PROTO_DIR, SensorServer } from '../fixtures/grpc/server.js';
import type { GrpcStatus } from '../../actors/grpc-client/messages.js';
import { checkReadmeSamples } from '../services/readme-samples.js';

const COLUMNS =
  'column.sensor.str = "bring [sensor]" and column.seq.int = "bring [seq]" and column.value.float = "bring [value]" and column.ts.timestamp = "bring [ts]"';

async function rig(t: TestContext): Promise<{ server: SensorServer; n: TestNode }> {
  const cleanup: (() => Promise<void>)[] = [];
  // `after` hooks run in the order added: one hook stops the node first, then the server.
  t.after(async () => {
    for (const f of cleanup.reverse()) await f();
  });
  const server = new SensorServer();
  await server.start();
  cleanup.push(() => server.stop());
  const n = await startTestNode(REST_NODE());
  cleanup.push(() => n.stop());
  return { server, n };
}

function runCmd(server: SensorServer, name: string, rest: string): string {
  return `run grpc client where name = ${name} and ip = 127.0.0.1 and port = ${server.port} and grpc_dir = ${PROTO_DIR} and proto = sensors and service = SensorService and function = Subscribe and request = SubscribeRequest and response = Reading and ${rest}`;
}

async function grpcStatus(n: TestNode, name: string): Promise<GrpcStatus> {
  const all = JSON.parse(await n.cmd('get grpc clients where format = json')) as GrpcStatus[];
  const s = all.find((x) => x.name === name);
  if (!s) throw new Error(`no gRPC client ${name} in ${JSON.stringify(all)}`);
  return s;
}

const reading = (seq: number) => ({
  sensor: `s${seq % 3}`,
  seq,
  value: seq / 2,
  ts: new Date(Date.UTC(2026, 0, 1) + seq * 1000).toISOString(),
});

async function sendAll(server: SensorServer, from: number, to: number): Promise<void> {
  await until(() => server.subscribers() > 0, 20_000);
  for (let i = from; i < to; i++) server.send(reading(i));
}

test(
  'streamed messages land in the table through a column mapping, with the request built from value',
  { timeout: 60_000 },
  async (t) => {
    const { server, n } = await rig(t);
    await n.cmd(
      runCmd(
        server,
        'feed',
        `value = (sensor_filter = temp and max_count = 5.int) and dbms = test and table = readings and ${COLUMNS}`,
      ),
    );
    await sendAll(server, 0, 500);
    await until(async () => (await tableCount(n, 'readings')) === 500, 20_000);
    assert.deepEqual(server.requests[0], { sensorFilter: 'temp', maxCount: 5 });
    const rows = JSON.parse(
      await n.cmd('sql test format = json "select sensor, seq, value, ts from readings where seq = 7"'),
    ) as { Query: unknown[] };
    assert.deepEqual(rows.Query, [{ sensor: 's1', seq: 7, value: 3.5, ts: '2026-01-01T00:00:07.000Z' }]);
    const s = await grpcStatus(n, 'feed');
    assert.deepEqual(
      [s.status, s.dataMsgs, s.rows, s.badMsgs, s.proto, s.request],
      ['Active', 500, 500, 0, 'sensors', 'SubscribeRequest'],
    );
    assert.match(
      await n.cmd('get grpc clients'),
      /feed\s*\|Active\s*\|127\.0\.0\.1:\d+\s*\|sensors\s*\|SubscribeRequest/,
    );
    assert.match(await n.cmd('get processes'), /gRPC\s*\|Running\s*\|connected to 1 gRPC servers/);
  },
);

test(
  'without a mapping, dbms and table take each message as one row (EdgeLake add_data)',
  { timeout: 60_000 },
  async (t) => {
    const { server, n } = await rig(t);
    await n.cmd(runCmd(server, 'raw', 'dbms = test and table = raw_readings'));
    await sendAll(server, 0, 20);
    await until(async () => (await tableCount(n, 'raw_readings')) === 20, 20_000);
    const r = JSON.parse(
      await n.cmd(
        'sql test format = json "select sensor, seq, value, ts from raw_readings where sensor = \'s2\' order by ts limit 2"',
      ),
    ) as { Query: { seq: unknown }[] };
    // int64 arrives as text (as MessageToJson renders it); the operator's type inference makes the column numeric.
    assert.deepEqual(
      r.Query.map((q) => ({ ...q, seq: Number(q.seq) })),
      [
        { sensor: 's2', seq: 2, value: 1, ts: '2026-01-01T00:00:02.000Z' },
        { sensor: 's2', seq: 5, value: 2.5, ts: '2026-01-01T00:00:05.000Z' },
      ],
    );
  },
);

test(
  'a mapping policy from a .json file, the dictionary or the metadata (by id) maps messages, unwrapping a one-field message',
  { timeout: 60_000 },
  async (t) => {
    const { server, n } = await rig(t);
    const policy = {
      mapping: {
        id: 'grpc-sensors',
        name: 'sensor readings',
        dbms: 'test',
        table: 'bring [kind]',
        schema: {
          timestamp: { type: 'timestamp', bring: '[time]' },
          value: { type: 'float', bring: '[reading][value]' },
          unit: { type: 'string', bring: '[reading][unit]', default: 'C' },
        },
      },
    };
    const file = join(n.root, 'grpc-policy.json');
    writeFileSync(file, JSON.stringify(policy));
    await n.cmd(runCmd(server, 'pol', `policy = ${file}`));
    // The same policy from the dictionary, into another table.
    const inDict = { mapping: { ...policy.mapping, id: 'grpc-dict', table: 'from_dict' } };
    await n.cmd(`grpc_policy = ${JSON.stringify(inDict)}`);
    await n.cmd(runCmd(server, 'dict', 'policy = !grpc_policy'));
    // And by id, from the node's metadata (`blockchain get mapping where id = ..`).
    await n.cmd(`by_id = ${JSON.stringify({ mapping: { ...policy.mapping, id: 'grpc-by-id', table: 'by_id' } })}`);
    await n.cmd('blockchain insert where policy = !by_id and local = true');
    await n.cmd(runCmd(server, 'byid', 'policy = grpc-by-id'));
    await until(() => server.subscribers() === 3, 20_000);
    for (let i = 0; i < 10; i++)
      server.send({
        payload: JSON.stringify({ kind: 'Temp', time: `2026-01-01T00:00:0${i}Z`, reading: { value: i * 1.5 } }),
      });
    await until(
      async () =>
        (await tableCount(n, 'temp')) === 10 &&
        (await tableCount(n, 'from_dict')) === 10 &&
        (await tableCount(n, 'by_id')) === 10,
      20_000,
    );
    const r = JSON.parse(await n.cmd('sql test format = json "select value, unit from temp where value = 3"')) as {
      Query: unknown[];
    };
    assert.deepEqual(r.Query, [{ value: 3, unit: 'C' }]);
    const s = await grpcStatus(n, 'pol');
    assert.deepEqual([s.policyType, s.policyName, s.policyId], ['mapping', 'sensor readings', 'grpc-sensors']);
    assert.equal((await grpcStatus(n, 'byid')).policyId, 'grpc-by-id');
    // An id the metadata does not hold: the start fails, naming it.
    await assert.rejects(n.cmd(runCmd(server, 'nosuch', 'policy = 0123abcd')), /no mapping policy with id '0123abcd'/);
  },
);

test(
  'a server that drops and comes back on its port is reconnected and the stream goes on',
  { timeout: 90_000 },
  async (t) => {
    const { server, n } = await rig(t);
    await n.cmd(runCmd(server, 'flaky', `dbms = test and table = flaky and ${COLUMNS}`));
    await sendAll(server, 0, 100);
    await until(async () => (await grpcStatus(n, 'flaky')).rows === 100, 20_000);
    server.drop();
    await until(async () => (await grpcStatus(n, 'flaky')).status === 'Reconnecting', 20_000);
    await new Promise((r) => setTimeout(r, 1500)); // a few failed attempts against the closed port
    await server.restart();
    await sendAll(server, 100, 200);
    await until(async () => (await tableCount(n, 'flaky')) === 200, 30_000);
    const s = await grpcStatus(n, 'flaky');
    assert.equal(s.status, 'Active');
    assert.ok(s.reconnects >= 1);
    assert.match(s.error, /UNAVAILABLE|CANCELLED|cannot connect/);
    assert.equal(n.running.node.instances('grpc-client')[0]!.restarts, 0, 'the worker never crashed');
  },
);

test('malformed messages are counted with the last reason and are not fatal', { timeout: 60_000 }, async (t) => {
  const { server, n } = await rig(t);
  await n.cmd(runCmd(server, 'bad', `dbms = test and table = bad and ${COLUMNS}`));
  await sendAll(server, 0, 5);
  server.sendRaw(Buffer.from([0x10, ...Array<number>(11).fill(0xff)])); // field 2, a varint that never ends: not a Reading
  server.send({ sensor: 'x', seq: 99 }); // value and ts missing: the mapping refuses it
  await sendAll(server, 5, 10);
  await until(async () => (await tableCount(n, 'bad')) === 10, 20_000);
  const s = await grpcStatus(n, 'bad');
  assert.equal(s.badMsgs, 2);
  assert.equal(s.dataMsgs, 11);
  assert.equal(s.status, 'Active');
  assert.match(s.error, /\[value\]|\[ts\]/);
  assert.equal(n.running.node.instances('grpc-client')[0]!.restarts, 0);
  assert.equal(server.requests.length, 1, 'the stream was never re-opened');
});

test('a killed gRPC worker is restarted by its supervisor and subscribes again', { timeout: 60_000 }, async (t) => {
  const { server, n } = await rig(t);
  await n.cmd(runCmd(server, 'sup', `dbms = test and table = sup and ${COLUMNS}`));
  await sendAll(server, 0, 10);
  await until(async () => (await tableCount(n, 'sup')) === 10, 20_000);
  const id = n.running.node.instances('grpc-client')[0]!.id;
  assert.ok(n.running.node.kill(id));
  await until(() => n.running.node.instances('grpc-client')[0]?.restarts === 1 && server.requests.length === 2, 20_000);
  await until(() => server.subscribers() === 1, 20_000);
  await sendAll(server, 10, 20);
  await until(async () => (await tableCount(n, 'sup')) === 20, 20_000);
  assert.equal((await grpcStatus(n, 'sup')).status, 'Active');
});

test(
  'names are unique, exit grpc takes a name, limit ends the subscription, a unary method is polled',
  { timeout: 60_000 },
  async (t) => {
    const { server, n } = await rig(t);
    await n.cmd(runCmd(server, 'one', 'dbms = test and table = lim and limit = 3'));
    await assert.rejects(n.cmd(runCmd(server, 'one', 'dbms = test and table = lim')), /already active/);
    await sendAll(server, 0, 10);
    await until(async () => (await grpcStatus(n, 'one')).status === 'Terminated (Success)', 20_000);
    assert.equal((await grpcStatus(n, 'one')).dataMsgs, 3);
    await until(async () => (await tableCount(n, 'lim')) === 3, 20_000);
    server.latest = { sensor: 'unary', seq: 1, value: 2 };
    await n.cmd(
      `run grpc client where name = poll and ip = 127.0.0.1 and port = ${server.port} and grpc_dir = ${PROTO_DIR} and proto = sensors and service = SensorService and function = Latest and ingest = false`,
    );
    await until(async () => (await grpcStatus(n, 'poll')).dataMsgs >= 2, 20_000);
    await assert.rejects(n.cmd('exit grpc nosuch'), /no gRPC client named 'nosuch'/);
    await n.cmd('exit grpc one');
    assert.deepEqual(
      (JSON.parse(await n.cmd('get grpc clients where format = json')) as GrpcStatus[]).map((s) => s.name),
      ['poll'],
    );
    await n.cmd('exit grpc all');
    assert.equal(await n.cmd('get grpc clients'), 'No active gRPC clients');
  },
);

test(
  'run grpc client refuses what cannot work before subscribing, naming the option',
  { timeout: 30_000 },
  async (t) => {
    const { server, n } = await rig(t);
    await assert.rejects(
      n.cmd(runCmd(server, 'x1', 'dbms = test and table = t and function = Nope')),
      /given twice|function/,
    );
    await assert.rejects(
      n.cmd(runCmd(server, 'x2', 'value = (no_such = 1) and dbms = test and table = t')),
      /value\.no_such: SubscribeRequest has no field/,
    );
    await assert.rejects(n.cmd(runCmd(server, 'x3', 'dbms = test')), /Missing dbms and table/);
    await assert.rejects(n.cmd(runCmd(server, 'x4', 'ingest = true')), /nothing to map the messages to/);
    assert.equal(await n.cmd('get grpc clients'), 'No active gRPC clients');
  },
);

test('the grpc-client README sample parses as node.yaml', () => checkReadmeSamples('grpc-client'));
