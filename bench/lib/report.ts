// What every benchmark prints: one JSON line per figure,
//   {"bench","value","unit","baseline","ratio","cores","node","git", ...extra}
// with the baseline measured in the same run (the machine is shared and noisy: the ratio counts).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { activeAllocator } from '../../main/cli/allocator.js';
import { benchAllocatorEnv } from './allocator-env.js';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));

export interface Figure {
  bench: string;
  value: number;
  unit: string;
  baseline: number;
  /** value / baseline (for throughput higher is better; for latency lower is better, say so in `note`). */
  ratio: number;
  cores: number;
  node: string;
  git: string;
  /** True when the working tree differs from `git` (a run on uncommitted code: printed, never recorded). */
  dirty: boolean;
  [extra: string]: unknown;
}

/**
 * The checked-out commit: `git rev-parse HEAD`, else read from .git (HEAD, then the ref file or packed-refs).
 * 'unknown' outside a git checkout.
 */
let shaMemo: string | undefined;

export function gitSha(root = REPO): string {
  shaMemo ??= readSha(root);
  return shaMemo;
}

function readSha(root: string): string {
  try {
    // A worktree's .git is a file pointing elsewhere: ask git first, read .git/ when there is no git binary.
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim().slice(0, 12);
  } catch (err) {
    process.stderr.write(`bench: git rev-parse failed (${(err as Error).message.split('\n')[0]}): reading .git/\n`);
  }
  const dir = join(root, '.git');
  try {
    const head = readFileSync(join(dir, 'HEAD'), 'utf8').trim();
    const ref = /^ref: (.+)$/.exec(head)?.[1];
    if (!ref) return head.slice(0, 12);
    const loose = join(dir, ref);
    if (existsSync(loose)) return readFileSync(loose, 'utf8').trim().slice(0, 12);
    const packed = readFileSync(join(dir, 'packed-refs'), 'utf8')
      .split('\n')
      .find((l) => l.endsWith(` ${ref}`));
    return packed ? packed.slice(0, 12) : 'unknown';
  } catch (err) {
    process.stderr.write(`bench: no git commit found (${(err as Error).message})\n`);
    return 'unknown';
  }
}

let dirtyMemo: boolean | undefined;

/**
 * Whether tracked files differ from HEAD, or an untracked source file exists (bench/results/ and ignored files
 * do not count): a figure from such a tree cannot be traced to a commit. Runs `git status` once per process;
 * no git (or not a checkout) counts as dirty.
 */
export function gitDirty(root = REPO): boolean {
  if (dirtyMemo !== undefined) return dirtyMemo;
  try {
    const out = execFileSync('git', ['status', '--porcelain'], { cwd: root, encoding: 'utf8' });
    dirtyMemo = out
      .split('\n')
      .filter((l) => l.trim() !== '')
      .some((l) => !l.slice(3).startsWith('bench/results/'));
  } catch (err) {
    process.stderr.write(`bench: git status failed (${(err as Error).message.split('\n')[0]}): counted as dirty\n`);
    dirtyMemo = true;
  }
  return dirtyMemo;
}

// Read when the bench starts: the tree that ran is the one to judge, not the one at the end of a long run (an
// edit made meanwhile must not clean or dirty a figure already being measured).
const DIRTY_AT_START = gitDirty();
const SHA_AT_START = gitSha();
const ALLOCATOR = activeAllocator() === 'jemalloc' ? 'jemalloc' : 'glibc';
// A bench run directly (`node --import tsx bench/<name>.ts`, not through bench/run.ts) is not on the allocator the
// node would preload: the nodes it starts then stay on glibc like it and its baselines, and its lines say glibc.
if (
  ALLOCATOR === 'glibc' &&
  !/bench[/\\]run\.ts$/.test(process.argv[1] ?? '') &&
  Object.keys(benchAllocatorEnv()).length > 0
)
  process.env['ELRT_ALLOCATOR'] = 'glibc';

const round = (x: number): number => (Math.abs(x) >= 100 ? Math.round(x) : Number(x.toPrecision(4)));

/** Prints one figure as a JSON line on stdout and returns it. */
export function jsonLine(
  bench: string,
  value: number,
  unit: string,
  baseline: number,
  extra: Record<string, unknown> = {},
): Figure {
  const fig: Figure = {
    bench,
    value: round(value),
    unit,
    baseline: round(baseline),
    ratio: baseline === 0 ? 0 : Number((value / baseline).toFixed(3)),
    cores: availableParallelism(),
    node: process.version,
    git: SHA_AT_START,
    dirty: DIRTY_AT_START,
    // The machine is shared (other sessions' tests and benches): the 1-minute load says how much.
    load1: Number(loadavg()[0]!.toFixed(2)),
    // The malloc this bench process (and so its baselines, and the node it started) ran on: lib/allocator-env.ts.
    allocator: ALLOCATOR,
    ...(ALLOCATOR === 'jemalloc' ? { malloc_conf: process.env['MALLOC_CONF'] ?? '' } : {}),
    ...extra,
  };
  process.stdout.write(JSON.stringify(fig) + '\n');
  return fig;
}

/** The p-th percentile (0..100) of the samples, nearest-rank. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

export const median = (samples: readonly number[]): number => percentile(samples, 50);

/** Progress for humans on stderr (stdout carries only the JSON lines). */
export function note(text: string): void {
  process.stderr.write(`${text}\n`);
}
