#!/usr/bin/env node
// Runs every *.test.ts with node's own test runner (through tsx), one file at a time:
// Node 20's `--test` takes no glob patterns, so the files are listed here.
// Extra arguments are passed to node (e.g. --test-name-pattern=...); a path argument limits the run.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const dirs = ['test', 'base', 'protocols', 'storage', 'runtime', 'peer', 'node', 'actors', 'main', 'harness'];

function find(dir) {
  let out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out = out.concat(find(p));
    else if (e.name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const args = process.argv.slice(2);
const paths = args.filter((a) => !a.startsWith('-'));
const flags = args.filter((a) => a.startsWith('-'));
let files = dirs
  .filter((d) => statSync(join(root, d), { throwIfNoEntry: false })?.isDirectory())
  .flatMap((d) => find(join(root, d)));
if (paths.length > 0)
  files = files.filter((f) => paths.some((p) => relative(root, f).startsWith(p.replace(/^\.\//, ''))));
files.sort();
const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', ...flags, ...files], {
  cwd: root,
  stdio: 'inherit',
});
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
