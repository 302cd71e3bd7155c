// Sums up the .cpuprofile files of one run (BENCH_CPU_PROF=<dir> npm run bench -- ingest-sqlite): per thread,
// the busy share of its wall time and the functions with the most self time, grouped by source file.
//   node --import tsx bench/lib/cpuprof-top.ts <dir> [top]
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const dir = process.argv[2];
const top = Number(process.argv[3] ?? 12);
if (!dir) throw new Error('usage: cpuprof-top.ts <dir> [top]');
for (const f of readdirSync(dir)
  .filter((x) => x.endsWith('.cpuprofile'))
  .sort()) {
  const p = JSON.parse(readFileSync(join(dir, f), 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  p.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
  const wall = p.endTime - p.startTime;
  let idle = 0;
  const fn = new Map<string, number>();
  const file = new Map<string, number>();
  for (const [id, us] of self) {
    const n = byId.get(id)!;
    const name = n.callFrame.functionName || '(anonymous)';
    if (name === '(idle)' || name === '(program)') {
      if (name === '(idle)') idle += us;
    }
    const url = n.callFrame.url.replace(/^.*\/(dist|node_modules)\//, '$1/');
    const key = `${name} ${url}:${n.callFrame.lineNumber + 1}`;
    fn.set(key, (fn.get(key) ?? 0) + us);
    const fk = url || `(${name})`;
    file.set(fk, (file.get(fk) ?? 0) + us);
  }
  const busy = wall - idle;
  const pct = (us: number): string => `${((100 * us) / busy).toFixed(1)}%`;
  process.stdout.write(`\n${f}: wall ${(wall / 1e6).toFixed(1)} s, busy ${((100 * busy) / wall).toFixed(0)}%\n`);
  process.stdout.write('  by file (share of busy):\n');
  for (const [k, us] of [...file]
    .filter(([k]) => k !== '((idle))')
    .sort((a, b) => b[1] - a[1])
    .slice(0, top))
    process.stdout.write(`    ${pct(us).padStart(6)}  ${k}\n`);
  process.stdout.write('  by function (self):\n');
  for (const [k, us] of [...fn]
    .filter(([k]) => !k.startsWith('(idle)'))
    .sort((a, b) => b[1] - a[1])
    .slice(0, top))
    process.stdout.write(`    ${pct(us).padStart(6)}  ${k}\n`);
}
