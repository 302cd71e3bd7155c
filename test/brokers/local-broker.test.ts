// The node's own MQTT broker (`run message broker`) with `run msg client where broker = local`: devices
// publish straight to the node; the broker hands registered topics to the msg client without a network hop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Journal } from '../../storage/journal/journal.js';
import { REST_NODE, startTestNode, until, type TestNode } from '../../harness/test-node.js';
import { publish, publisher, query } from './support.js';

// Interop vector 5 (spec section 6): sensors -> table from the message, now first, typed columns.
const SENSORS =
  'topic = (name = sensors and dbms = test and table = "bring [sensor]" and column.timestamp.timestamp = now and ' +
  'column.value = (type = float and value = "bring [reading][value]") and column.unit.str = "bring [reading][unit]")';

async function nodeWithBroker(t: { after(fn: () => Promise<void>): void }): Promise<{ n: TestNode; port: number }> {
  const n = await startTestNode(REST_NODE());
  t.after(() => n.stop());
  assert.equal(
    await n.cmd('run message broker where internal_ip = 127.0.0.1 and internal_port = 0 and threads = 3'),
    '',
  );
  const c = n.running.node.connections.get('Messaging');
  assert.ok(c, 'the broker is in get connections');
  return { n, port: Number(c.internal.split(':').pop()) };
}

test('a QoS 1 publish to the local broker is acknowledged once its rows are in the journal and lands typed in the table', async (t) => {
  // No operator yet: what the acknowledgement promises is the journal, so look there first.
  const n = await startTestNode(
    'node:\n  name: test-node\ndbms:\n  test:\n    type: sqlite\nservices:\n  rest_server:\n    internal_ip: 127.0.0.1\n    internal_port: 0\n  streamer: {}\n' +
      '  message_broker:\n    internal_ip: 127.0.0.1\n    internal_port: 0\n    threads: 3\n',
  );
  t.after(() => n.stop());
  const port = Number(n.running.node.connections.get('Messaging')!.internal.split(':').pop());
  assert.equal(await n.cmd(`run msg client where broker = local and log = false and ${SENSORS}`), '');
  const dev = await publisher(port);
  t.after(() => dev.endAsync());
  await publish(dev, 'sensors', '{"sensor":"Temp-1","reading":{"value":21.5,"unit":"C"}}', 1);
  const journal = Journal.open(join(n.root, 'journal'));
  const entries = [...journal.scan()].filter((e) => e.stream === 'msg-client-1');
  await journal.close();
  assert.equal(entries.length, 1, 'durable in the journal when acknowledged');
  assert.equal(entries[0]!.table, 'temp_1');
  // Rows serialised from objects name each key once: the SQLite writer need not walk them (journal.ts repeatedKeys).
  assert.equal(entries[0]!.repeatedKeys, false);
  assert.deepEqual(
    (JSON.parse(Buffer.from(entries[0]!.rows).toString()) as Record<string, unknown>[]).map((r) => [
      r['value'],
      r['unit'],
    ]),
    [[21.5, 'C']],
  );
  assert.equal(await n.cmd('run operator'), '');
  await until(
    async () => (await query(n.cmd, 'test', 'select value, unit, timestamp from temp_1')).length === 1,
    10_000,
  );
  const [row] = await query(n.cmd, 'test', 'select value, unit, timestamp from temp_1');
  assert.equal(row!['value'], 21.5);
  assert.equal(row!['unit'], 'C');
  assert.match(String(row!['timestamp']), /^\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d/);

  const conns = await n.cmd('get connections');
  assert.match(conns, /Messaging\s*\|127\.0\.0\.1:\d+/);
  const procs = await n.cmd('get processes');
  assert.match(procs, /MSG Broker\s*\|Running\s*\|Listening on: 127\.0\.0\.1:\d+, Threads Pool: 3/);
  assert.match(procs, /MQTT\s*\|Running/);
  const stats = await n.cmd('get local broker');
  assert.match(stats, /Message Broker Stat/);
  assert.match(stats, /MQTT\s*\|127\.0\.0\.1\s*\|CONNECT/);
  assert.match(stats, /PUBLISH/);
});

test('the readings list of vector 5 makes one row per reading, named tables, one now for both', async (t) => {
  const { n, port } = await nodeWithBroker(t);
  const topic =
    'topic = (name = edgex and dbms = test and table = "bring [readings][][name]" and column.timestamp.timestamp = now and ' +
    'column.value = (type = "bring [readings][][valueType]" and value = "bring [readings][][value]"))';
  assert.equal(await n.cmd(`run msg client where broker = local and ${topic}`), '');
  const dev = await publisher(port);
  t.after(() => dev.endAsync());
  const payload = {
    readings: [
      { name: 'Temp', value: '20.5', valueType: 'Float64' },
      { name: 'Humidity', value: '55', valueType: 'Int64' },
    ],
  };
  await publish(dev, 'edgex', JSON.stringify(payload), 1);
  await until(async () => (await query(n.cmd, 'test', 'select value from humidity')).length === 1, 10_000);
  await until(async () => (await query(n.cmd, 'test', 'select value from temp')).length === 1, 10_000);
  const [temp] = await query(n.cmd, 'test', 'select value, timestamp from temp');
  const [hum] = await query(n.cmd, 'test', 'select value, timestamp from humidity');
  assert.equal(temp!['value'], 20.5);
  assert.equal(hum!['value'], 55);
  assert.equal(temp!['timestamp'], hum!['timestamp'], 'one now value for the message');
});

test('a payload that does not map is counted with its reason and the client goes on', async (t) => {
  const { n, port } = await nodeWithBroker(t);
  assert.equal(await n.cmd(`run msg client where broker = local and log_error = true and ${SENSORS}`), '');
  const dev = await publisher(port);
  t.after(() => dev.endAsync());
  await publish(dev, 'sensors', '{"sensor":"Temp-1","reading":{"unit":"C"}}', 1);
  await publish(dev, 'sensors', 'not json at all', 1);
  await publish(dev, 'sensors', '{"sensor":"Temp-2","reading":{"value":"7.25","unit":"F"}}', 1);
  await until(async () => (await query(n.cmd, 'test', 'select value from temp_2')).length === 1, 10_000);
  const shown = await n.cmd('get msg clients');
  assert.match(shown, /Subscription ID: 0001/);
  assert.match(shown, /Broker:\s+local/);
  assert.match(shown, /Connection:\s+Connected to local Message Server/);
  // messages, success, errors
  assert.match(shown, /\n\s+3\s+1\s+2\s+\d{4}-/);
  assert.match(shown, /Failed to identify application data|Error with data provided by a subscribed message/);
  const stats = await n.cmd('get msg clients where statistics = true');
  assert.match(stats, /sensors\s*\|\s*1\|\s*2\|/);
  assert.match(stats, /Total Success: 1, Total Error: 2/);
  // The first failure's reason names the column and the path.
  assert.match(
    shown + stats,
    /column 'value' pulls '\[reading\]\[value\]' which is missing|Application message is not recognized/,
  );
  const detailed = await n.cmd('get msg clients where id = 1 and detailed = true');
  assert.match(detailed, /Directories Used:/);
  assert.match(detailed, /Subscribed Topics:/);
  assert.match(detailed, /sensors\s*\|False\s*\|\s*0\|test\s*\|\['\[sensor\]'\]\|timestamp\s*\|timestamp\s*\|now\(\)/);
});

test('exit msg client unregisters its topics from the local broker', async (t) => {
  const { n, port } = await nodeWithBroker(t);
  assert.equal(await n.cmd(`run msg client where broker = local and ${SENSORS}`), '');
  await assert.rejects(n.cmd('exit msg client 9'), /No MQTT subscription for client: 9/);
  assert.equal(await n.cmd('exit msg client 1'), '');
  assert.equal(await n.cmd('get msg clients'), '\r\nNo message client subscriptions');
  const dev = await publisher(port);
  t.after(() => dev.endAsync());
  // Still a broker: the publish is acknowledged, and recorded as a topic nobody registered.
  await publish(dev, 'sensors', '{"sensor":"Temp-9","reading":{"value":1,"unit":"C"}}', 1);
  assert.match(await n.cmd('get local broker'), /Unrecognized MQTT topic\s*\|sensors/);
  assert.equal(await n.cmd('exit broker'), '');
  assert.match(await n.cmd('get connections'), /Messaging\s*\|Not declared/);
  assert.match(await n.cmd('get processes'), /MSG Broker\s*\|Not declared\|No active connection/);
  // The positional form: run message broker <ip> <port> [<local ip> <local port>] [<threads>].
  assert.equal(await n.cmd('run message broker 127.0.0.1 0'), '');
  assert.match(
    await n.cmd('get processes'),
    /MSG Broker\s*\|Running\s*\|Listening on: 127\.0\.0\.1:\d+, Threads Pool: 6/,
  );
  await assert.rejects(
    n.cmd('run message broker where threads = 2'),
    /Missing port in Message Broker server configuration/,
  );
});

test('a publish while its msg client restarts after a crash is stored once, and acknowledged only then', async (t) => {
  const { n, port } = await nodeWithBroker(t);
  assert.equal(await n.cmd(`run msg client where broker = local and ${SENSORS}`), '');
  const dev = await publisher(port, { clientId: 'elrt-local-dev', clean: false });
  t.after(() => dev.endAsync());
  await publish(dev, 'sensors', '{"sensor":"Crash-1","reading":{"value":1,"unit":"C"}}', 1);
  assert.ok(n.running.node.kill('msg-client-1'));
  // Sent into the restart: the device gets no PUBACK until a msg client stored the rows (it may be
  // disconnected and resend meanwhile).
  await publish(dev, 'sensors', '{"sensor":"Crash-1","reading":{"value":2,"unit":"C"}}', 1);
  await until(async () => (await query(n.cmd, 'test', 'select value from crash_1')).length >= 2, 15_000);
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(await query(n.cmd, 'test', 'select value from crash_1 order by value'), [
    { value: 1 },
    { value: 2 },
  ]);
  assert.equal(n.running.node.instances('msg-client')[0]!.restarts, 1);
});
