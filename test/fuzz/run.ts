// `npm run fuzz -- <target> [--runs N] [--seed S] [--per-input-ms MS]`: up to millions of inputs on one target, one
// JSON line out ({"bench":"fuzz",...,"crashes","hangs","git"}). The inputs run in a child process that reports
// progress; a child silent for 30 s is stuck in a loop no per-input check can see (a synchronous one), so it is
// killed and reported as a hang. `all` runs every pure target in turn. Targets: test/fuzz/targets.ts.
import { spawn, execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { cpus } from 'node:os';
import { TARGETS } from './targets.js';
import { fuzz, type FuzzResult } from './check.js';

const SILENT_MS = 30_000;

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function git(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

async function child(name: string, runs: number, seed: number | undefined, perInputMs: number): Promise<void> {
  const r = await fuzz(TARGETS[name]!, {
    runs,
    ...(seed !== undefined ? { seed } : {}),
    perInputMs,
    progressEvery: 1000,
    onProgress: (n) => process.stdout.write(`progress ${n}\n`),
  });
  process.stdout.write(`result ${JSON.stringify(r)}\n`);
}

function watch(name: string, runs: number, seed: number | undefined, perInputMs: number): Promise<FuzzResult> {
  return new Promise((resolve, reject) => {
    const args = ['--import', 'tsx', fileURLToPath(import.meta.url), name, '--child', '--runs', String(runs)];
    if (seed !== undefined) args.push('--seed', String(seed));
    args.push('--per-input-ms', String(perInputMs));
    const p = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let last = Date.now();
    let done = 0;
    let result: FuzzResult | undefined;
    let buf = '';
    p.stdout.setEncoding('utf8');
    p.stdout.on('data', (c: string) => {
      buf += c;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        last = Date.now();
        if (line.startsWith('progress ')) done = Number(line.slice(9));
        else if (line.startsWith('result ')) result = JSON.parse(line.slice(7)) as FuzzResult;
      }
    });
    const t0 = Date.now();
    const timer = setInterval(() => {
      if (Date.now() - last > SILENT_MS) {
        clearInterval(timer);
        p.kill('SIGKILL');
        resolve({
          target: name,
          runs: done,
          crashes: 0,
          hangs: 1,
          maxInputMs: SILENT_MS,
          ms: Date.now() - t0,
          seed: seed ?? -1,
          error: `no progress for ${SILENT_MS} ms after ${done} inputs`,
        });
      }
    }, 1000);
    p.on('exit', (code) => {
      clearInterval(timer);
      if (result) resolve(result);
      else if (code !== null) reject(new Error(`fuzz child for ${name} exited ${code} without a result`));
    });
  });
}

async function main(): Promise<void> {
  const name = process.argv[2];
  const runs = Number(arg('--runs') ?? 100_000);
  const seedArg = arg('--seed');
  const seed = seedArg === undefined ? undefined : Number(seedArg);
  const perInputMs = Number(arg('--per-input-ms') ?? 1000);
  if (!name || (name !== 'all' && !TARGETS[name])) {
    process.stderr.write(`usage: npm run fuzz -- <${Object.keys(TARGETS).join('|')}|all> [--runs N] [--seed S]\n`);
    process.exit(2);
  }
  if (process.argv.includes('--child')) return child(name, runs, seed, perInputMs);
  // The commit the inputs ran against: taken before they run (the tree may move on during a long run).
  const sha = git();
  let failed = false;
  for (const t of name === 'all' ? Object.keys(TARGETS) : [name]) {
    const r = await watch(t, runs, seed, perInputMs);
    failed ||= r.crashes + r.hangs > 0;
    const line = {
      bench: `fuzz-${t}`,
      ...r,
      cores: cpus().length,
      node: process.version,
      git: sha,
    };
    process.stdout.write(`${JSON.stringify(line)}\n`);
  }
  process.exit(failed ? 1 : 0);
}

await main();
