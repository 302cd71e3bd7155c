// The compiled tree (dist/), which the CLI and production workers run. A benchmark that measures the
// compiled path builds it first when a source is newer than its output (or the output is missing).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REPO, note } from './report.js';
import { SOURCE_DIRS } from '../../harness/source-dirs.js';

function* sources(dir: string): Generator<string> {
  if (!existsSync(dir)) return;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* sources(p);
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !e.name.endsWith('.d.ts')) yield p;
  }
}

/** Sources whose dist/ output is missing or older. */
export function staleOutputs(): string[] {
  const stale: string[] = [];
  for (const d of SOURCE_DIRS) {
    for (const src of sources(join(REPO, d))) {
      const out = join(REPO, 'dist', relative(REPO, src)).replace(/\.ts$/, '.js');
      if (!existsSync(out) || statSync(out).mtimeMs < statSync(src).mtimeMs) stale.push(relative(REPO, src));
    }
  }
  return stale;
}

/** Runs `tsc -p tsconfig.json` when dist/ is stale. Type errors elsewhere do not stop the emit; they are shown. */
export function ensureBuilt(): void {
  const stale = staleOutputs();
  if (stale.length === 0) return;
  note(`bench: dist/ is stale (${stale.length} files, e.g. ${stale[0]}): npx tsc -p tsconfig.json`);
  try {
    execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: REPO, stdio: ['ignore', 'inherit', 'inherit'] });
  } catch (err) {
    note(`bench: tsc reported errors (${(err as Error).message.split('\n')[0]}); using what it emitted`);
  }
  const still = staleOutputs();
  if (still.length > 0) throw new Error(`dist/ is still stale after the build: ${still.join(', ')}`);
}

/** URL of a compiled module, e.g. distUrl('runtime/supervisor.js'). */
export function distUrl(path: string): string {
  return new URL(`../../dist/${path}`, import.meta.url).href;
}
