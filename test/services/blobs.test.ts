// The blobs archiver on a real node with real files: JSON files in bwatch_dir pair with blobs in
// blobs_dir (EdgeLake alarchiver.py), blobs are archived (flat or yy/mm/dd, plain or gzip), indexed in
// the `blobs` dbms and retrieved byte for byte; their rows reach the operator; bad files go to the
// error directory with a reason; the worker survives a kill.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { CommandError } from '../../base/errors.js';
import { startTestNode, until, type TestNode } from '../../harness/test-node.js';
import { checkReadmeSamples } from './readme-samples.js';

const YAML = 'node:\n  name: blobs-node\ndbms:\n  test:\n    type: sqlite\nservices:\n  streamer: {}\n  operator: {}\n';

interface Dirs {
  blobs: string;
  bwatch: string;
  archive: string;
  err: string;
  out: string;
}

async function start(t: TestContext): Promise<{ n: TestNode; d: Dirs }> {
  const n = await startTestNode(YAML);
  t.after(() => n.stop());
  const data = join(n.root, 'data');
  const out = mkdtempSync(join(tmpdir(), 'elrt-blobs-out-'));
  t.after(() => rmSync(out, { recursive: true, force: true }));
  return {
    n,
    d: {
      blobs: join(data, 'blobs'),
      bwatch: join(data, 'bwatch'),
      archive: join(data, 'blobs', 'archive'),
      err: join(data, 'error'),
      out,
    },
  };
}

/** Bytes that look like a PNG image: the signature, then noise (not valid UTF-8, zero bytes included). */
function png(size: number): Buffer {
  return Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), randomBytes(size), Buffer.alloc(64)]);
}

/** Written whole under a temporary name, then renamed: a watcher never sees half a file. */
function drop(dir: string, name: string, data: Buffer | string): string {
  const path = join(dir, name);
  writeFileSync(join(dir, `.${name}.tmp`), data);
  renameSync(join(dir, `.${name}.tmp`), path);
  return path;
}

const lines = (rows: object[]): string => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** The files under `dir`, hidden ones (an archive copy in progress, `.<name>.part`) left out. */
function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => !e.name.startsWith('.'))
    .flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)).map((f) => `${e.name}/${f}`) : [e.name]));
}

async function query<T>(n: TestNode, dbms: string, sql: string): Promise<T[]> {
  try {
    return (JSON.parse(await n.cmd(`sql ${dbms} format = json "${sql}"`)) as { Query: T[] }).Query;
  } catch (err) {
    if (/no such table/.test((err as Error).message)) return [];
    throw err;
  }
}

async function processRow(n: TestNode): Promise<string> {
  return (await n.cmd('get processes')).split('\r\n').find((l) => l.trim().startsWith('Blobs Archiver')) ?? '';
}

test('a JSON file in bwatch_dir archives its blobs, indexes them and hands its rows to the operator', async (t) => {
  const { n, d } = await start(t);
  assert.match(await processRow(n), /\|Not declared/);
  assert.equal(await n.cmd('get blobs archiver'), '\r\nArchiver not active');
  await n.cmd('run blobs archiver where dbms = true and folder = false and compress = false');
  assert.match(
    await processRow(n),
    /Blobs Archiver\s*\|Running\s*\|Flags: dbms = True, folder = False, compress = False, reuse_blobs = False/,
  );

  const image = png(50_000);
  const binary = randomBytes(70_000);
  drop(d.blobs, 'test.images.cam1-0001.png', image);
  drop(d.blobs, 'test.images.cam1-0002.bin', binary);
  drop(
    d.bwatch,
    'test.images.0.0.0.json',
    lines([
      { timestamp: '2026-01-01T00:00:00Z', camera: 'cam1', file: 'cam1-0001.png' },
      { timestamp: '2026-01-01T00:00:01Z', camera: 'cam1', file: 'cam1-0002.bin' },
    ]),
  );
  await until(() => files(d.bwatch).length === 0 && files(d.archive).length === 2);
  assert.deepEqual(files(d.archive).sort(), ['test.images.cam1-0001.png', 'test.images.cam1-0002.bin']);
  assert.deepEqual(readFileSync(join(d.archive, 'test.images.cam1-0001.png')), image);
  assert.ok(!existsSync(join(d.blobs, 'test.images.cam1-0001.png')), 'the blob left blobs_dir');

  const index = await query<{
    file_id: string;
    hash_md5: string;
    hash_sha256: string;
    size: number;
    content_type: string;
    compressed: number;
    ref_file: string;
  }>(
    n,
    'blobs',
    'select file_id, hash_md5, hash_sha256, size, content_type, compressed, ref_file from blobs order by file_id',
  );
  assert.deepEqual(index, [
    {
      file_id: 'cam1-0001.png',
      hash_md5: md5(image),
      hash_sha256: sha256(image),
      size: image.length,
      content_type: 'image/png',
      compressed: 0,
      ref_file: 'test.images.0.0.0.json',
    },
    {
      file_id: 'cam1-0002.bin',
      hash_md5: md5(binary),
      hash_sha256: sha256(binary),
      size: binary.length,
      content_type: 'application/octet-stream',
      compressed: 0,
      ref_file: 'test.images.0.0.0.json',
    },
  ]);
  assert.match(await n.cmd('get files where dbms = test and table = images'), /cam1-0001\.png.*image\/png/);

  // The rows, unchanged, in the operator's table.
  await until(async () => (await query(n, 'test', 'select camera, file from images order by file')).length === 2);
  assert.deepEqual(await query(n, 'test', 'select camera, file from images order by file'), [
    { camera: 'cam1', file: 'cam1-0001.png' },
    { camera: 'cam1', file: 'cam1-0002.bin' },
  ]);

  // Back out, byte for byte: by id to a file, by sha256 into a directory (EdgeLake's blobs_ prefix accepted).
  await n.cmd(
    `file retrieve where dbms = test and table = images and id = cam1-0001.png and dest = ${join(d.out, 'copy.png')} and dest_key = got`,
  );
  assert.deepEqual(readFileSync(join(d.out, 'copy.png')), image);
  assert.equal(n.running.node.dict.get('got'), join(d.out, 'copy.png'));
  await n.cmd(
    `file retrieve where dbms = blobs_test and table = images and hash = ${sha256(binary)} and dest = ${d.out}/`,
  );
  assert.deepEqual(readFileSync(join(d.out, 'test.images.cam1-0002.bin')), binary);
  await assert.rejects(
    n.cmd(`file retrieve where dbms = test and id = nope and dest = ${d.out}/`),
    (e: unknown) => e instanceof CommandError && e.code === 12,
  );

  const stats = await n.cmd('get blobs archiver');
  assert.match(stats, /Table\/File\s+Success\s+Error/);
  assert.match(stats, /Source JSON\s*\|\s*1\|\s*0\|/);
  assert.match(stats, /test\.images\s*\|\s*2\|\s*0\|/);

  assert.equal(await n.cmd('exit archiver'), '');
  assert.match(await processRow(n), /\|Not declared/);
  assert.equal(await n.cmd('get blobs archiver'), '\r\nArchiver not active');
  // The index stays queryable without the archiver.
  await n.cmd(
    `file retrieve where dbms = test and table = images and id = cam1-0002.bin and dest = ${join(d.out, 'again.bin')}`,
  );
  assert.deepEqual(readFileSync(join(d.out, 'again.bin')), binary);
});

test('folder and compress archive by yy/mm/dd as gzip; blobs dropped alone, file store and reuse_blobs are indexed too', async (t) => {
  const { n, d } = await start(t);
  await n.cmd('run blobs archiver where folder = true and compress = true and reuse_blobs = true');
  assert.match(await processRow(n), /Flags: dbms = True, folder = True, compress = True, reuse_blobs = True/);
  const day = new Date().toISOString().slice(2, 10).split('-').join('/'); // yy/mm/dd, UTC

  const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(30_000)]);
  drop(d.bwatch, 'test.docs.report-7.pdf', pdf);
  const frame = png(20_000);
  drop(d.blobs, 'test.frames.f1.png', frame);
  drop(d.bwatch, 'test.frames.0.0.0.json', JSON.stringify([{ ts: '2026-01-01T00:00:00Z', file: 'f1.png' }]));
  await until(() => files(d.bwatch).length === 0 && files(d.archive).length === 2);
  assert.deepEqual(files(d.archive).sort(), [`${day}/test.docs.report-7.pdf.gz`, `${day}/test.frames.f1.png.gz`]);
  assert.deepEqual(gunzipSync(readFileSync(join(d.archive, day, 'test.docs.report-7.pdf.gz'))), pdf);

  const [doc] = await query<{
    content_type: string;
    compressed: number;
    size: number;
    stored_size: number;
    archive_date: string;
  }>(
    n,
    'blobs',
    "select content_type, compressed, size, stored_size, archive_date from blobs where file_id = 'report-7.pdf'",
  );
  assert.equal(doc!.content_type, 'application/pdf');
  assert.equal(doc!.compressed, 1);
  assert.equal(doc!.size, pdf.length);
  assert.equal(doc!.archive_date, day.split('/').join(''));
  await n.cmd(
    `file retrieve where dbms = test and table = docs and hash = ${md5(pdf)} and dest = ${join(d.out, 'r.pdf')}`,
  );
  assert.deepEqual(readFileSync(join(d.out, 'r.pdf')), pdf, 'gunzipped back to the original bytes');
  await n.cmd(`file retrieve where dbms = test and date = ${day.split('/').join('')} and dest = ${d.out}/`);
  assert.deepEqual(readFileSync(join(d.out, 'test.frames.f1.png')), frame);

  // file store: a copy goes into the archive, the source stays.
  const src = join(d.out, 'manual.bin');
  const manual = randomBytes(10_000);
  writeFileSync(src, manual);
  await n.cmd(`file store where dbms = test and table = frames and source = ${src} and id = m1.bin`);
  assert.ok(existsSync(src));
  assert.match(await n.cmd('get files where dbms = test and table = frames and format = json'), /"m1\.bin"/);

  // reuse_blobs: a row may name a blob archived before, with nothing waiting in blobs_dir.
  drop(d.bwatch, 'test.frames.again.json', lines([{ ts: '2026-01-01T00:00:02Z', file: 'm1.bin' }]));
  await until(() => files(d.bwatch).length === 0);
  assert.equal(files(d.err).length, 0);
  await until(async () => (await query(n, 'test', 'select file from frames')).length === 2);
  assert.equal(await n.cmd('exit blobs'), '');
  assert.match(await processRow(n), /\|Not declared/);
});

test('files that cannot be archived go to the error directory with a reason and the service keeps running', async (t) => {
  const { n, d } = await start(t);
  await n.cmd('run blobs archiver');
  const kept = png(1000);
  drop(d.blobs, 'test.images.present.png', kept);
  mkdirSync(join(d.blobs, 'test.images.adir.png')); // a blob that cannot be read as a file
  drop(d.bwatch, 'test.images.bad1.json', '{"file": "present.png", oops');
  drop(d.bwatch, 'test.images.bad2.json', lines([{ ts: '2026-01-01T00:00:00Z', camera: 'cam9' }]));
  drop(d.bwatch, 'test.images.bad3.json', lines([{ file: 'present.png' }, { file: 'missing.png' }]));
  drop(d.bwatch, 'test.images.bad4.json', lines([{ file: 'adir.png' }]));
  drop(d.bwatch, 'photo.png', png(100));
  await until(() => files(d.err).filter((f) => f.endsWith('.reason.txt')).length === 5);
  assert.equal(files(d.bwatch).length, 0);
  const reasons = Object.fromEntries(
    files(d.err)
      .filter((f) => f.endsWith('.reason.txt'))
      .map((f) => [f.split('.err_')[0], readFileSync(join(d.err, f), 'utf8')]),
  );
  assert.match(reasons['test.images.bad1']!, /^error 6: line 1 is not JSON/);
  assert.match(reasons['test.images.bad2']!, /^error 6: Missing 'file' attribute in line 1/);
  assert.match(reasons['test.images.bad3']!, /^error 12: .*missing\.png' does not exist/);
  assert.match(reasons['test.images.bad4']!, /^error 12: .*adir\.png' is not a regular file/);
  assert.match(reasons['photo']!, /^error 119: Blobs file name in the wrong format/);
  assert.ok(
    files(d.err).some((f) => /^test\.images\.bad1\.err_6\.\d+\.json$/.test(f)),
    'EdgeLake error file name',
  );
  // bad3 checked every blob before moving any: the one that was there is still there.
  assert.deepEqual(readFileSync(join(d.blobs, 'test.images.present.png')), kept);
  assert.deepEqual(await query(n, 'blobs', 'select file_id from blobs'), []);

  // Still running: a good file goes through.
  drop(d.bwatch, 'test.images.good.json', lines([{ file: 'present.png' }]));
  await until(() => files(d.archive).length === 1);
  assert.match(await processRow(n), /\|Running/);
  const stats = await n.cmd('get blobs archiver');
  // The last error depends on which bad file the watcher reported last.
  assert.match(
    stats,
    /Source JSON\s*\|\s*1\|\s*5\|(File does not exists|Error with file name structure|Error in JSON Structure)\s*\|/,
  );
  assert.match(stats, /test\.images\s*\|\s*1\|\s*2\|File does not exists/);
});

test('a killed archiver worker is restarted by its supervisor, keeps its counters and keeps archiving', async (t) => {
  const { n, d } = await start(t);
  await n.cmd('run blobs archiver');
  drop(d.bwatch, 'test.shots.one.png', png(500));
  // Counters are stashed on the main thread once a file is done (after its archive copy lands).
  await until(async () => /Source JSON\s*\|\s*1\|\s*0\|/.test(await n.cmd('get blobs archiver')));
  assert.equal(files(d.archive).length, 1);
  assert.ok(n.running.node.kill('blobs-archiver'));
  await until(() => {
    const i = n.running.node.instances('blobs-archiver')[0];
    return i !== undefined && i.status === 'running' && i.restarts === 1;
  });
  assert.match(await processRow(n), /\|Running/);
  const shot = png(800);
  drop(d.blobs, 'test.shots.two.png', shot);
  drop(d.bwatch, 'test.shots.0.0.0.json', lines([{ file: 'two.png' }]));
  await until(() => files(d.archive).length === 2);
  assert.deepEqual(readFileSync(join(d.archive, 'test.shots.two.png')), shot);
  assert.match(await n.cmd('get blobs archiver'), /Source JSON\s*\|\s*2\|\s*0\|/);
});

test("blob_dir (the seeds' name of blobs_dir), bwatch_dir and archive_dir given in the command are the ones used", async (t) => {
  const { n, d } = await start(t);
  const mine = { blobs: join(d.out, 'in'), bwatch: join(d.out, 'watch'), archive: join(d.out, 'arc') };
  for (const dir of Object.values(mine)) mkdirSync(dir, { recursive: true });
  await n.cmd(
    `run blobs archiver where blob_dir = ${mine.blobs} and bwatch_dir = ${mine.bwatch} and archive_dir = ${mine.archive} and dbms = true`,
  );
  const image = png(10_000);
  drop(mine.blobs, 'test.images.own-1.png', image);
  drop(mine.bwatch, 'test.images.0.0.0.json', lines([{ timestamp: '2026-01-01T00:00:00Z', file: 'own-1.png' }]));
  await until(() => files(mine.bwatch).length === 0 && files(mine.archive).length === 1);
  assert.deepEqual(readFileSync(join(mine.archive, 'test.images.own-1.png')), image);
  assert.deepEqual(files(mine.blobs), [], 'the blob left the blob_dir given');
  assert.deepEqual(files(d.archive), [], "nothing went to the dictionary's blobs_dir");
  // Both spellings at once are one option given twice.
  await n.cmd('exit blobs');
  await assert.rejects(
    n.cmd(`run blobs archiver where blob_dir = ${mine.blobs} and blobs_dir = ${mine.blobs}`),
    /blobs_dir/,
  );
});

test('the README sample is valid node.yaml', () => {
  checkReadmeSamples('blobs-archiver');
});
