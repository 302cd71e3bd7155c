// What every benchmark prints: one JSON line per figure,
//   {"bench","value","unit","baseline","ratio","cores","node","git", ...extra}
// with the baseline measured in the same run (the machine is shared and noisy: the ratio counts).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

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
  [extra: string]: unknown;
}

/**
 * The checked-out commit, read from .git (HEAD, then the ref file or packed-refs) without running git.
 * 'unknown' outside a git checkout.
 */
export function gitSha(root = REPO): string {
  let dir = join(root, '.git');
  try {
    // A worktree's `.git` is a file naming its git dir (HEAD there); refs live in the common dir it names.
    let common = dir;
    if (statSync(dir).isFile()) {
      dir = resolve(
        root,
        readFileSync(dir, 'utf8')
          .replace(/^gitdir:\s*/, '')
          .trim(),
      );
      const c = join(dir, 'commondir');
      common = existsSync(c) ? resolve(dir, readFileSync(c, 'utf8').trim()) : dir;
    }
    const head = readFileSync(join(dir, 'HEAD'), 'utf8').trim();
    const ref = /^ref: (.+)$/.exec(head)?.[1];
    if (!ref) return head.slice(0, 12);
    const loose = [join(dir, ref), join(common, ref)].find((p) => existsSync(p));
    if (loose) return readFileSync(loose, 'utf8').trim().slice(0, 12);
    const packed = readFileSync(join(common, 'packed-refs'), 'utf8')
      .split('\n')
      .find((l) => l.endsWith(` ${ref}`));
    return packed ? packed.slice(0, 12) : 'unknown';
  } catch (err) {
    process.stderr.write(`bench: no git commit found (${(err as Error).message})\n`);
    return 'unknown';
  }
}

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
    git: gitSha(),
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
