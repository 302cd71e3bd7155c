// `start` re-executes itself with MALLOC_ARENA_MAX set (main/cli/arena-exec.ts), so that glibc caps the arenas of
// every thread, Node's first ones included, and the process keeps its pid. The node's arenas are counted from
// /proc/<pid>/maps: each arena but the main one lives in 64 MiB heaps, anonymous and aligned to 64 MiB (glibc
// arena.c `new_heap`, HEAP_MAX_SIZE on 64-bit), its used part read-write and the rest PROT_NONE.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { REPO, runCli, startCli } from '../../harness/cli.js';
import { arenaExecPlan } from '../../main/cli/arena-exec.js';

const HEAP = 64 << 20;

/** glibc thread-arena heaps in the process's mappings (an arena past 64 MiB counts once per heap). */
function arenaHeaps(pid: number): number {
  const regions = readFileSync(`/proc/${pid}/maps`, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const [range, , , , , path] = l.split(/\s+/);
      const [a, b] = range!.split('-').map((x) => BigInt(`0x${x}`));
      return { start: a!, end: b!, anon: (path ?? '') === '' };
    });
  let heaps = 0;
  for (const r of regions) {
    if (!r.anon || r.start % BigInt(HEAP) !== 0n) continue;
    const inside = regions.filter((x) => x.start >= r.start && x.end <= r.start + BigInt(HEAP));
    if (inside.every((x) => x.anon) && inside.reduce((n, x) => n + (x.end - x.start), 0n) === BigInt(HEAP)) heaps++;
  }
  return heaps;
}

function environ(pid: number): Map<string, string> {
  const out = new Map<string, string>();
  for (const kv of readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')) {
    const i = kv.indexOf('=');
    if (i > 0) out.set(kv.slice(0, i), kv.slice(i + 1));
  }
  return out;
}

test('the re-exec plan: the cap on Linux unless MALLOC_ARENA_MAX is set, the cap is off or this is a forked node', () => {
  const plan = arenaExecPlan({ PATH: '/bin', MALLOC_ARENA_MAX: '' }, 'linux', false);
  assert.ok('cap' in plan);
  assert.equal(plan.cap, 2);
  assert.deepEqual(plan.env, ['PATH=/bin', 'MALLOC_ARENA_MAX=2']);
  const four = arenaExecPlan({ ELRT_MALLOC_ARENA_MAX: '4' }, 'linux', false);
  assert.ok('cap' in four && four.cap === 4);
  assert.match(String((arenaExecPlan({ MALLOC_ARENA_MAX: '8' }, 'linux', false) as { skip: string }).skip), /is set/);
  assert.ok('skip' in arenaExecPlan({ ELRT_MALLOC_ARENA_MAX: '0' }, 'linux', false));
  assert.ok('skip' in arenaExecPlan({}, 'linux', true), 'a forked node');
  assert.ok('skip' in arenaExecPlan({}, 'darwin', false));
  assert.throws(() => arenaExecPlan({ ELRT_MALLOC_ARENA_MAX: 'two' }, 'linux', false), /whole number of arenas/);
});

async function startNode(t: TestContext, env: Record<string, string>): Promise<ReturnType<typeof startCli>> {
  const root = mkdtempSync(join(tmpdir(), 'elrt-arena-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const node = startCli(['start', join(REPO, 'test/fixtures/start-node.al'), '--root', root], env);
  t.after(() => {
    if (node.child.exitCode === null && node.child.signalCode === null) node.child.kill('SIGKILL');
  });
  // Printed by the re-executed image: stdout survived the exec.
  await node.waitForStdout(/control: .*edgelake-rt\.sock/);
  const status = await runCli(['cmd', '--root', root, 'get status']);
  assert.equal(status.stdout, 'clinode@127.0.0.1 running\n', status.stderr);
  return node;
}

test(
  'start runs as the same pid with MALLOC_ARENA_MAX=2 from exec: one thread arena',
  { skip: process.platform !== 'linux' },
  async (t) => {
    const node = await startNode(t, { MALLOC_ARENA_MAX: '' });
    const pid = node.child.pid!;
    assert.equal(environ(pid).get('MALLOC_ARENA_MAX'), '2');
    // The main arena plus one: Node's platform threads, the workers and libsql's threads share them.
    assert.ok(arenaHeaps(pid) <= 1, `thread arena heaps: ${arenaHeaps(pid)}`);
    // The pid the caller started is the node: its SIGTERM is a graceful stop.
    node.child.kill('SIGTERM');
    assert.deepEqual(await node.exited(), { code: 0, signal: null });
    assert.doesNotMatch(node.stderr(), /could not re-execute/);
  },
);

test(
  'ELRT_MALLOC_ARENA_MAX=0: no re-exec, and glibc gives the threads arenas of their own',
  { skip: process.platform !== 'linux' },
  async (t) => {
    const node = await startNode(t, { MALLOC_ARENA_MAX: '', ELRT_MALLOC_ARENA_MAX: '0' });
    const pid = node.child.pid!;
    assert.equal(environ(pid).get('MALLOC_ARENA_MAX') ?? '', '');
    assert.ok(arenaHeaps(pid) > 1, `thread arena heaps: ${arenaHeaps(pid)}`);
    node.child.kill('SIGTERM');
    assert.deepEqual(await node.exited(), { code: 0, signal: null });
  },
);
