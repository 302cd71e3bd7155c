// A large PUT is journaled as it arrives (issue 12): its pieces go to the journal staged, on a lane above the lane's
// counter, invisible to every reader until the last piece and the counter commit together; a body the client
// abandons leaves nothing visible and its staged pieces are removed; a kill -9 mid-body loses nothing acknowledged,
// shows nothing of the body, and the node drops the leftovers when it starts again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request, type ClientRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open } from 'lmdb';
import { Journal } from '../../storage/journal/journal.js';
import { rowsText } from '../../protocols/frames/json-bytes.js';
import { http, startTestNode, until, REST_NODE } from '../../harness/test-node.js';
import { freePort, spawnNode, type ChildNode } from '../../harness/child-node.js';

/** Every key in the journal's entries, staged ones included (LMDB read directly, past the visibility rule). */
async function rawKeys(dir: string): Promise<[string, string, string, number][]> {
  const env = open({ path: dir, maxDbs: 4, readOnly: true });
  try {
    return [...env.openDB<unknown, [string, string, string, number]>({ name: 'entries' }).getKeys({})];
  } finally {
    await env.close();
  }
}

const piece = (ids: number[]): Buffer => Buffer.from(JSON.stringify(ids.map((id) => ({ id }))));

test('staged pieces are invisible until the last one commits with the counter; a discarded body leaves nothing', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'elrt-staged-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const j = Journal.open(dir);
  t.after(() => j.close());
  const w = j.writer('rest-server');
  await w.append('d', 't', piece([0]), 1, ['id']).durable;
  const body = w.stage('d', 't');
  assert.equal(body.stream, 'rest-server+1');
  body.stage(piece([1, 2]), 2, ['id']);
  body.stage(piece([3]), 1, ['id']);
  await body.room(0);
  // Written, and seen by no reader.
  assert.equal((await rawKeys(dir)).filter((k) => k[2] === 'rest-server+1').length, 2);
  assert.deepEqual(
    [...j.keys()].map((k) => `${k.stream}/${k.seq}`),
    ['rest-server/1'],
  );
  assert.equal([...j.scan()].length, 1);
  assert.equal(j.get('d', 't', 'rest-server+1', 1), undefined);
  assert.equal([...j.range('d', 't', 'rest-server+1', 1, 10)].length, 0);
  assert.deepEqual(j.pending(), { entries: 1, rows: 1 });
  // A second body meanwhile takes the next lane; small appends of the table go on.
  const other = w.stage('d', 't');
  assert.equal(other.stream, 'rest-server+2');
  other.stage(piece([100]), 1, ['id']);
  await w.append('d', 't', piece([4]), 1, ['id']).durable;
  const last = await body.commit(piece([5]), 1, ['id']);
  assert.equal(last.seq, 3);
  assert.deepEqual(
    [...j.range('d', 't', 'rest-server+1', 1, 10)].map((e) => rowsText(e.rows)),
    ['[{"id":1},{"id":2}]', '[{"id":3}]', '[{"id":5}]'],
  );
  assert.deepEqual(j.pending(), { entries: 5, rows: 6 });
  // The abandoned one: removed, and nothing of it was ever visible.
  assert.equal(await other.discard(), 1);
  assert.equal((await rawKeys(dir)).filter((k) => k[2] === 'rest-server+2').length, 0);
  // Lane 1 is free again and goes on from its counter.
  const next = w.stage('d', 't');
  assert.equal(next.stream, 'rest-server+1');
  assert.equal((await next.commit(piece([6]), 1, ['id'])).seq, 4);
});

test('pieces staged when the process ended are dropped by the writer at its next start, committed ones kept', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'elrt-staged-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const j = Journal.open(dir);
  const w = j.writer('rest-server');
  const done = w.stage('d', 't');
  done.stage(piece([1]), 1, ['id']);
  await done.commit(piece([2]), 1, ['id']);
  const cut = w.stage('d', 't');
  cut.stage(piece([3]), 1, ['id']);
  cut.stage(piece([4]), 1, ['id']);
  await cut.room(0);
  await j.writer('msg-client-1').append('d', 't', piece([9]), 1, ['id']).durable;
  await j.close(); // as a crash would leave it: the last transaction never ran
  const again = Journal.open(dir);
  t.after(() => again.close());
  assert.equal((await rawKeys(dir)).length, 5);
  assert.equal(await again.writer('msg-client-1').dropStaged(), 0);
  assert.equal(await again.writer('rest-server').dropStaged(), 2);
  assert.deepEqual(
    (await rawKeys(dir)).map((k) => `${k[2]}/${k[3]}`),
    ['msg-client-1/1', 'rest-server+1/1', 'rest-server+1/2'],
  );
});

/** A chunked PUT whose body is written as far as the caller says; `reply` settles when the server answers. */
function openPut(
  port: number,
  headers: Record<string, string>,
): { req: ClientRequest; reply: Promise<{ status: number; body: string }> } {
  const req = request({ host: '127.0.0.1', port, method: 'PUT', headers });
  const reply = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.on('response', (res) => {
      let data = '';
      res.setEncoding('utf8').on('data', (c: string) => (data += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
    });
    req.on('error', reject);
  });
  return { req, reply };
}

/** `[{...},` rows `from`..`to`-1 (no closing bracket: more follows). */
function rows(from: number, to: number, open = from === 0): Buffer {
  const out: string[] = [];
  for (let i = from; i < to; i++) out.push(JSON.stringify({ id: i, note: 'x'.repeat(60) }));
  return Buffer.from(`${open ? '[' : ','}${out.join(',')}`);
}

const laneKeys = async (dir: string, table: string): Promise<number> =>
  (await rawKeys(dir)).filter((k) => k[1] === table && k[2].startsWith('rest-server+')).length;

async function tableCount(cmd: (q: string) => Promise<string>, table: string): Promise<number> {
  try {
    return (
      JSON.parse(await cmd(`sql test format = json "select count(*) as c from ${table}"`)) as { Query: { c: number }[] }
    ).Query[0]!.c;
  } catch (err) {
    if (/no such table/.test((err as Error).message)) return 0;
    throw err;
  }
}

test('a large PUT shows nothing until its last piece; one the client abandons is removed; a whole one lands', async (t) => {
  const n = await startTestNode(REST_NODE());
  t.after(() => n.stop());
  const dir = join(n.root, 'journal');
  const h = { type: 'json', dbms: 'test', table: 'big', mode: 'streaming' };
  const put = openPut(n.port, h);
  put.reply.catch(() => undefined); // this request is abandoned: no reply is expected
  put.req.write(rows(0, 30_000)); // ~2.6 MB: several pieces, the body not ended
  await until(async () => (await laneKeys(dir, 'big')) >= 3, 15_000, 50);
  const j = Journal.open(dir);
  t.after(() => j.close());
  assert.equal([...j.keys()].filter((k) => k.table === 'big').length, 0, 'no staged piece is visible');
  await new Promise((r) => setTimeout(r, 2500)); // past the operator's replay grace (2 s): it still sees nothing
  assert.equal(await tableCount(n.cmd, 'big'), 0);
  put.req.destroy();
  await until(async () => (await laneKeys(dir, 'big')) === 0, 15_000, 50);
  assert.equal(await tableCount(n.cmd, 'big'), 0);
  // The same node takes a whole large body: acknowledged after its last piece, every row once.
  const whole = openPut(n.port, h);
  whole.req.write(rows(0, 30_000));
  whole.req.end(Buffer.concat([rows(30_000, 40_000), Buffer.from(']')]));
  const r = await whole.reply;
  assert.equal(r.status, 200, r.body);
  await until(async () => (await tableCount(n.cmd, 'big')) === 40_000, 30_000, 100);
  const d = JSON.parse(await n.cmd('sql test format = json "select count(distinct id) as c from big"')) as {
    Query: { c: number }[];
  };
  assert.equal(d.Query[0]!.c, 40_000);
});

test(
  'kill -9 mid-body: acknowledged rows all land, nothing of the body is visible, its pieces are dropped at start',
  { timeout: 120_000 },
  async (t) => {
    const root = mkdtempSync(join(tmpdir(), 'elrt-staged-kill-'));
    t.after(() => rmSync(root, { recursive: true, force: true }));
    const port = await freePort();
    const yaml = join(root, 'node.yaml');
    writeFileSync(
      yaml,
      `node:\n  name: staged\n  root: ${root}\n  log_level: warn\ndbms:\n  test:\n    type: sqlite\nservices:\n  rest_server:\n    internal_ip: 127.0.0.1\n    internal_port: ${port}\n  streamer: {}\n  operator: {}\n`,
    );
    const dir = join(root, 'journal');
    let child: ChildNode | undefined;
    t.after(() => child?.proc.kill('SIGKILL'));
    const cmd = async (q: string): Promise<string> => {
      const r = await http(port, 'GET', { command: q, 'User-Agent': 'AnyLog/1.23' });
      if (r.status !== 200) throw new Error(r.body);
      return r.body;
    };
    const up = (): Promise<void> =>
      until(
        async () => {
          try {
            return /Operator\s*\|\s*Running/.test(await cmd('get processes'));
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code === 'ECONNREFUSED') return false;
            throw err;
          }
        },
        30_000,
        50,
      );
    child = spawnNode(['start', yaml]);
    await up();
    const h = { type: 'json', dbms: 'test', table: 'big', mode: 'streaming' };
    const small = async (from: number): Promise<void> => {
      const r = await http(port, 'PUT', h, JSON.stringify([{ id: from }, { id: from + 1 }]));
      assert.equal(r.status, 200, r.body);
    };
    await small(1_000_000);
    const put = openPut(port, h);
    put.reply.catch(() => undefined); // cut off by the kill: never acknowledged
    put.req.on('error', () => undefined);
    put.req.write(rows(0, 30_000));
    await until(async () => (await laneKeys(dir, 'big')) >= 3, 20_000, 50);
    await small(1_000_002); // acknowledged while the body is staged: not held behind it
    child.proc.kill('SIGKILL');
    await child.exited;
    const staged = await laneKeys(dir, 'big');
    assert.ok(staged >= 3, `staged pieces were in the journal at the kill (${staged})`);
    child = spawnNode(['start', yaml]);
    await up();
    await until(async () => (await tableCount(cmd, 'big')) >= 4, 30_000, 100);
    await new Promise((r) => setTimeout(r, 2500)); // past a replay pass: nothing more may land
    const ids = (
      JSON.parse(await cmd('sql test format = json "select id from big order by id"')) as {
        Query: { id: number }[];
      }
    ).Query.map((x) => x.id);
    assert.deepEqual(ids, [1_000_000, 1_000_001, 1_000_002, 1_000_003]);
    assert.equal(await laneKeys(dir, 'big'), 0, 'the staged pieces were dropped at start');
    const stopped = child.exited;
    child.proc.kill('SIGTERM');
    assert.equal(await stopped, 0);
  },
);
