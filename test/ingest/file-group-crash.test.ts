// A node in a child process is killed with SIGKILL at random moments while it ingests watch-dir files that it
// commits several to a transaction (actors/operator/file-group.ts), and restarted on the same root each time. At the
// end every row of every file is in the table exactly once, nothing is in the error directory and the watch
// directory is empty (the pattern of crash-recovery.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { http, restUp, until } from '../../harness/test-node.js';
import { freePort, spawnNode, type ChildNode } from '../../harness/child-node.js';

const ROUNDS = Number(process.env['CRASH_ROUNDS'] ?? 6);
const FILES = 10;
const ROWS = 2000;

function fileText(first: number): string {
  return (
    Array.from({ length: ROWS }, (_, i) =>
      JSON.stringify({ ts: new Date(Date.UTC(2026, 0, 1) + first + i).toISOString(), id: first + i, v: i % 97 }),
    ).join('\n') + '\n'
  );
}

async function sql(port: number, q: string): Promise<{ Query: Record<string, number>[] }> {
  const r = await http(port, 'GET', { command: `sql crash format = json "${q}"`, 'User-Agent': 'AnyLog/1.23' });
  if (r.status !== 200) throw new Error(r.body);
  return JSON.parse(r.body) as { Query: Record<string, number>[] };
}

const up = (port: number): Promise<void> => restUp(port, { operator: true });

async function rowCount(port: number): Promise<number> {
  try {
    return (await sql(port, 'select count(*) as n from readings')).Query[0]!['n']!;
  } catch (err) {
    if (/no such table/.test((err as Error).message)) return 0;
    throw err;
  }
}

const jsonFiles = (dir: string): string[] =>
  existsSync(dir)
    ? readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile() && !e.name.endsWith('.part'))
        .map((e) => e.name)
    : [];

test(
  'SIGKILL while several watch-dir files share transactions: every row lands exactly once, no file is lost',
  { timeout: 600_000 },
  async (t) => {
    const root = mkdtempSync(join(tmpdir(), 'elrt-fcrash-'));
    t.after(() => rmSync(root, { recursive: true, force: true }));
    const port = await freePort();
    const yaml = join(root, 'node.yaml');
    writeFileSync(
      yaml,
      `node:\n  name: fcrash\n  root: ${root}\n  log_level: error\ndbms:\n  crash:\n    type: sqlite\nservices:\n  rest_server:\n    internal_ip: 127.0.0.1\n    internal_port: ${port}\n  operator: {}\n`,
    );
    const stage = join(root, 'stage');
    mkdirSync(stage);
    let child: ChildNode | undefined;
    t.after(() => child?.proc.kill('SIGKILL'));
    let next = 0;
    const seenAtRestart: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      child = spawnNode(['start', yaml]);
      await up(port);
      seenAtRestart.push(await rowCount(port));
      const watch = join(root, 'data', 'watch');
      for (let f = 0; f < FILES; f++) writeFileSync(join(stage, `f${f}.json`), fileText(next + f * ROWS));
      for (let f = 0; f < FILES; f++)
        renameSync(join(stage, `f${f}.json`), join(watch, `crash.readings.${round}x${f}.json`));
      next += FILES * ROWS;
      // The files are taken about 70 ms after they land (the watcher waits for their size to settle).
      await new Promise((r) => setTimeout(r, 60 + Math.random() * 400));
      const exited = child.exited;
      child.proc.kill('SIGKILL');
      await exited;
    }
    child = spawnNode(['start', yaml]);
    await up(port);
    await until(async () => (await rowCount(port)) >= next, 60_000, 200);
    const dups = (await sql(port, 'select id, count(*) as c from readings group by id having count(*) > 1')).Query;
    assert.deepEqual(dups, [], 'no row is stored twice');
    const stats = (await sql(port, 'select count(*) as n, min(id) as lo, max(id) as hi from readings')).Query[0]!;
    assert.deepEqual(stats, { n: next, lo: 0, hi: next - 1 });
    assert.deepEqual(jsonFiles(join(root, 'data', 'error')), [], 'nothing in the error directory');
    await until(() => jsonFiles(join(root, 'data', 'watch')).length === 0, 30_000, 100);
    t.diagnostic(
      `${next} rows in ${ROUNDS * FILES} files over ${ROUNDS} kills; rows seen at each restart: ${seenAtRestart}`,
    );
    const stopped = child.exited;
    child.proc.kill('SIGTERM');
    assert.equal(await stopped, 0);
  },
);
