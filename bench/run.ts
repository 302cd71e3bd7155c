// npm run bench -- <name>             runs bench/<name>.ts once (JSON lines on stdout, progress on stderr)
// npm run bench -- all [names...]     runs each (all, or the names given) ROUNDS times (BENCH_ROUNDS, default 3)
//                                     and prints one line per figure with min/median/max over the rounds;
//                                     on a clean tree appends them to bench/results/<yyyy-mm-dd>.jsonl
// npm run bench -- summary [file]     rewrites bench/README.md's summary table from the results files (the
//                                     newest line of each figure across bench/results/, or the one file named)
// npm run bench                       lists the benchmarks
// A benchmark is a bench/*.ts file that no other bench file imports (shared helpers live in bench/lib/
// or are imported by their benchmark). Each runs in its own process, so one bench's workers and heap
// never weigh on the next.
import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { aggregate, type Figure } from './lib/aggregate.js';
import { benchAllocatorEnv } from './lib/allocator-env.js';
import { gitDirty, gitSha } from './lib/report.js';
import { writeSummary } from './lib/summary.js';

const DIR = fileURLToPath(new URL('.', import.meta.url));
const RESULTS = join(DIR, 'results');

function benches(): { name: string; about: string }[] {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.ts') && f !== 'run.ts');
  const texts = new Map(files.map((f) => [f, readFileSync(join(DIR, f), 'utf8')]));
  const imported = (f: string): boolean =>
    [...texts].some(([other, text]) => other !== f && text.includes(`'./${f.replace(/\.ts$/, '.js')}'`));
  return files
    .filter((f) => !imported(f))
    .map((f) => {
      const first =
        texts
          .get(f)!
          .split('\n')
          .find((l) => l.startsWith('//') && !l.includes('npm run bench')) ?? '';
      return { name: f.replace(/\.ts$/, ''), about: first.replace(/^\/\/\s*/, '').slice(0, 100) };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Runs one bench process; resolves with its JSON lines (stdout is also echoed to stderr for the reader). */
function runOnce(name: string, args: string[], capture: boolean): Promise<{ code: number; lines: Figure[] }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(DIR, `${name}.ts`), ...args], {
    stdio: ['ignore', capture ? 'pipe' : 'inherit', 'inherit'],
    // The bench, the node and every baseline on the node's allocator (lib/allocator-env.ts).
    env: { ...process.env, ...benchAllocatorEnv() },
  });
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    process.stderr.write(d);
  });
  return new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      const lines = out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Figure);
      resolve({ code: code ?? (signal ? 1 : 0), lines });
    });
  });
}

async function all(names: string[]): Promise<void> {
  const rounds = Number(process.env['BENCH_ROUNDS'] ?? 3);
  if (!(rounds >= 3)) throw new Error(`BENCH_ROUNDS must be at least 3 (min/median/max), not ${rounds}`);
  const dirty = gitDirty();
  const file = join(RESULTS, `${new Date().toISOString().slice(0, 10)}.jsonl`);
  if (dirty) process.stderr.write(`bench: the tree differs from ${gitSha()}: lines are marked dirty, not recorded\n`);
  for (const name of names) {
    const perRound: Figure[][] = [];
    for (let r = 0; r < rounds; r++) {
      process.stderr.write(`bench all: ${name} round ${r + 1}/${rounds}\n`);
      const { code, lines } = await runOnce(name, [], true);
      if (code !== 0) {
        process.stderr.write(`bench all: ${name} exited ${code}; its figures are left out\n`);
        process.exitCode = 1;
        break;
      }
      perRound.push(lines);
    }
    if (perRound.length < rounds) continue;
    for (const fig of aggregate(perRound)) {
      const line = JSON.stringify(fig);
      process.stdout.write(line + '\n');
      if (!dirty) {
        mkdirSync(RESULTS, { recursive: true });
        appendFileSync(file, line + '\n');
      }
    }
  }
  if (!dirty) process.stderr.write(`bench all: recorded in ${file}\n`);
}

const name = process.argv[2];
const list = benches();
if (name === undefined) {
  process.stdout.write('benchmarks (npm run bench -- <name> | all [names...] | summary [file]):\n');
  for (const b of list) process.stdout.write(`  ${b.name.padEnd(16)} ${b.about}\n`);
} else if (name === 'all') {
  const asked = process.argv.slice(3);
  const unknown = asked.filter((n) => !list.some((b) => b.name === n));
  if (unknown.length > 0) {
    process.stderr.write(`no benchmark ${unknown.join(', ')} (known: ${list.map((b) => b.name).join(', ')})\n`);
    process.exitCode = 2;
  } else await all(asked.length > 0 ? asked : list.map((b) => b.name));
} else if (name === 'summary') {
  process.stdout.write(`${writeSummary(RESULTS, join(DIR, 'README.md'), process.argv[3])}\n`);
} else if (!list.some((b) => b.name === name)) {
  process.stderr.write(`no benchmark '${name}' (known: ${list.map((b) => b.name).join(', ')})\n`);
  process.exitCode = 2;
} else {
  const { code } = await runOnce(name, process.argv.slice(3), false);
  process.exitCode = code;
}
