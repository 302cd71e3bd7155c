// `run msg client` against the machine's Mosquitto on 127.0.0.1:1883 (skipped when it is not there).
// Every test uses topics of its own (a random prefix): the broker is shared with other test runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { REST_NODE, startTestNode, until, type TestNode } from '../../harness/test-node.js';
import { publish, publisher, query, reachable } from './support.js';

const available = await reachable(1883);
const skip = available ? false : 'Mosquitto is not reachable on 127.0.0.1:1883';

function sensorsTopic(name: string, qos = 1): string {
  return (
    `topic = (name = ${name} and qos = ${qos} and dbms = test and table = "bring [sensor]" and column.timestamp.timestamp = now and ` +
    'column.value = (type = float and value = "bring [reading][value]") and column.unit.str = "bring [reading][unit]")'
  );
}

async function node(t: { after(fn: () => Promise<void>): void }): Promise<TestNode> {
  const n = await startTestNode(REST_NODE());
  t.after(() => n.stop());
  return n;
}

async function connected(n: TestNode): Promise<void> {
  await until(async () => /Connection:\s+Connected\r\n/.test(await n.cmd('get msg clients')), 15_000, 50);
}

test(
  'readings published to Mosquitto land in the table with their types; a bad one is counted with its reason',
  { skip },
  async (t) => {
    const n = await node(t);
    const name = `elrt/${randomBytes(4).toString('hex')}/sensors`;
    assert.equal(
      await n.cmd(
        `run msg client where broker = 127.0.0.1 and port = 1883 and user = reader and log = false and ${sensorsTopic(name)}`,
      ),
      '',
    );
    await connected(n);
    const dev = await publisher(1883);
    t.after(() => dev.endAsync());
    await publish(dev, name, '{"sensor":"Mosq-1","reading":{"value":21.5,"unit":"C"}}');
    await publish(dev, name, '{"sensor":"Mosq-1","reading":{"value":"22","unit":"C"}}');
    await publish(dev, name, '{"sensor":"Mosq-1","reading":{"value":"warm","unit":"C"}}');
    await publish(
      dev,
      name,
      '[{"sensor":"Mosq-1","reading":{"value":23.25,"unit":"C"}}, {"sensor":"Mosq-2","reading":{"value":-1,"unit":"F"}}]',
    );
    await until(async () => (await query(n.cmd, 'test', 'select value from mosq_2')).length === 1, 10_000);
    await until(async () => (await query(n.cmd, 'test', 'select value from mosq_1')).length === 3, 10_000);
    const rows = await query(n.cmd, 'test', 'select value, unit from mosq_1 order by value');
    assert.deepEqual(rows, [
      { value: 21.5, unit: 'C' },
      { value: 22, unit: 'C' },
      { value: 23.25, unit: 'C' },
    ]);
    const shown = await n.cmd('get msg clients');
    assert.match(
      shown,
      /Subscription ID: 0001\r\nUser:         reader\r\nBroker:       127\.0\.0\.1:1883\r\nConnection:   Connected\r\n/,
    );
    assert.match(
      shown,
      /\n\s+4\s+3\s+1\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+Error with info provided to MQTT/,
    );
    assert.match(shown, /Rows: 4/);
    assert.match(shown, /Last error reason: topic '[^']+' column 'value' pulls '\[reading\]\[value\]'/);
    assert.match(await n.cmd(`get msg clients where topic = ${name}`), /Subscription ID: 0001/);
    assert.equal(await n.cmd('get msg clients where topic = nothing/here'), 'No such client subscription');
    assert.equal(await n.cmd('get msg clients where id = 7'), '\r\nSubscription 7 is not in use');
  },
);

test('a password never shows in get msg clients, get processes or the logs', { skip }, async (t) => {
  const n = await node(t);
  const name = `elrt/${randomBytes(4).toString('hex')}/secret`;
  const password = `pw-${randomBytes(6).toString('hex')}`;
  assert.equal(
    await n.cmd(
      `run msg client where broker = 127.0.0.1 and user = u1 and password = ${password} and ${sensorsTopic(name)}`,
    ),
    '',
  );
  await connected(n);
  const outputs = [
    await n.cmd('get msg clients'),
    await n.cmd('get msg clients where detailed = true and statistics = true'),
    await n.cmd('get processes'),
    await n.cmd('get processes where format = json'),
  ];
  for (const o of outputs) assert.ok(!o.includes(password), 'the password is not shown');
  assert.ok(!JSON.stringify(n.logs.records).includes(password), 'the password is not logged');
});

test(
  'exit mqtt stops the client; a client worker that is killed comes back and subscribes again',
  { skip },
  async (t) => {
    const n = await node(t);
    const a = `elrt/${randomBytes(4).toString('hex')}/a`;
    const b = `elrt/${randomBytes(4).toString('hex')}/b`;
    assert.equal(await n.cmd(`run msg client where broker = 127.0.0.1 and ${sensorsTopic(a)}`), '');
    assert.equal(
      await n.cmd(
        `run mqtt client where broker = 127.0.0.1 and ${sensorsTopic(b)} and topic = (name = ${b}/x and dbms = test and table = x and column.v.int = "bring [v]")`,
      ),
      '',
    );
    await until(
      async () => ((await n.cmd('get msg clients')).match(/Connection:\s+Connected\r\n/g) ?? []).length === 2,
      15_000,
      50,
    );
    // EdgeLake numbering: one id per topic, the client takes the last one.
    const ids = [...(await n.cmd('get msg clients')).matchAll(/Subscription ID: (\d{4})/g)].map((m) => m[1]);
    assert.deepEqual(ids, ['0001', '0003']);
    await assert.rejects(
      n.cmd(`run msg client where broker = 127.0.0.1 and ${sensorsTopic(a)}`),
      /The Topic '[^']+' was subscribed by client #1 on this broker/,
    );

    // Supervision: kill the second client's worker; it restarts, reconnects and resubscribes.
    const before = n.running.node.instances('msg-client').find((i) => i.id === 'msg-client-2')!;
    assert.ok(n.running.node.kill('msg-client-2'));
    await until(
      () =>
        (n.running.node.instances('msg-client').find((i) => i.id === 'msg-client-2')?.restarts ?? 0) > before.restarts,
      15_000,
      50,
    );
    await until(
      async () => ((await n.cmd('get msg clients')).match(/Connection:\s+Connected\r\n/g) ?? []).length === 2,
      15_000,
      50,
    );
    const dev = await publisher(1883);
    t.after(() => dev.endAsync());
    await publish(dev, b, '{"sensor":"after-restart","reading":{"value":5,"unit":"C"}}');
    await until(async () => (await query(n.cmd, 'test', 'select value from after_restart')).length === 1, 10_000);

    assert.equal(await n.cmd('exit mqtt 3'), '');
    assert.deepEqual(
      [...(await n.cmd('get msg clients')).matchAll(/Subscription ID: (\d{4})/g)].map((m) => m[1]),
      ['0001'],
    );
    assert.equal(await n.cmd('exit mqtt'), '');
    assert.equal(await n.cmd('get msg clients'), '\r\nNo message client subscriptions');
    assert.match(await n.cmd('get processes'), /MQTT\s*\|Not declared/);
  },
);
