// Kafka -> SQLite rows/s through the node's Kafka consumer (mapping, durable journal, streamer, operator)
// against a raw kafkajs consumer that only counts the same records, in the same run, on librdkafka's mock
// cluster (harness/kafka-mock). Node in a child process (the compiled CLI). Skips with a message
// line when the mock cannot be built (librdkafka-dev not installable).
//   npm run bench -- kafka          BENCH_KAFKA_RECORDS (default 180000), BENCH_KAFKA_PARTITIONS (6)
// Both clocks start when the consumer has joined its group (the mock delays a new group's first join by
// about 3 s) and stop at the last record: counted (raw) or queryable in SQLite (node).
// The mock keeps about 5 MB per partition (older record sets are dropped): 180k records of ~120 bytes
// are spread over 6 partitions to stay under it.
import { request } from 'node:http';
import { rmSync } from 'node:fs';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { count, get, startNode } from './ingest-common.js';
import { ensureBuilt } from './lib/build.js';
import { jsonLine, median, note } from './lib/report.js';
import { kafkaMock, startKafkaMock } from '../harness/kafka-mock/index.js';

const RECORDS = Number(process.env['BENCH_KAFKA_RECORDS'] ?? 180_000);
const PARTITIONS = Number(process.env['BENCH_KAFKA_PARTITIONS'] ?? 6);
/** What librdkafka's mock keeps per partition (rdkafka_mock.c: 5 MB), with a margin. */
const MOCK_PARTITION_BYTES = 4.5 * 1024 * 1024;
const WARM = 5_000;

const MAPPING = (topic: string, table: string) =>
  `topic = (name = ${topic} and dbms = bench and table = ${table} and column.timestamp.timestamp = "bring [timestamp]" and column.device.str = "bring [device]" and column.value.float = "bring [value]" and column.count.int = "bring [count]" and column.ok = (type = bool and value = "bring [ok]"))`;

/**
 * The rows of bench/ingest-common.ts (5 data columns, every row unique), as Kafka records; 5,000 records
 * per partition per request (the mock answers a fetch with one record set per partition, so this is
 * the batch size both consumers see; a real broker fills a fetch up to its byte limits).
 */
async function produce(p: Producer, topic: string, n: number): Promise<void> {
  const base = Date.UTC(2026, 0, 1);
  const per = 5_000 * PARTITIONS;
  for (let b = 0; b < n; b += per) {
    const messages = [];
    for (let k = b; k < Math.min(n, b + per); k++) {
      messages.push({
        partition: k % PARTITIONS,
        value: JSON.stringify({
          timestamp: new Date(base + k).toISOString(),
          device: `dev-${k % 16}`,
          value: k * 0.25,
          count: k,
          ok: k % 2 === 0,
        }),
      });
    }
    await p.send({ topic, acks: -1, messages });
  }
}

function post(port: number, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method: 'POST', headers: { command, 'User-Agent': 'AnyLog/1.23' } },
      (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (data += c));
        res.on('end', () =>
          res.statusCode === 200 ? resolve(data) : reject(new Error(`POST ${command}: ${res.statusCode} ${data}`)),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/**
 * Seconds for a raw kafkajs consumer to fetch and count the `n` records of `topic`, `passes` times: one
 * group join (the mock holds a new group's first join for 3 s), then a seek back to offset 0 per pass.
 */
async function rawBaseline(brokers: string[], topic: string, n: number, passes: number): Promise<number[]> {
  const kafka = new Kafka({ clientId: 'bench-raw', brokers, logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `raw-${Date.now()}`, maxWaitTimeInMs: 500 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const times: number[] = [];
  let seen = 0;
  let t0 = 0;
  let done: () => void = () => undefined;
  let pass = new Promise<void>((r) => (done = r));
  consumer.on(consumer.events.GROUP_JOIN, () => (t0 = performance.now()));
  await consumer.run({
    partitionsConsumedConcurrently: PARTITIONS,
    eachBatch: async ({ batch, isStale }) => {
      if (isStale()) return;
      seen += batch.messages.length;
      if (seen >= n) done();
    },
  });
  for (let i = 0; i < passes; i++) {
    await pass;
    times.push((performance.now() - t0) / 1000);
    if (i === passes - 1) break;
    pass = new Promise<void>((r) => (done = r));
    seen = 0;
    t0 = performance.now();
    for (let p = 0; p < PARTITIONS; p++) consumer.seek({ topic, partition: p, offset: '0' });
  }
  await consumer.disconnect();
  return times;
}

async function until(fn: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`not done within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const mock = kafkaMock();
if (mock.ok && (RECORDS / PARTITIONS) * 130 > MOCK_PARTITION_BYTES) {
  throw new Error(
    `${RECORDS} records on ${PARTITIONS} partitions exceed what the mock keeps per partition: use more partitions`,
  );
}
if (!mock.ok) {
  note(`bench kafka: skipped: ${mock.reason}`);
  process.stdout.write(JSON.stringify({ bench: 'kafka', skipped: mock.reason }) + '\n');
} else {
  ensureBuilt();
  const cluster = await startKafkaMock({ warm: PARTITIONS, bench: PARTITIONS });
  const kafka = new Kafka({ clientId: 'bench-producer', brokers: cluster.brokers, logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const node = await startNode('  bench:\n    type: sqlite\n');
  try {
    note(`bench kafka: producing ${RECORDS} records on ${PARTITIONS} partitions`);
    await produce(producer, 'warm', WARM);
    await produce(producer, 'bench', RECORDS);
    const port = cluster.brokers[0]!.split(':')[1];
    const run = (group: string, topic: string, table: string) =>
      `run kafka consumer where ip = 127.0.0.1 and port = ${port} and reset = earliest and threads = ${PARTITIONS} and group_id = ${group} and ${MAPPING(topic, table)}`;
    // Warm-up (not measured): the whole path once, the table created.
    await post(node.port, run('warm', 'warm', 'warm'));
    await until(async () => (await count(node.port, 'bench', 'warm')) >= WARM, 30_000);
    await post(node.port, 'exit kafka');
    note('bench kafka: warm-up done; raw kafkajs baseline (median of 3 runs)');
    const raw = await rawBaseline(cluster.brokers, 'bench', RECORDS, 3);
    const baselineSecs = median(raw);
    note(`bench kafka: baseline ${raw.map((x) => x.toFixed(2)).join(', ')} s; the node`);
    await post(node.port, run('measured', 'bench', 'readings'));
    await until(async () => /Connection: {3}Connected/.test(await get(node.port, 'get kafka consumer')), 30_000);
    const t0 = performance.now();
    await until(async () => (await count(node.port, 'bench', 'readings')) >= RECORDS, 120_000);
    const secs = (performance.now() - t0) / 1000;
    const n = await count(node.port, 'bench', 'readings');
    if (n !== RECORDS) throw new Error(`expected ${RECORDS} rows, found ${n}`);
    jsonLine('kafka', RECORDS / secs, 'rows/s', RECORDS / baselineSecs, {
      rows: RECORDS,
      partitions: PARTITIONS,
      secs: Number(secs.toFixed(3)),
      baseline_secs: Number(baselineSecs.toFixed(3)),
    });
  } finally {
    await node.stop();
    rmSync(node.root, { recursive: true, force: true });
    await producer.disconnect();
    await cluster.stop();
  }
}
