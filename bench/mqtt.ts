// MQTT -> SQLite through a broker: msg client (QoS 1, rows durable before each PUBACK) vs a raw mqtt.js subscriber.
// npm run bench -- mqtt      (or: node --import tsx bench/mqtt.ts)
//
// A private mosquitto on a free port (unbounded queues: the default max_queued_messages of 1000 drops for a
// subscriber that falls behind, edgelake-measured.md), a node in a child process (the compiled CLI) with
// `msg_client` subscribed at QoS 1, and in this process a raw mqtt.js subscriber (QoS 1, counts only) on the
// same topic. A paced publisher sends QoS 1 messages of ROWS readings each at RATE messages a second:
// warm-up (discarded), then WINDOW seconds measured. Each side's figure is the messages of the window
// divided by the time from the window's start until that side has them all (the node: rows queryable in
// SQLite). A side that keeps up scores about RATE; one that falls behind scores what it managed.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { count, freePort, get } from './ingest-common.js';
import { ensureBuilt } from './lib/build.js';
import { REPO, jsonLine, note } from './lib/report.js';

const RATE = Number(process.env['BENCH_MQTT_RATE'] ?? 3000);
const ROWS = Number(process.env['BENCH_MQTT_ROWS'] ?? 5);
const WARMUP_S = Number(process.env['BENCH_MQTT_WARMUP'] ?? 3);
const WINDOW_S = Number(process.env['BENCH_MQTT_WINDOW'] ?? 10);
const MOSQUITTO = '/usr/sbin/mosquitto';
const TOPIC = 'bench/readings';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(fn: () => Promise<boolean> | boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`bench mqtt: ${what} within ${ms} ms`);
    await sleep(50);
  }
}

function startMosquitto(dir: string, port: number): ChildProcess {
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      'max_queued_messages 0',
      'max_inflight_messages 1000',
      'log_dest none',
      ...(process.getuid?.() === 0 ? ['user root'] : []),
    ].join('\n') + '\n',
  );
  return spawn(MOSQUITTO, ['-c', conf], { stdio: 'ignore' });
}

function startNode(root: string, restPort: number, mqttPort: number): ChildProcess {
  const yaml = join(root, 'node.yaml');
  writeFileSync(
    yaml,
    [
      'node:',
      '  name: bench',
      `  root: ${root}`,
      '  log_level: warn',
      'dbms:',
      '  bench:',
      '    type: sqlite',
      'services:',
      '  rest_server:',
      '    internal_ip: 127.0.0.1',
      `    internal_port: ${restPort}`,
      '  streamer: {}',
      '  operator: {}',
      '  msg_client:',
      '    broker: 127.0.0.1',
      `    port: ${mqttPort}`,
      '    qos: 1',
      '    topic:',
      `      name: ${TOPIC}`,
      '      dbms: bench',
      '      table: readings',
      '      column.timestamp.timestamp: "bring [readings][][ts]"',
      '      column.device.str: "bring [device]"',
      '      column.value.float: "bring [readings][][value]"',
      '      column.count.int: "bring [readings][][count]"',
      '',
    ].join('\n'),
  );
  return spawn(process.execPath, [join(REPO, 'dist/main/cli/main.js'), 'start', yaml], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

function message(k: number): string {
  const readings = Array.from({ length: ROWS }, (_, i) => ({
    ts: new Date(Date.UTC(2026, 0, 1) + k * ROWS + i).toISOString(),
    value: (k * ROWS + i) * 0.25,
    count: k * ROWS + i,
  }));
  return JSON.stringify({ device: `dev-${k % 16}`, readings });
}

/** Publishes `n` messages starting at `first`, paced at RATE a second (10 ms ticks). */
async function publishPaced(pub: mqtt.MqttClient, first: number, n: number): Promise<void> {
  const perTick = RATE / 100;
  const t0 = performance.now();
  let sent = 0;
  const acks: Promise<void>[] = [];
  while (sent < n) {
    const due = Math.min(n, Math.floor(((performance.now() - t0) / 10 + 1) * perTick));
    for (; sent < due; sent++) {
      const k = first + sent;
      acks.push(
        new Promise((resolve, reject) =>
          pub.publish(TOPIC, message(k), { qos: 1 }, (err) => (err ? reject(err) : resolve())),
        ),
      );
    }
    await sleep(Math.max(0, t0 + (sent / perTick) * 10 - performance.now()));
  }
  await Promise.all(acks);
}

if (!existsSync(MOSQUITTO)) {
  note(`bench mqtt: ${MOSQUITTO} is not installed; skipped`);
  process.exit(0);
}
ensureBuilt();
const dir = mkdtempSync(join(tmpdir(), 'elrt-bench-mqtt-'));
const mqttPort = await freePort();
const restPort = await freePort();
const mosq = startMosquitto(dir, mqttPort);
let node: ChildProcess | undefined;
let raw: mqtt.MqttClient | undefined;
let pub: mqtt.MqttClient | undefined;
try {
  node = startNode(dir, restPort, mqttPort);
  await until(
    async () => {
      try {
        return /Connection:\s+Connected\r\n/.test(await get(restPort, 'get msg clients'));
      } catch {
        return false; // the node is still starting
      }
    },
    30_000,
    'the node did not subscribe',
  );
  let rawCount = 0;
  raw = await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, { protocolVersion: 5, clientId: 'bench-raw' });
  raw.on('message', () => rawCount++);
  await raw.subscribeAsync(TOPIC, { qos: 1 });
  pub = await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, { clientId: 'bench-pub' });

  note(`bench mqtt: ${RATE} msg/s x ${ROWS} rows, warm-up ${WARMUP_S} s, window ${WINDOW_S} s`);
  const warm = RATE * WARMUP_S;
  await publishPaced(pub, 0, warm);
  await until(
    async () => (await count(restPort, 'bench', 'readings')) >= warm * ROWS && rawCount >= warm,
    60_000,
    'the warm-up did not land',
  );

  const measured = RATE * WINDOW_S;
  const raw0 = rawCount;
  const rows0 = await count(restPort, 'bench', 'readings');
  const t0 = performance.now();
  let rawDone = 0;
  let nodeDone = 0;
  const watchRaw = (async () => {
    while (rawCount - raw0 < measured) await sleep(2);
    rawDone = performance.now();
  })();
  const watchNode = (async () => {
    while ((await count(restPort, 'bench', 'readings')) - rows0 < measured * ROWS) await sleep(50);
    nodeDone = performance.now();
  })();
  await publishPaced(pub, warm, measured);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error('bench mqtt: the window did not land within 3x its length')),
      WINDOW_S * 3000,
    );
  });
  await Promise.race([Promise.all([watchRaw, watchNode]), deadline]);
  clearTimeout(timer);
  const rawRate = measured / ((rawDone - t0) / 1000);
  const nodeRate = measured / ((nodeDone - t0) / 1000);
  const extra = {
    rate: RATE,
    rows_per_msg: ROWS,
    window_s: WINDOW_S,
    messages: measured,
    broker: 'mosquitto (private, max_queued_messages 0)',
  };
  jsonLine('mqtt', nodeRate, 'msg/s', rawRate, extra);
  jsonLine('mqtt', nodeRate * ROWS, 'rows/s', rawRate * ROWS, extra);
  const shown = await get(restPort, 'get msg clients');
  note(shown.split('\r\n').slice(6, 9).join('\n'));
} finally {
  await pub?.endAsync(true);
  await raw?.endAsync(true);
  if (node && node.exitCode === null) {
    const exited = new Promise((r) => node!.once('exit', r));
    node.kill('SIGTERM');
    await Promise.race([exited, sleep(10_000)]);
  }
  mosq.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
