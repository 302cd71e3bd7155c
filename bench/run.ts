// npm run bench -- <name>    runs bench/<name>.ts (JSON lines on stdout, progress on stderr)
// npm run bench              lists the benchmarks
// A benchmark is a bench/*.ts file that no other bench file imports (shared helpers live in bench/lib/
// or are imported by their benchmark). Each runs in its own process, so one bench's workers and heap
// never weigh on the next.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const DIR = fileURLToPath(new URL('.', import.meta.url));

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

const name = process.argv[2];
const list = benches();
if (name === undefined) {
  process.stdout.write('benchmarks (npm run bench -- <name>):\n');
  for (const b of list) process.stdout.write(`  ${b.name.padEnd(16)} ${b.about}\n`);
} else if (!list.some((b) => b.name === name)) {
  process.stderr.write(`no benchmark '${name}' (known: ${list.map((b) => b.name).join(', ')})\n`);
  process.exitCode = 2;
} else {
  const child = spawn(process.execPath, ['--import', 'tsx', join(DIR, `${name}.ts`), ...process.argv.slice(3)], {
    stdio: 'inherit',
  });
  child.on('exit', (code, signal) => {
    process.exitCode = code ?? (signal ? 1 : 0);
  });
}
