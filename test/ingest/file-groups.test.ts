// Watch-dir files of one table committed together (actors/operator/file-group.ts, issue 14): the rows and progress
// records of several ready files go in one transaction; a file with a bad line, or one whose rows the database
// refuses, goes to the error directory alone and the others land.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../base/log.js';
import { Journal } from '../../storage/journal/journal.js';
import type { FileRecord } from '../../storage/dbms/types.js';
import { Catalog } from '../../actors/operator/catalog.js';
import { operatorSchema } from '../../actors/operator/config.js';
import { Finisher } from '../../actors/_shared/file-moves.js';
import type { FileContext } from '../../actors/operator/files.js';
import { testApplyContext } from '../../harness/operator-context.js';
import { processFile, processFiles } from '../../actors/operator/file-group.js';

const ROWS = 300;

/** A file of ROWS rows with ids from `first`; `bad` puts a line that is not JSON in the middle. */
function fileText(first: number, bad = false): string {
  const lines = Array.from({ length: ROWS }, (_, i) =>
    JSON.stringify({ ts: new Date(Date.UTC(2026, 0, 1) + first + i).toISOString(), id: first + i, v: i % 7 }),
  );
  if (bad) lines[ROWS / 2] = '{"id": 1, "v": ';
  return lines.join('\n') + '\n';
}

interface Setup {
  ctx: FileContext;
  watch: string;
  errDir: string;
  archive: string;
  /** The file records of each dbms write (one write = one transaction). */
  writes: FileRecord[][];
}

async function setup(t: TestContext): Promise<Setup> {
  const root = mkdtempSync(join(tmpdir(), 'elrt-fgroup-'));
  const d = (x: string): string => join(root, x);
  for (const x of ['watch', 'archive', 'bkup', 'err', 'distr', 'dbms']) mkdirSync(d(x));
  const log = createLogger('test', () => undefined, 'error');
  const journal = Journal.open(d('journal'));
  const catalog = new Catalog(d('dbms'), log);
  await catalog.connect('test', { type: 'sqlite' });
  const finisher = new Finisher((path, err) => assert.fail(`archiving ${path}: ${String(err)}`));
  t.after(async () => {
    await finisher.drain();
    await catalog.disconnect('test');
    await journal.close();
    rmSync(root, { recursive: true, force: true });
  });
  // Each write of the connection observed (the adapter is the real SQLite one).
  const writes: FileRecord[][] = [];
  const adapter = (await catalog.open('test'))!.adapter;
  const write = adapter.write.bind(adapter);
  adapter.write = (batches, positions, files) => (writes.push([...files]), write(batches, positions, files));
  let seq = 1;
  const ctx: FileContext = {
    ...testApplyContext({ catalog, journal, log, errDir: d('err') }, { nextRowId: () => String(++seq) }),
    dirs: {
      watchDir: d('watch'),
      archiveDir: d('archive'),
      bkupDir: d('bkup'),
      errDir: d('err'),
      distrDir: d('distr'),
    },
    cfg: operatorSchema.parse({}),
    finisher,
    skipped: new Set(),
    // No watch here: the tests hand the paths over themselves.
    writing: () => false,
  };
  return { ctx, watch: d('watch'), errDir: d('err'), archive: d('archive'), writes };
}

async function ids(s: Setup): Promise<number[]> {
  const r = await s.ctx.catalog.get('test')!.adapter.select('select id from readings order by id');
  return r.rows.map((row) => Number(row[0]));
}

function filesBelow(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => e.name);
}

const range = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => from + i);

test('five ready files of one table commit in one transaction, each with its progress record', async (t) => {
  const s = await setup(t);
  // The table first (alone), so the group below is the files' rows only.
  writeFileSync(join(s.watch, 'test.readings.0.json'), fileText(0));
  assert.equal((await processFile(s.ctx, join(s.watch, 'test.readings.0.json'))).k, 'done');
  s.writes.length = 0;
  const paths = range(1, 5).map((f) => {
    const p = join(s.watch, `test.readings.${f}.json`);
    writeFileSync(p, fileText(f * ROWS));
    return p;
  });
  const left: string[] = [];
  await processFiles(s.ctx, paths, (p) => left.push(p));
  assert.deepEqual(left, []);
  assert.equal(s.writes.length, 1, 'one transaction for the five files');
  assert.equal(s.writes[0]!.length, 5);
  assert.ok(s.writes[0]!.every((r) => r.done && r.rows === ROWS));
  assert.deepEqual(await ids(s), range(0, 6 * ROWS));
  await s.ctx.finisher.drain();
  assert.deepEqual(filesBelow(s.watch), []);
  assert.equal(filesBelow(s.archive).length, 6);
});

test('a file with a bad line among them goes to the error directory alone; the others land together', async (t) => {
  const s = await setup(t);
  const paths = range(0, 5).map((f) => {
    const p = join(s.watch, `test.readings.${f}.json`);
    writeFileSync(p, fileText(f * ROWS, f === 2));
    return p;
  });
  await processFiles(s.ctx, paths, (p, err) => assert.fail(`${p} left: ${String(err)}`));
  assert.deepEqual(await ids(s), [...range(0, 2 * ROWS), ...range(3 * ROWS, 2 * ROWS)]);
  const errs = filesBelow(s.errDir);
  assert.equal(errs.filter((n) => !n.endsWith('.reason.txt')).length, 1);
  const reason = errs.find((n) => n.endsWith('.reason.txt'))!;
  assert.match(reason, /^test\.readings\.2\./);
  assert.match(readFileSync(join(s.errDir, reason), 'utf8'), /line 151 is not JSON/);
  // The four good files share one transaction (the first one's read made the table).
  assert.deepEqual(
    s.writes.map((w) => w.length),
    [4],
  );
  await s.ctx.finisher.drain();
  assert.equal(filesBelow(s.archive).length, 4);
  assert.deepEqual(filesBelow(s.watch), []);
});

test('rows the database refuses in a shared transaction: that file alone to the error directory', async (t) => {
  const s = await setup(t);
  writeFileSync(join(s.watch, 'test.readings.0.json'), fileText(0));
  await processFile(s.ctx, join(s.watch, 'test.readings.0.json'));
  // A constraint of the user's own: rows with id 1000 are refused (SQLITE_CONSTRAINT: permanent).
  await s.ctx.catalog
    .get('test')!
    .adapter.execDDL([
      "create trigger no_1000 before insert on readings when new.id = 1000 begin select raise(abort, 'id 1000 refused'); end",
    ]);
  s.writes.length = 0;
  const paths = range(1, 4).map((f) => {
    const p = join(s.watch, `test.readings.${f}.json`);
    writeFileSync(p, fileText(f * ROWS)); // file 3 holds ids 900..1199
    return p;
  });
  await processFiles(s.ctx, paths, (p, err) => assert.fail(`${p} left: ${String(err)}`));
  assert.deepEqual(await ids(s), [...range(0, 3 * ROWS), ...range(4 * ROWS, ROWS)]);
  // The shared transaction failed and rolled back, then each file alone.
  assert.deepEqual(
    s.writes.map((w) => w.length),
    [4, 1, 1, 1, 1],
  );
  const reasons = filesBelow(s.errDir).filter((n) => n.endsWith('.reason.txt'));
  assert.equal(reasons.length, 1);
  assert.match(reasons[0]!, /^test\.readings\.3\./);
  assert.match(readFileSync(join(s.errDir, reasons[0]!), 'utf8'), /id 1000 refused/);
});
