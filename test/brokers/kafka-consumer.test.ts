// The Kafka consumer against librdkafka's mock cluster (harness/kafka-mock): real kafkajs producer
// and consumer group on loopback, real workers, real SQLite. Skips with the reason when the mock cannot
// be built (librdkafka-dev not installable).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { REST_NODE, startTestNode, until, type TestNode } from '../../harness/test-node.js';
import { freePort } from '../../harness/child-node.js';
import { kafkaMock, startKafkaMock, type KafkaMockCluster } from '../../harness/kafka-mock/index.js';
import { KAFKA_CONSUMER } from '../../actors/kafka-consumer/messages.js';

const mock = kafkaMock();
const skip = mock.ok ? false : `Kafka mock cluster unavailable: ${mock.reason}`;

const TOPIC_CLAUSE = (topic: string, table: string) =>
  `topic = (name = ${topic} and dbms = test and table = ${table} and column.id.int = "bring [id]" and column.ts.timestamp = "bring [ts]" and column.v.int = "bring [v]")`;

interface Rig {
  cluster: KafkaMockCluster;
  producer: Producer;
  node: TestNode;
  port: string;
}

/** A mock cluster with `topics`, a producer and a node (REST, streamer, operator on SQLite `test`). */
async function rig(t: TestContext, topics: Record<string, number>): Promise<Rig> {
  const cleanup: (() => Promise<void>)[] = [];
  // node:test runs `after` hooks in the order they were added: one hook stops the node before the cluster.
  t.after(async () => {
    for (const f of cleanup.reverse()) await f();
  });
  const cluster = await startKafkaMock(topics);
  cleanup.push(() => cluster.stop());
  const kafka = new Kafka({ clientId: 'test-producer', brokers: cluster.brokers, logLevel: logLevel.NOTHING });
  // Not idempotent: the mock refuses InitProducerId.
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  cleanup.push(() => producer.disconnect());
  const node = await startTestNode(REST_NODE());
  cleanup.push(() => node.stop());
  return { cluster, producer, node, port: cluster.brokers[0]!.split(':')[1]! };
}

/** Records first..first+n-1 spread over the partitions; each has a unique id. */
async function produce(p: Producer, topic: string, first: number, n: number, partitions: number): Promise<void> {
  const base = Date.UTC(2026, 0, 1);
  for (let b = first; b < first + n; b += 10_000) {
    const end = Math.min(first + n, b + 10_000);
    const messages = [];
    for (let i = b; i < end; i++)
      messages.push({
        partition: i % partitions,
        value: JSON.stringify({ id: i, ts: new Date(base + i).toISOString(), v: i % 97 }),
      });
    await p.send({ topic, acks: -1, messages });
  }
}

async function counts(n: TestNode, table: string): Promise<{ rows: number; ids: number }> {
  try {
    const r = JSON.parse(
      await n.cmd(`sql test format = json "select count(*) as rows, count(distinct id) as ids from ${table}"`),
    ) as { Query: { rows: number; ids: number }[] };
    return r.Query[0]!;
  } catch (err) {
    if (/no such table/.test((err as Error).message)) return { rows: 0, ids: 0 };
    throw err;
  }
}

const status = (n: TestNode) => n.running.node.ask(KAFKA_CONSUMER, { type: 'kafka.status' });

test(
  '100k records on 3 partitions land exactly once although the consumer worker is killed mid-stream',
  { skip, timeout: 180_000 },
  async (t) => {
    const { producer, node: n, port } = await rig(t, { sensors: 3 });
    await produce(producer, 'sensors', 0, 50_000, 3);
    // commit_interval = 30 seconds: only the first batch has its offset committed before the kill, so
    // the records journaled after it are re-delivered to the restarted worker (and must be skipped).
    await n.cmd(
      `run kafka consumer where ip = 127.0.0.1 and port = ${port} and reset = earliest and group_id = exactly-once and session_timeout = 3 seconds and commit_interval = 30 seconds and ${TOPIC_CLAUSE('sensors', 'readings')}`,
    );
    let before = 0;
    await until(
      async () => {
        before = (await status(n)).topics[0]!.rows;
        return before >= 25_000;
      },
      60_000,
      5,
    );
    assert.ok(n.running.node.kill('kafka-consumer'));
    // The rest is produced while the worker restarts and the group waits out the dead member.
    await produce(producer, 'sensors', 50_000, 50_000, 3);
    await until(async () => (await counts(n, 'readings')).rows >= 100_000, 120_000, 200);
    // A duplicate, if there were one, would arrive with the last batches: give it the time to.
    await new Promise((r) => setTimeout(r, 1500));
    assert.deepEqual(await counts(n, 'readings'), { rows: 100_000, ids: 100_000 });
    assert.equal(n.running.node.instances('kafka-consumer')[0]!.restarts, 1);
    const s = (await status(n)).topics[0]!;
    t.diagnostic(
      `killed after at least ${before} rows; the restarted worker journaled ${s.rows} rows and skipped ${s.skipped} re-delivered records`,
    );
    assert.equal(s.errors, 0);
    assert.ok(s.skipped > 0, 'the restarted consumer was re-delivered records it had journaled, and skipped them');
  },
);

test(
  'exit kafka commits its offsets: a new consumer in the group resumes without re-reading',
  { skip, timeout: 120_000 },
  async (t) => {
    const { producer, node: n, port } = await rig(t, { events: 2 });
    const run = `run kafka consumer where ip = 127.0.0.1 and port = ${port} and reset = earliest and group_id = resume and session_timeout = 3 seconds and ${TOPIC_CLAUSE('events', 'events')}`;
    await produce(producer, 'events', 0, 2_000, 2);
    await n.cmd(run);
    await until(async () => (await status(n)).topics[0]!.rows === 2_000, 30_000);
    // /metrics: every message counted, and no lag left on either partition (reported about once a second).
    const metric = (line: string) => async () => (await n.running.node.metrics.text()).split('\n').includes(line);
    await until(metric('edgelake_rt_msg_messages_total{client="kafka-consumer",topic="events"} 2000'), 5_000, 100);
    for (const p of ['0', '1'])
      await until(metric(`edgelake_rt_kafka_consumer_lag_messages{topic="events",partition="${p}"} 0`), 5_000, 100);
    const processes = await n.cmd('get processes');
    assert.match(
      processes,
      new RegExp(`Kafka Consumer\\s*\\|Running\\s*\\|Kafka consumer configured to 127\\.0\\.0\\.1:${port}`),
    );
    const shown = await n.cmd('get kafka consumer');
    assert.match(shown, /Connection: {3}Connected/);
    assert.match(shown, /events\s*\|test\.events\s*\|\s*2000\|\s*2000\|\s*0\|\s*2000\|\s*0\|/);
    // EdgeLake lists Kafka consumers among the msg clients (mqtt_client.py get_subscriptions_stat).
    const clients = await n.cmd('get msg clients');
    assert.match(
      clients,
      new RegExp(
        `^\\r\\nSubscription ID: 0001\\r\\nUser: +unused\\r\\nBroker: +127\\.0\\.0\\.1:${port}\\r\\nConnection: +Kafka Consumer\\r\\n`,
      ),
    );
    assert.match(clients, /\r\n {11}2000 {8}2000 {11}0  \d{4}-/, 'messages, success, errors');
    assert.match(clients, /\r\n {5}events *\|False *\| *0\|test *\|events *\|/, 'the topic with its table');
    await n.cmd('exit kafka');
    assert.equal(await n.cmd('get msg clients'), '\r\nNo message client subscriptions');
    assert.match(await n.cmd('get processes'), /Kafka Consumer\s*\|Not declared/);
    assert.equal(await n.cmd('get kafka consumer'), 'No Kafka consumer');
    await produce(producer, 'events', 2_000, 1_000, 2);
    await n.cmd(run);
    await until(async () => (await status(n)).topics[0]!.rows === 1_000, 30_000);
    const s = (await status(n)).topics[0]!;
    assert.equal(s.skipped, 0, 'nothing re-delivered: the offsets were committed at exit');
    await until(async () => (await counts(n, 'events')).rows === 3_000);
    assert.deepEqual(await counts(n, 'events'), { rows: 3_000, ids: 3_000 });
  },
);

test(
  'a record that does not map is counted with its reason and the records after it land',
  { skip, timeout: 60_000 },
  async (t) => {
    const { producer, node: n, port } = await rig(t, { mixed: 1 });
    await producer.send({
      topic: 'mixed',
      messages: [
        { value: JSON.stringify({ id: 1, ts: '2026-01-01T00:00:00Z', v: 1 }) },
        { value: 'this is not JSON' },
        { value: null },
        { value: JSON.stringify({ id: 2, ts: '2026-01-01T00:00:01Z' }) }, // v missing
        { value: JSON.stringify({ id: 3, ts: '2026-01-01T00:00:02Z', v: 3 }) },
      ],
    });
    await n.cmd(
      `run kafka consumer where ip = 127.0.0.1 and port = ${port} and reset = earliest and ${TOPIC_CLAUSE('mixed', 'mixed')}`,
    );
    await until(async () => (await status(n)).topics[0]!.messages === 5, 30_000);
    const s = (await status(n)).topics[0]!;
    assert.deepEqual([s.success, s.errors, s.rows], [2, 3, 2]);
    assert.equal(s.lastError, 'Error with data provided by a subscribed message');
    assert.match(s.lastReason, /^offset 3: .*\[v\]/);
    await until(async () => (await counts(n, 'mixed')).rows === 2);
    assert.match(await n.cmd('get kafka consumer'), /Last error reasons:\r\nmixed: offset 3:/);
    assert.equal(n.running.node.instances('kafka-consumer')[0]!.restarts, 0);
  },
);

test(
  "a topic mapped by a policy id (from the node's metadata) lands in the policy's table",
  { skip, timeout: 60_000 },
  async (t) => {
    const { producer, node: n, port } = await rig(t, { policed: 1 });
    const policy = {
      mapping: {
        id: 'kafka-p1',
        dbms: 'test',
        table: 'bring [kind]',
        schema: { id: { type: 'int', bring: '[id]' }, ts: { type: 'timestamp', bring: '[ts]' } },
      },
    };
    await n.cmd(`kafka_policy = ${JSON.stringify(policy)}`);
    await n.cmd('blockchain insert where policy = !kafka_policy and local = true');
    await producer.send({
      topic: 'policed',
      messages: [1, 2, 3].map((id) => ({
        value: JSON.stringify({ id, kind: 'Door Events', ts: `2026-01-01T00:00:0${id}Z` }),
      })),
    });
    await n.cmd(
      `run kafka consumer where ip = 127.0.0.1 and port = ${port} and reset = earliest and topic = (name = policed and policy = kafka-p1)`,
    );
    await until(async () => (await counts(n, 'door_events')).rows === 3, 30_000);
    assert.equal((await status(n)).topics[0]!.mapping, 'policy kafka-p1');
  },
);

test(
  'a broker that is not there is retried with backoff: the service runs, says why, and exits promptly',
  { timeout: 60_000 },
  async (t) => {
    const n = await startTestNode(REST_NODE());
    t.after(() => n.stop());
    const port = await freePort(); // nothing listens there
    await n.cmd(`run kafka consumer where ip = 127.0.0.1 and port = ${port} and ${TOPIC_CLAUSE('none', 'none')}`);
    await until(async () => /^Not connected: /.test((await status(n)).connection), 45_000, 100);
    assert.match(await n.cmd('get processes'), /Kafka Consumer\s*\|Running/);
    assert.equal(n.running.node.instances('kafka-consumer')[0]!.restarts, 0);
    const t0 = Date.now();
    await n.cmd('exit kafka');
    assert.ok(Date.now() - t0 < 8_000, `exit took ${Date.now() - t0} ms`);
  },
);

test('run kafka consumer refuses a bad mapping before consuming, naming the topic', { timeout: 30_000 }, async (t) => {
  const n = await startTestNode(REST_NODE());
  t.after(() => n.stop());
  await assert.rejects(
    n.cmd(
      'run kafka consumer where ip = 127.0.0.1 and port = 9 and topic = (name = t1 and dbms = test and table = x and column.v.blob = "bring [v]")',
    ),
    /t1/,
  );
  await assert.rejects(
    n.cmd('run kafka consumer where ip = 127.0.0.1 and port = 9 and reset = newest and topic = (name = t1)'),
    /reset: expected latest\|earliest/,
  );
  assert.match(await n.cmd('get processes'), /Kafka Consumer\s*\|Not declared/);
});
