// A Kafka cluster for tests and benchmarks: kafka-mock.c (librdkafka's mock cluster) built on first use.
//   1. librdkafka-dev: if its headers are missing, `apt-get install -y librdkafka-dev` (then, if that
//      fails, `apt-get update` and again); needs root and Debian apt
//   2. gcc -O2 kafka-mock.c -lrdkafka into <tmpdir>/edgelake-rt-kafka-mock/ (named by a hash of the
//      source, so an edit rebuilds it and the repository never holds a binary)
//   3. spawned with the topics on its command line; it prints the bootstrap address and lives until
//      its stdin closes, so it ends with the process that started it, even after a SIGKILL
// When 1 or 2 is impossible, `kafkaMock()` says why and the caller skips.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SOURCE = fileURLToPath(new URL('./kafka-mock.c', import.meta.url));
const HEADER = '/usr/include/librdkafka/rdkafka_mock.h';

export type MockAvailability = { ok: true; binary: string } | { ok: false; reason: string };

let cached: MockAvailability | undefined;

function run(cmd: string, args: string[], timeoutMs: number): { ok: boolean; out: string } {
  const r = spawnSync(cmd, args, {
    encoding: 'utf8',
    timeout: timeoutMs,
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}`;
  return { ok: r.status === 0, out: out.trim().split('\n').slice(-3).join(' | ') };
}

function installLibrdkafka(): string | undefined {
  if (existsSync(HEADER)) return undefined;
  if (process.platform !== 'linux') return `librdkafka-dev is needed (${HEADER}) and this is not Linux`;
  if (process.getuid?.() !== 0)
    return `librdkafka-dev is not installed and apt-get needs root (run: apt-get install -y librdkafka-dev)`;
  let r = run('apt-get', ['install', '-y', 'librdkafka-dev'], 300_000);
  if (!r.ok) {
    run('apt-get', ['update'], 300_000);
    r = run('apt-get', ['install', '-y', 'librdkafka-dev'], 300_000);
  }
  if (!r.ok || !existsSync(HEADER)) return `apt-get install -y librdkafka-dev failed: ${r.out}`;
  return undefined;
}

/** The mock's binary, built if needed; or why it cannot be. Synchronous, cached per process. */
export function kafkaMock(): MockAvailability {
  if (cached) return cached;
  const missing = installLibrdkafka();
  if (missing) return (cached = { ok: false, reason: missing });
  const src = readFileSync(SOURCE);
  const hash = createHash('sha256').update(src).digest('hex').slice(0, 16);
  const dir = join(tmpdir(), 'edgelake-rt-kafka-mock');
  const binary = join(dir, `kafka-mock-${hash}`);
  if (!existsSync(binary)) {
    mkdirSync(dir, { recursive: true });
    const tmp = `${binary}.${process.pid}.tmp`;
    const r = run('gcc', ['-O2', '-Wall', '-o', tmp, SOURCE, '-lrdkafka'], 120_000);
    if (!r.ok) return (cached = { ok: false, reason: `gcc could not build kafka-mock.c: ${r.out}` });
    renameSync(tmp, binary); // atomic: a concurrent build of the same source is harmless
  }
  return (cached = { ok: true, binary });
}

export interface KafkaMockCluster {
  /** `127.0.0.1:port[,...]` */
  bootstrap: string;
  brokers: string[];
  proc: ChildProcess;
  stop(): Promise<void>;
}

/** Starts a mock cluster with `topics` (name -> partition count). Throws when the mock is unavailable. */
export async function startKafkaMock(
  topics: Record<string, number>,
  opts: { brokers?: number } = {},
): Promise<KafkaMockCluster> {
  const m = kafkaMock();
  if (!m.ok) throw new Error(m.reason);
  const args = [
    ...(opts.brokers ? ['--brokers', String(opts.brokers)] : []),
    ...Object.entries(topics).map(([t, n]) => `${t}:${n}`),
  ];
  const proc = spawn(m.binary, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  proc.stderr!.setEncoding('utf8').on('data', (c: string) => (err = (err + c).slice(-4000)));
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const bootstrap = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`kafka-mock did not start within 10 s: ${err}`)), 10_000);
    proc.stdout!.setEncoding('utf8').on('data', (c: string) => {
      out += c;
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(out.slice(0, nl).trim());
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`kafka-mock exited with ${code}: ${err}`));
    });
  });
  return {
    bootstrap,
    brokers: bootstrap.split(','),
    proc,
    stop: async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.stdin!.end();
      const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    },
  };
}
