// Helpers of the broker tests: MQTT publishers, a private mosquitto, and table queries.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { freePort } from '../../harness/child-node.js';
import { until } from '../../harness/test-node.js';

export const MOSQUITTO_BIN = '/usr/sbin/mosquitto';

/** True when something accepts TCP connections on host:port within 1 s. */
export function reachable(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const s = netConnect({ host, port });
    const done = (ok: boolean): void => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(1000, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/** A connected mqtt.js client (MQTT 3.1.1 unless asked). */
export async function publisher(port: number, opts: mqtt.IClientOptions = {}): Promise<MqttClient> {
  const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
    reconnectPeriod: 200,
    connectTimeout: 5000,
    ...opts,
  });
  return c;
}

/** Publishes and resolves on the broker's acknowledgement (QoS 1/2) or when written (QoS 0). */
export function publish(c: MqttClient, topic: string, payload: string, qos: 0 | 1 | 2 = 1): Promise<void> {
  return new Promise((resolve, reject) => c.publish(topic, payload, { qos }, (err) => (err ? reject(err) : resolve())));
}

export interface QueryRows {
  Query: Record<string, unknown>[];
}

/** `sql <dbms> format = json "<q>"`; a table that does not exist yet gives no rows. */
export async function query(
  cmd: (t: string) => Promise<string>,
  dbms: string,
  q: string,
): Promise<Record<string, unknown>[]> {
  try {
    return (JSON.parse(await cmd(`sql ${dbms} format = json "${q}"`)) as QueryRows).Query;
  } catch (err) {
    if (/no such table/.test((err as Error).message)) return [];
    throw err;
  }
}

export interface PrivateMosquitto {
  port: number;
  dir: string;
  proc: ChildProcess | undefined;
  /** Graceful stop (SIGTERM: mosquitto saves its persistence file). */
  stop(): Promise<void>;
  start(): Promise<void>;
  release(): Promise<void>;
}

/**
 * A mosquitto of this test alone, on a free port, with persistence (sessions and queued QoS 1 messages
 * survive a restart) and queues large enough that a subscriber that falls behind loses nothing.
 */
export async function privateMosquitto(opts: { port?: number; start?: boolean } = {}): Promise<PrivateMosquitto> {
  const dir = mkdtempSync(join(tmpdir(), 'elrt-mosq-'));
  const port = opts.port ?? (await freePort());
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      'persistence true',
      `persistence_location ${dir}/`,
      'autosave_interval 1',
      'max_queued_messages 0',
      'max_inflight_messages 100',
      'log_dest none',
      // Started as root, mosquitto drops to user `mosquitto`, which cannot write its database here.
      ...(process.getuid?.() === 0 ? ['user root'] : []),
    ].join('\n') + '\n',
  );
  const m: PrivateMosquitto = {
    port,
    dir,
    proc: undefined,
    async start() {
      const proc = spawn(MOSQUITTO_BIN, ['-c', conf], { stdio: 'ignore' });
      m.proc = proc;
      await until(() => reachable(port), 10_000, 50);
    },
    async stop() {
      const p = m.proc;
      if (!p || p.exitCode !== null || p.signalCode !== null) return;
      const exited = new Promise<void>((r) => p.once('exit', () => r()));
      p.kill('SIGTERM');
      await exited;
    },
    async release() {
      await m.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  if (opts.start !== false) await m.start();
  return m;
}

export { until };
