// The CLI's malloc_trim (main/cli/malloc-trim.ts): glibc's freed-but-kept arena memory is given back. The child
// process frees nine of every ten 64 KiB buffers it filled (64 KiB is under glibc's mmap threshold, so they come
// from an arena, and the live tenth keeps the free chunks from the heap's top, where free() alone would trim),
// then trims: anonymous RSS must fall by most of what was freed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  arenaMax,
  DEFAULT_ARENA_MAX,
  mmapThresholdBytes,
  trimIntervalMs,
  DEFAULT_MMAP_THRESHOLD,
  DEFAULT_TRIM_MS,
} from '../../main/cli/malloc-trim.js';

test('ELRT_MALLOC_TRIM_MS: default 10 s, 0 turns it off, anything else but ms is refused', () => {
  assert.equal(trimIntervalMs({}), DEFAULT_TRIM_MS);
  assert.equal(trimIntervalMs({ ELRT_MALLOC_TRIM_MS: '0' }), 0);
  assert.equal(trimIntervalMs({ ELRT_MALLOC_TRIM_MS: '2500' }), 2500);
  assert.throws(() => trimIntervalMs({ ELRT_MALLOC_TRIM_MS: '1.5s' }), /whole number of ms/);
});

const CHILD = `
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { startMallocTrim } from ${JSON.stringify(fileURLToPath(new URL('../../main/cli/malloc-trim.ts', import.meta.url)))};
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc');
const anon = () => Number(/RssAnon:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) / 1024;
const quiet = { debug() {}, info() {}, warn() {}, error() {}, child() { return quiet; } };
// TRIM_MODE=periodic: a second trimmer, started once the buffers are freed, trims on its own timer (on libuv's
// pool) instead of a call to trim().
const periodic = process.env.TRIM_MODE === 'periodic';
const trimmer = await startMallocTrim(60_000, quiet);
if (!trimmer) { console.log(JSON.stringify({ skip: 'no malloc_trim here' })); process.exit(0); }
let bufs = [];
for (let i = 0; i < 3000; i++) bufs.push(Buffer.allocUnsafeSlow(64 * 1024).fill(i & 255));
const full = anon();
bufs = bufs.filter((_, i) => i % 10 === 0);
for (let i = 0; i < 3; i++) { gc(); await new Promise((r) => setTimeout(r, 50)); }
const freed = anon();
let r = { released: true, ms: 0 };
if (periodic) {
  const timed = await startMallocTrim(100, quiet);
  await new Promise((res) => setTimeout(res, 500));
  timed.stop();
} else r = trimmer.trim();
trimmer.stop();
console.log(JSON.stringify({ full, freed, trimmed: anon(), released: r.released, ms: r.ms, kept: bufs.length }));
`;

for (const mode of ['called', 'periodic'] as const)
  test(`malloc_trim gives back what glibc kept after the buffers were freed (${mode})`, (t) => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CHILD], {
      encoding: 'utf8',
      env: { ...process.env, MALLOC_ARENA_MAX: '', TRIM_MODE: mode },
    });
    const r = JSON.parse(out.trim().split('\n').pop()!) as {
      skip?: string;
      full: number;
      freed: number;
      trimmed: number;
      released: boolean;
    };
    if (r.skip) return t.skip(r.skip);
    // ~188 MB filled, ~170 MB of it freed: glibc keeps most of it until the trim.
    assert.ok(r.full > 150, `filled ${r.full} MB`);
    assert.ok(r.freed > r.full * 0.6, `glibc kept the freed chunks before the trim (${r.freed} of ${r.full} MB)`);
    assert.ok(r.released, 'malloc_trim says it gave memory back');
    assert.ok(r.trimmed < r.freed - 100, `the trim gave back most of the freed memory: ${r.freed} -> ${r.trimmed} MB`);
  });

test('ELRT_MALLOC_MMAP_THRESHOLD: default 128 KiB, 0 leaves glibc dynamic, MALLOC_MMAP_THRESHOLD_ wins, bad values refused', () => {
  assert.equal(mmapThresholdBytes({}), DEFAULT_MMAP_THRESHOLD);
  assert.equal(mmapThresholdBytes({ ELRT_MALLOC_MMAP_THRESHOLD: '0' }), undefined);
  assert.equal(mmapThresholdBytes({ ELRT_MALLOC_MMAP_THRESHOLD: '262144' }), 262144);
  assert.equal(mmapThresholdBytes({ MALLOC_MMAP_THRESHOLD_: '65536' }), undefined);
  assert.throws(() => mmapThresholdBytes({ ELRT_MALLOC_MMAP_THRESHOLD: '128k' }), /whole number of bytes/);
  assert.throws(() => mmapThresholdBytes({ ELRT_MALLOC_MMAP_THRESHOLD: String(64 << 20) }), /up to/);
});

// A freed 8 MB block raises glibc's dynamic threshold to 8 MB, so the 1 MB buffers that follow come from the arena;
// nine of ten are freed and the live tenth keeps their chunks from the top: glibc keeps them. With the threshold
// fixed, each 1 MB buffer is its own mapping, unmapped when freed.
const THRESHOLD_CHILD = (fix: boolean) => `
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { fixMmapThreshold } from ${JSON.stringify(fileURLToPath(new URL('../../main/cli/malloc-trim.ts', import.meta.url)))};
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc');
const anon = () => Number(/RssAnon:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) / 1024;
const quiet = { debug() {}, info() {}, warn() {}, error() {}, child() { return quiet; } };
const fixed = ${fix} ? await fixMmapThreshold(128 * 1024, quiet) : false;
if (${fix} && !fixed) { console.log(JSON.stringify({ skip: 'no mallopt here' })); process.exit(0); }
let big = Buffer.allocUnsafeSlow(8 << 20).fill(1);
big = undefined;
for (let i = 0; i < 3; i++) { gc(); await new Promise((r) => setTimeout(r, 20)); }
let bufs = [];
for (let i = 0; i < 150; i++) bufs.push(Buffer.allocUnsafeSlow(1 << 20).fill(i & 255));
const full = anon();
bufs = bufs.filter((_, i) => i % 10 === 0);
for (let i = 0; i < 3; i++) { gc(); await new Promise((r) => setTimeout(r, 20)); }
console.log(JSON.stringify({ full, freed: anon(), kept: bufs.length }));
`;

/** The environment without glibc's MALLOC_* settings (an empty value is a value to glibc: threshold 0). */
function withoutMallocEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MALLOC_')));
}

function thresholdRun(fix: boolean): { skip?: string; full: number; freed: number } {
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', THRESHOLD_CHILD(fix)], {
    encoding: 'utf8',
    env: withoutMallocEnv(),
  });
  return JSON.parse(out.trim().split('\n').pop()!) as { skip?: string; full: number; freed: number };
}

test('a fixed mmap threshold gives freed large buffers back at once, where the dynamic one had glibc keep them', (t) => {
  const fixed = thresholdRun(true);
  if (fixed.skip) return t.skip(fixed.skip);
  const dynamic = thresholdRun(false);
  // 150 MB filled, 135 MB of it freed.
  assert.ok(
    dynamic.freed > dynamic.full - 40,
    `dynamic: glibc kept the freed buffers (${dynamic.freed} of ${dynamic.full} MB)`,
  );
  assert.ok(fixed.freed < fixed.full - 100, `fixed: the freed buffers went back (${fixed.full} -> ${fixed.freed} MB)`);
});

test('ELRT_MALLOC_ARENA_MAX: default 2, 0 leaves glibc its limit, MALLOC_ARENA_MAX wins, bad values refused', () => {
  assert.equal(arenaMax({}), DEFAULT_ARENA_MAX);
  assert.equal(arenaMax({ ELRT_MALLOC_ARENA_MAX: '0' }), undefined);
  assert.equal(arenaMax({ ELRT_MALLOC_ARENA_MAX: '4' }), 4);
  assert.equal(arenaMax({ MALLOC_ARENA_MAX: '8' }), undefined);
  assert.throws(() => arenaMax({ ELRT_MALLOC_ARENA_MAX: 'two' }), /whole number of arenas/);
  assert.throws(() => arenaMax({ ELRT_MALLOC_ARENA_MAX: '-1' }), /whole number of arenas/);
});

// Six worker threads each malloc 2,000 buffers and keep them; glibc's malloc_stats (on stderr) lists one
// `Arena N:` block per arena, before and after they start. Uncapped, each new thread takes an arena of its own
// (malloc.c `arena_get2`); capped, they share the arenas there are. (The child's loader, tsx, runs threads that
// took arenas before the cap: the CLI from dist has fewer, so the count after the cap is what is checked.)
const ARENA_CHILD = (cap: number) => `
import { Worker } from 'node:worker_threads';
import { limitArenas } from ${JSON.stringify(fileURLToPath(new URL('../../main/cli/malloc-trim.ts', import.meta.url)))};
const quiet = { debug() {}, info() {}, warn() {}, error() {}, child() { return quiet; } };
if (${cap} > 0 && !(await limitArenas(${cap}, quiet))) { console.log(JSON.stringify({ skip: 'no mallopt here' })); process.exit(0); }
const koffi = (await import('koffi')).default;
const stats = koffi.load('libc.so.6').func('void malloc_stats(void)');
stats();
process.stderr.write('-- workers --\\n');
const src = "const { parentPort } = require('node:worker_threads'); const keep = []; for (let i = 0; i < 2000; i++) keep.push(Buffer.allocUnsafeSlow(1024 + i)); parentPort.postMessage(keep.length); setInterval(() => {}, 1000);";
const workers = Array.from({ length: 6 }, () => new Worker(src, { eval: true, execArgv: [] }));
await Promise.all(workers.map((w) => new Promise((r) => w.once('message', r))));
stats();
console.log(JSON.stringify({ ok: true }));
process.exit(0);
`;

function arenaRun(cap: number): { skip?: string; before: number; after: number } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', ARENA_CHILD(cap)], {
    encoding: 'utf8',
    env: withoutMallocEnv(),
  });
  if (r.status !== 0) throw new Error(`arena child failed (${r.status}): ${r.stderr}`);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { skip?: string };
  const [before = '', after = ''] = r.stderr.split('-- workers --');
  const arenas = (text: string): number => (text.match(/^Arena \d+:/gm) ?? []).length;
  return { ...out, before: arenas(before), after: arenas(after) };
}

test('capped arenas: six allocating threads started after the cap make no arena, where glibc gave each its own', (t) => {
  const capped = arenaRun(2);
  if (capped.skip) return t.skip(capped.skip);
  const uncapped = arenaRun(0);
  assert.ok(
    uncapped.after - uncapped.before >= 5,
    `uncapped: an arena per new thread (${uncapped.before} -> ${uncapped.after})`,
  );
  assert.ok(
    capped.after <= Math.max(capped.before, 2),
    `capped at 2: the new threads share the arenas there were (${capped.before} -> ${capped.after})`,
  );
});
