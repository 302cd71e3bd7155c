// The Query Pool (actors/query-pool/): every `sql` runs on a pool worker, never on the main thread; a query past its
// timeout is interrupted and answered with an error; a crashed worker fails its query and is replaced; stopping or
// resizing the pool during queries ends them with errors and the process lives on (libsql-js aborts the process when
// a thread ends while it works in the library).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { http, startTestNode, REST_NODE, until, type TestNode } from '../../harness/test-node.js';
import { ControlClient } from '../../runtime/control/client.js';
import { socketPath } from '../../node/layout.js';
import { EdgeRtError } from '../../base/errors.js';
import { Status } from '../../base/status.js';
import { queryWorkerIn } from '../../actors/query-pool/messages.js';

/** Never ends on its own: only the timeout stops it. The first row comes at once, the second never. */
const ENDLESS = 'with recursive r(n) as (select 1 union all select n + 1 from r) select n from r where n = 1 or n < 0';

async function node(
  t: { after(fn: () => Promise<void>): void },
  yaml = REST_NODE(undefined, undefined, 3),
): Promise<TestNode> {
  const n = await startTestNode(yaml);
  t.after(() => n.stop());
  await n.cmd('connect dbms lab where type = sqlite');
  return n;
}

async function code(p: Promise<unknown>): Promise<number | undefined> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof EdgeRtError, String(err));
    return err.code;
  }
  assert.fail('expected an error');
}

test('the Query Pool runs from boot: a get processes row, get query pool and set query pool', async (t) => {
  const n = await node(t);
  const procs = await n.cmd('get processes');
  assert.match(procs, /Query Pool\s*\|Running\s*\|Threads Pool: 3\s*\|/);
  assert.match(await n.cmd('get query pool'), /^Query Pool with 3 threads:\s+\[0, 0, 0\] \(0\)$/);
  await n.cmd('set query pool 2');
  assert.match(await n.cmd('get processes'), /Query Pool\s*\|Running\s*\|Threads Pool: 2\s*\|/);
  assert.match(await n.cmd('sql lab format = json "select 1 as one"'), /^\{"Query":\[\{"one": ?1\}\]/);
  assert.match(await n.cmd('get query pool'), /\(1\)$/);
  await assert.rejects(n.cmd('set query pool 0'), /Missing number of threads/);
});

test('the pool starts no worker before the first query and grows on demand up to its size; set query pool starts none again', async (t) => {
  const n = await node(t);
  const helpers = () => n.running.node.instances('query-worker').map((w) => w.id);
  const first = () => n.running.node.instances('query-pool').map((w) => w.status);
  assert.deepEqual(helpers(), []);
  assert.deepEqual(first(), ['idle']);
  assert.equal(
    n.running.node.supervisor.info().some((c) => c.id === 'query-pool'),
    false,
    'no worker thread before the first query',
  );
  assert.match(await n.cmd('get processes'), /Query Pool\s*\|Running\s*\|Threads Pool: 3\s*\|/);
  assert.match(await n.cmd('get query pool where details = true'), /1\s*\|Not started/);
  assert.match(await n.cmd('sql lab format = json "select 1 as one"'), /"one"/);
  assert.deepEqual(first(), ['running']);
  // One query at a time never grows the pool.
  for (let i = 0; i < 3; i++) assert.match(await n.cmd(`sql lab format = json "select ${i} as i"`), /"i"/);
  assert.deepEqual(helpers(), []);
  // Four at once on a pool of three: two more workers start, the fourth query waits for a busy one.
  const all = await Promise.all(
    Array.from({ length: 4 }, () => code(n.cmd(`sql lab timeout = 1 "select count(*) from (${ENDLESS})"`))),
  );
  assert.deepEqual(all, [Status.Timeout, Status.Timeout, Status.Timeout, Status.Timeout]);
  assert.deepEqual(helpers().sort(), ['query-worker-2', 'query-worker-3']);
  // Each of the three workers ran at least one of them.
  for (const id of ['query-pool', 'query-worker-2', 'query-worker-3']) {
    const info = await n.running.node.ask(queryWorkerIn(id), { type: 'query.info' });
    assert.ok(info.timedOut >= 1, `${id} timed out ${info.timedOut} queries`);
  }
  assert.match(await n.cmd('get query pool'), /^Query Pool with 3 threads:\s+\[0, 0, 0\] \(\d+\)$/);
  await n.cmd('set query pool 4');
  assert.deepEqual(helpers(), []);
  assert.deepEqual(first(), ['idle']);
  assert.match(await n.cmd('get processes'), /Query Pool\s*\|Running\s*\|Threads Pool: 4\s*\|/);
});

test('the control socket and get status answer within 250 ms while a 10 s query runs', async (t) => {
  const n = await node(t);
  const ctl = await ControlClient.connect(socketPath(n.root));
  t.after(() => ctl.close());
  const t0 = performance.now();
  const query = code(n.cmd(`sql lab timeout = 10 "${ENDLESS}"`));
  const control: number[] = [];
  const rest: number[] = [];
  // Ask while the query runs (bounded: at most 120 rounds, until it ended).
  let ended = false;
  void query.finally(() => (ended = true));
  while (!ended && control.length < 120) {
    let s = performance.now();
    const r = await ctl.request({ op: 'cmd', text: 'get status' });
    control.push(performance.now() - s);
    assert.ok(r.ok);
    s = performance.now();
    const viaRest = await http(n.port, 'GET', { 'User-Agent': 'AnyLog/1.23', command: 'get status' });
    rest.push(performance.now() - s);
    assert.equal(viaRest.status, 200);
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(await query, Status.Timeout);
  const took = performance.now() - t0;
  assert.ok(took >= 9500 && took < 14_000, `the query ended after ${Math.round(took)} ms`);
  assert.ok(control.length >= 20, `only ${control.length} status requests during the query`);
  // The main thread is never busy with the query: every control-socket answer is fast. REST adds two worker hops
  // on a machine shared with other test runs: its median is held to the same bound.
  const worst = Math.max(...control);
  assert.ok(worst < 250, `slowest get status on the control socket: ${Math.round(worst)} ms`);
  const median = [...rest].sort((a, b) => a - b)[Math.floor(rest.length / 2)]!;
  assert.ok(median < 250, `median get status by REST: ${Math.round(median)} ms`);
});

test('queries past their timeout are interrupted again and again; the workers stay and answer', async (t) => {
  const n = await node(t);
  for (let i = 0; i < 8; i++) {
    const s = performance.now();
    assert.equal(await code(n.cmd(`sql lab timeout = 0.3 "${ENDLESS}"`)), Status.Timeout);
    assert.ok(performance.now() - s < 5000);
  }
  // Four at once on three workers: each is interrupted in its turn.
  const all = await Promise.all(
    Array.from({ length: 4 }, () => code(n.cmd(`sql lab timeout = 0.3 "select count(*) from (${ENDLESS})"`))),
  );
  assert.deepEqual(all, [Status.Timeout, Status.Timeout, Status.Timeout, Status.Timeout]);
  assert.match(await n.cmd('get query pool where details = true'), /Idle/);
  assert.equal(await n.cmd('sql lab format = json "select 2 as two"').then((r) => /"two": ?2/.test(r)), true);
  const restarts = n.running.node.instances('query-pool')[0]!.restarts;
  assert.equal(restarts, 0);
});

test('a crashed query worker fails its query with an error and is replaced', async (t) => {
  const n = await node(t);
  const ctl = await ControlClient.connect(socketPath(n.root));
  t.after(() => ctl.close());
  // Worker 2 starts on demand: two queries at once start it.
  await Promise.all([
    code(n.cmd(`sql lab timeout = 0.5 "${ENDLESS}"`)),
    code(n.cmd(`sql lab timeout = 0.5 "${ENDLESS}"`)),
  ]);
  assert.ok(n.running.node.instances('query-worker').some((w) => w.id === 'query-worker-2'));
  const r = await ctl.request({ op: 'send', actor: 'query-worker-2', message: { type: 'query.fault' }, ask: true });
  assert.equal(r.ok, false);
  await until(() => n.running.node.instances('query-worker').some((w) => w.restarts === 1 && w.status === 'running'));
  // Every worker answers again.
  const answers = await Promise.all(
    Array.from({ length: 6 }, (_, i) => n.cmd(`sql lab format = json "select ${i} as i"`)),
  );
  answers.forEach((a, i) => assert.match(a, new RegExp(`"i": ?${i}`)));
});

test('resizing or stopping the pool during queries answers them with errors and the process lives on', async (t) => {
  const n = await node(t);
  for (let round = 0; round < 3; round++) {
    const running = Array.from({ length: 3 }, () => code(n.cmd(`sql lab timeout = 30 "${ENDLESS}"`)));
    await new Promise((r) => setTimeout(r, 200));
    await n.cmd(`set query pool ${2 + (round % 2)}`);
    for (const c of await Promise.all(running)) assert.equal(c, Status.ProcessFailure);
  }
  assert.match(await n.cmd('sql lab format = json "select 3 as three"'), /"three": ?3/);
  await n.cmd('exit query pool');
  assert.match(await n.cmd('get processes'), /Query Pool\s*\|Not declared/);
  await assert.rejects(n.cmd('sql lab "select 1"'), /Query Pool is not running/);
});

test('a query that waited past its timeout behind busy workers is answered at once, never run', async (t) => {
  // A caller that gave up must not hold the pool: twelve endless queries by REST (each answered 500 after the REST
  // timeout) kept a pool of three busy for two minutes, one 30 s timeout after another.
  const n = await node(t);
  await n.cmd('set query pool 1');
  const t0 = performance.now();
  const all = await Promise.all(
    Array.from({ length: 5 }, () => code(n.cmd(`sql lab timeout = 1 "select count(*) from (${ENDLESS})"`))),
  );
  const took = performance.now() - t0;
  assert.deepEqual(all, Array(5).fill(Status.Timeout));
  // One runs its second; the four behind it are past their deadline when its worker is free (before: 5 s).
  assert.ok(took < 3000, `five queries of 1 s on one worker were answered after ${Math.round(took)} ms`);
  const s = performance.now();
  assert.match(await n.cmd('sql lab format = json "select 4 as four"'), /"four": ?4/);
  assert.ok(performance.now() - s < 1000);
  const info = await n.running.node.ask(queryWorkerIn('query-pool'), { type: 'query.info' });
  assert.equal(info.timedOut, 5);
});

test('a query whose result is over max_result_mb fails with error 9 and the pool answers the next one', async (t) => {
  const n = await node(t);
  await n.cmd('exit query pool');
  await n.cmd('run query pool where threads = 1 and max_result_mb = 1');
  // 2,000 rows of 1 KB: 2 MB.
  const big = `with recursive r(n) as (select 1 union all select n + 1 from r where n < 2000) select n, printf('%.1000c', 'x') as s from r`;
  assert.equal(await code(n.cmd(`sql lab "${big}"`)), Status.DataSizeLargerThanBuffer);
  assert.match(await n.cmd(`sql lab format = json "select count(*) as c from (${big})"`), /"c": ?2000/);
  assert.match(await n.cmd(`sql lab format = json "select n from (${big}) where n = 7"`), /"n": ?7/);
});

test('a query whose temp files pass max_temp_mb fails with error 9 and the pool answers the next one', async (t) => {
  // A sorted cross join grew a SQLite temp file by 150-400 MB a second until the query's timeout (30 s).
  const n = await node(t);
  await n.cmd('exit query pool');
  await n.cmd('run query pool where threads = 2 and max_temp_mb = 16');
  const rows = `with recursive r(n) as (select 1 union all select n + 1 from r where n < 300) select n, printf('%.50c%d', 'x', n) as s from r`;
  const t0 = performance.now();
  assert.equal(
    await code(n.cmd(`sql lab "select * from (${rows}) a, (${rows}) b, (${rows}) c order by a.s, b.s, c.s"`)),
    Status.DataSizeLargerThanBuffer,
  );
  assert.ok(performance.now() - t0 < 10_000, `answered after ${Math.round(performance.now() - t0)} ms`);
  assert.match(await n.cmd(`sql lab format = json "select count(*) as c from (${rows})"`), /"c": ?300/);
});

test("a REST client's per-call timeout may shorten the pool's timeout but not lengthen it; the owner's may", async (t) => {
  // `sql <dbms> timeout = 2000000 "..."` by REST held a worker for 23 days: three of them and no query ran again.
  const n = await node(t);
  await n.cmd('exit query pool');
  await n.cmd('run query pool where threads = 1 and timeout = 1');
  const t0 = performance.now();
  const r = await http(n.port, 'GET', {
    'User-Agent': 'curl/8',
    command: `sql lab timeout = 2000000 "${ENDLESS}"`,
  });
  const took = performance.now() - t0;
  assert.equal(r.status, 400, r.body);
  assert.match(r.body, /"err_code": 26/);
  assert.ok(took < 5000, `answered after ${Math.round(took)} ms`);
  // Shorter is taken.
  assert.match(
    (await http(n.port, 'GET', { 'User-Agent': 'curl/8', command: `sql lab timeout = 0.2 "${ENDLESS}"` })).body,
    /"err_code": 26/,
  );
  // The owner (control socket, scripts) may give a query more time than the pool's.
  const s = performance.now();
  assert.equal(await code(n.cmd(`sql lab timeout = 2 "${ENDLESS}"`)), Status.Timeout);
  assert.ok(performance.now() - s >= 1900);
});

test('a REST query is interrupted within the REST timeout and answered with error 26, not 500', async (t) => {
  // With the REST timeout (20 s) under the pool's (30 s) the client got a 500 (`ask node.command timed out`, logged
  // as the node's fault) and the query held its worker 10 s more.
  const n = await node(
    t,
    REST_NODE(undefined, undefined, 1).replace('internal_port: 0\n', 'internal_port: 0\n    timeout: 2\n'),
  );
  // The pool's worker starts at the first query: started before the clock runs.
  assert.match(await n.cmd('sql lab format = json "select 1 as one"'), /"one"/);
  const t0 = performance.now();
  const r = await http(n.port, 'GET', { 'User-Agent': 'curl/8', command: `sql lab "${ENDLESS}"` });
  const took = performance.now() - t0;
  assert.equal(r.status, 400, r.body);
  assert.match(r.body, /"err_code": 26/);
  assert.ok(took < 2500, `answered after ${Math.round(took)} ms`);
  // The worker is free at once.
  const s = performance.now();
  assert.match(await n.cmd('sql lab format = json "select 5 as five"'), /"five": ?5/);
  assert.ok(performance.now() - s < 1000);
});

test('a query waiting behind a longer one is answered at its own timeout, not when the worker is free', async (t) => {
  const n = await node(t);
  await n.cmd('set query pool 1');
  // The worker starts at the first query: started before, so the long query runs at once.
  assert.match(await n.cmd('sql lab format = json "select 1 as one"'), /"one"/);
  const long = code(n.cmd(`sql lab timeout = 6 "${ENDLESS}"`));
  await new Promise((r) => setTimeout(r, 300));
  const t0 = performance.now();
  assert.equal(await code(n.cmd(`sql lab timeout = 1 "select 1"`)), Status.Timeout);
  const took = performance.now() - t0;
  assert.ok(took < 3000, `answered after ${Math.round(took)} ms (the worker was busy for 6 s)`);
  assert.equal(await long, Status.Timeout);
});

test('a query interrupted after waiting for a busy worker names its own timeout, not what was left of it', async (t) => {
  const n = await node(t);
  await n.cmd('set query pool 1');
  assert.match(await n.cmd('sql lab format = json "select 1 as one"'), /"one"/);
  const first = code(n.cmd(`sql lab timeout = 1 "${ENDLESS}"`));
  await new Promise((r) => setTimeout(r, 100));
  const second = await n.cmd(`sql lab timeout = 3 "${ENDLESS}"`).then(
    () => assert.fail('expected a timeout'),
    (err: EdgeRtError) => err,
  );
  assert.equal(await first, Status.Timeout);
  assert.equal(second.code, Status.Timeout);
  assert.match(second.message, /interrupted at its timeout of 3000 ms \(\d+ ms of it waiting for a query worker\)/);
});
