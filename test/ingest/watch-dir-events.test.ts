// The operator's watch directory through its inotify watch (actors/_shared/quiet-watch.ts) and its scans: a file is
// taken once its writes stop, never half written; files there before the node starts are taken at start; a watch
// directory removed and made again is watched again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  rmSync,
  utimesSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestNode, until, type TestNode, tableCount } from '../../harness/test-node.js';
import { QuietWatch } from '../../actors/_shared/quiet-watch.js';

const NODE = `node:\n  name: op-node\ndbms:\n  test:\n    type: sqlite\nservices:\n  operator: {}\n`;

const dir = (n: TestNode, d: string): string => join(n.root, 'data', d);
const ls = (d: string): string[] => (existsSync(d) ? readdirSync(d) : []);
const rows = (k: number, from = 0): string =>
  Array.from({ length: k }, (_, i) => JSON.stringify({ a: from + i, t: 'x'.repeat(40) })).join('\n') + '\n';
/** Sleeps without yielding: the writer's pauses stay this short whatever the event loop has queued. */
const pause = (ms: number): void => void Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

test('a file written in pieces over 300 ms under its final name is taken once, whole, after its writes stop', async (t) => {
  const n = await startTestNode(NODE);
  t.after(() => n.stop());
  const text = Buffer.from(rows(60));
  const fd = openSync(join(dir(n, 'watch'), 'test.slow.json'), 'w');
  // 30 pieces cut anywhere (mid-line too), 10 ms apart: taken at any point before the last, the file has a
  // broken last line (error directory) or fewer rows.
  const piece = Math.ceil(text.length / 30);
  for (let at = 0; at < text.length; at += piece) {
    writeSync(fd, text, at, Math.min(piece, text.length - at));
    pause(10);
  }
  closeSync(fd);
  await until(async () => (await tableCount(n, 'slow')) === 60, 15_000);
  assert.deepEqual(ls(dir(n, 'error')), []);
  // Taken once: nothing is left in the watch directory, and the count stays.
  await until(() => ls(dir(n, 'watch')).length === 0);
  assert.equal(await tableCount(n, 'slow'), 60);
});

test('files in the watch directory before the node starts are taken at start', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'elrt-test-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'data', 'watch'), { recursive: true });
  for (let i = 0; i < 3; i++) writeFileSync(join(root, 'data', 'watch', `test.early.${i}.json`), rows(5, i * 5));
  const n = await startTestNode(NODE, { keepRoot: root });
  t.after(() => n.stop());
  await until(async () => (await tableCount(n, 'early')) === 15, 15_000);
  assert.deepEqual(ls(dir(n, 'error')), []);
});

test('a watch directory removed and made again is watched again: its files land without waiting for scans', async (t) => {
  const n = await startTestNode(NODE);
  t.after(() => n.stop());
  const watch = dir(n, 'watch');
  rmSync(watch, { recursive: true });
  mkdirSync(watch);
  // The old watch sees nothing of the new directory: the next scan takes this file and watches the new one.
  writeFileSync(join(watch, 'test.again.json'), rows(2));
  await until(async () => (await tableCount(n, 'again')) === 2, 15_000);
  // Right after a scan, the next is 5 s away: a file landing well before that came through the new watch.
  const t0 = Date.now();
  writeFileSync(join(watch, 'test.watched.json'), rows(3));
  await until(async () => (await tableCount(n, 'watched')) === 3, 15_000);
  assert.ok(Date.now() - t0 < 3000, `landed after ${Date.now() - t0} ms: not through the watch`);
});

test('QuietWatch tells a name once no event came for it within the quiet time, and holds it pending until then', async (t) => {
  const d = mkdtempSync(join(tmpdir(), 'elrt-quiet-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  const told: { names: string[]; at: number }[] = [];
  const errors: Error[] = [];
  const w = await QuietWatch.open({
    dir: d,
    // Long enough that the check below, polled right after the writes, still finds the name pending on a loaded
    // machine (with 80 ms a late timer once let the quiet time pass first: a CI run).
    quietMs: 1000,
    accept: (name) => !name.startsWith('.'),
    onQuiet: (names) => told.push({ names, at: performance.now() }),
    onUnnamed: () => assert.fail('every event here has a name'),
    onError: (err) => errors.push(err),
  });
  t.after(() => w.close());
  const fd = openSync(join(d, 'a.json'), 'w');
  writeFileSync(join(d, '.hidden'), 'x');
  let last = 0;
  for (let i = 0; i < 10; i++) {
    writeSync(fd, `{"i": ${i}}\n`);
    last = performance.now();
    pause(20);
  }
  closeSync(fd);
  // The events reach the watch's callback on this thread's loop: still pending while they are fresh. Polled: this
  // code resumes in the loop's poll phase, and the timers run at the end of that same turn, before the next poll
  // reads the inotify queue, so a thread stalled past 10 ms (a loaded CI) ran a single 10 ms timer first and saw
  // `pending` false.
  for (let i = 0; i < 50 && !w.pending('a.json') && told.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(told.length, 0, 'told within the quiet time after the last write');
  assert.equal(w.pending('a.json'), true);
  await until(() => told.length > 0, 5000);
  await new Promise((r) => setTimeout(r, 200));
  // Told once, the hidden name never, and not before the quiet time after the last write.
  assert.deepEqual(
    told.map((x) => x.names),
    [['a.json']],
  );
  assert.ok(told[0]!.at - last >= 1000, `told ${told[0]!.at - last} ms after the last write`);
  assert.equal(w.pending('a.json'), false);
  assert.equal(await w.stale(), false);
  // Its attributes changed (an event about the directory itself): still the directory watched, the watch goes on.
  chmodSync(d, 0o750);
  utimesSync(d, new Date(), new Date());
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(errors.length, 0);
  assert.equal(w.closed, false);
  // The directory made again under its name is not the one watched: the watch closes and says so.
  rmSync(d, { recursive: true });
  mkdirSync(d);
  assert.equal(await w.stale(), true);
  await until(() => errors.length > 0, 5000);
  assert.match(errors[0]!.message, /watch of .* ended/);
  assert.equal(w.closed, true);
});
