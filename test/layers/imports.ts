// The project's import graph, read from the sources: every relative `import ... from`, `export ... from`,
// dynamic `import()` and `new URL(..., import.meta.url)` (worker entries), type-only imports included.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

export const ROOT = resolve(new URL('../..', import.meta.url).pathname);

export interface ImportEdge {
  from: string;
  to: string;
  line: number;
}

const SPEC = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|new URL\(\s*)['"](\.{1,2}\/[^'"]*)['"]/g;

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...sources(p));
    else if (/\.(ts|mts|js|mjs)$/.test(e.name) && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Edges from every source file under the given top-level folders (paths relative to the repository). */
export function importEdges(folders: readonly string[]): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const folder of folders) {
    let files: string[];
    try {
      files = sources(join(ROOT, folder));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(SPEC)) {
        const target = resolve(dirname(file), m[1]!).replace(/\.js$/, '.ts');
        const line = text.slice(0, m.index).split('\n').length;
        edges.push({ from: relative(ROOT, file), to: relative(ROOT, target), line });
      }
    }
  }
  return edges;
}
