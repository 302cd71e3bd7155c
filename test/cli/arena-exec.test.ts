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
import {
  activeAllocator,
  allocatorChoice,
  EXEC_MARK,
  execEnv,
  findJemalloc,
  JEMALLOC_CONF,
  restoreEnvAfterExec,
} from '../../main/cli/allocator.js';

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

/** The plan's environment without the exec mark (checked on its own below). */
const unmarked = (env: string[]): string[] => env.filter((kv) => !kv.startsWith(`${EXEC_MARK}=`));

test('the re-exec plan: the cap on Linux unless MALLOC_ARENA_MAX is set, the cap is off or this is a forked node', () => {
  const plan = arenaExecPlan({ PATH: '/bin', MALLOC_ARENA_MAX: '' }, 'linux', false, null);
  assert.ok('cap' in plan);
  assert.equal(plan.cap, 2);
  assert.deepEqual(unmarked(plan.env), ['PATH=/bin', 'MALLOC_ARENA_MAX=2']);
  const four = arenaExecPlan({ ELRT_MALLOC_ARENA_MAX: '4' }, 'linux', false, null);
  assert.ok('cap' in four && four.cap === 4);
  const set = arenaExecPlan({ MALLOC_ARENA_MAX: '8' }, 'linux', false, null);
  assert.match(String((set as { skip: string }).skip), /is set/);
  assert.ok('skip' in arenaExecPlan({ ELRT_MALLOC_ARENA_MAX: '0' }, 'linux', false, null));
  assert.ok('skip' in arenaExecPlan({}, 'linux', true, JEMALLOC), 'a forked node');
  assert.ok('skip' in arenaExecPlan({}, 'darwin', false, JEMALLOC));
  assert.throws(() => arenaExecPlan({ ELRT_MALLOC_ARENA_MAX: 'two' }, 'linux', false), /whole number of arenas/);
});

const JEMALLOC = '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2';

test('the re-exec plan: jemalloc goes first in LD_PRELOAD, with MALLOC_CONF unless set, and once', () => {
  // ELRT_ALLOCATOR=glibc: the library is not looked for.
  const byDefault = arenaExecPlan({ PATH: '/bin', ELRT_ALLOCATOR: 'glibc' }, 'linux', false);
  assert.ok(!('skip' in byDefault) && byDefault.preload === undefined, JSON.stringify(byDefault));
  assert.deepEqual(unmarked(byDefault.env), ['PATH=/bin', 'ELRT_ALLOCATOR=glibc', 'MALLOC_ARENA_MAX=2']);
  const plan = arenaExecPlan({ PATH: '/bin', MALLOC_CONF: '' }, 'linux', false, JEMALLOC);
  assert.ok(!('skip' in plan));
  assert.equal(plan.preload, JEMALLOC);
  assert.deepEqual(plan.env, [
    'PATH=/bin',
    'MALLOC_ARENA_MAX=2',
    `LD_PRELOAD=${JEMALLOC}`,
    `MALLOC_CONF=${JEMALLOC_CONF}`,
    `${EXEC_MARK}={"LD_PRELOAD":null,"MALLOC_CONF":""}`,
  ]);
  const theirConf = arenaExecPlan({ MALLOC_CONF: 'narenas:1' }, 'linux', false, JEMALLOC);
  assert.ok(!('skip' in theirConf));
  assert.ok(theirConf.env.includes('MALLOC_CONF=narenas:1') && !theirConf.env.includes(`MALLOC_CONF=${JEMALLOC_CONF}`));
  // A user's LD_PRELOAD wins (another malloc, heaptrack's hooks): the cap alone.
  const theirs = arenaExecPlan({ LD_PRELOAD: '/opt/tcmalloc.so' }, 'linux', false, JEMALLOC);
  assert.ok(!('skip' in theirs) && theirs.preload === undefined && theirs.cap === 2);
  assert.ok(theirs.env.includes('LD_PRELOAD=/opt/tcmalloc.so'));
  // The image the exec started finds the mark: no second exec, even where the loader dropped LD_PRELOAD
  // (secure-execution mode) and so the preload looks missing again.
  const after = Object.fromEntries(plan.env.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
  assert.match(String((arenaExecPlan(after, 'linux', false, JEMALLOC) as { skip: string }).skip), /already/);
  delete after['LD_PRELOAD'];
  assert.ok('skip' in arenaExecPlan(after, 'linux', false, JEMALLOC));
  // glibc's own limit with jemalloc found execs for the preload alone.
  const preloadOnly = arenaExecPlan({ ELRT_MALLOC_ARENA_MAX: '0' }, 'linux', false, JEMALLOC);
  assert.ok(!('skip' in preloadOnly) && preloadOnly.cap === undefined && preloadOnly.preload === JEMALLOC);
});

test("after the exec the node's children get the user's LD_PRELOAD and MALLOC_CONF back; the arena cap stays", () => {
  const plan = arenaExecPlan({ PATH: '/bin', MALLOC_CONF: 'narenas:1' }, 'linux', false, JEMALLOC);
  assert.ok(!('skip' in plan));
  const env: NodeJS.ProcessEnv = Object.fromEntries(
    plan.env.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  );
  assert.equal(env['LD_PRELOAD'], JEMALLOC);
  restoreEnvAfterExec(env);
  assert.deepEqual(env, { PATH: '/bin', MALLOC_CONF: 'narenas:1', MALLOC_ARENA_MAX: '2' });
  // Not re-executed (no mark): nothing changes.
  const untouched: NodeJS.ProcessEnv = { LD_PRELOAD: '/x.so' };
  restoreEnvAfterExec(untouched);
  assert.deepEqual(untouched, { LD_PRELOAD: '/x.so' });
});

test('ELRT_ALLOCATOR: auto by default, jemalloc or glibc, anything else refused; the library is looked for', () => {
  assert.equal(allocatorChoice({}), 'auto');
  assert.equal(allocatorChoice({ ELRT_ALLOCATOR: 'glibc' }), 'glibc');
  assert.equal(allocatorChoice({ ELRT_ALLOCATOR: 'jemalloc' }), 'jemalloc');
  assert.throws(() => allocatorChoice({ ELRT_ALLOCATOR: 'tcmalloc' }), /auto, jemalloc or glibc/);
  assert.equal(
    findJemalloc((p) => p === '/usr/lib64/libjemalloc.so.2'),
    '/usr/lib64/libjemalloc.so.2',
  );
  assert.equal(
    findJemalloc(() => false),
    undefined,
  );
  const maps = `7f00-7f10 r-xp 0 08:01 12 ${JEMALLOC}\n`;
  assert.equal(
    activeAllocator(
      () => maps,
      () => `PATH=/bin\0LD_PRELOAD=${JEMALLOC}\0`,
    ),
    'jemalloc',
  );
  // Mapped, but behind another preloaded malloc, or not preloaded at all: that library or glibc serves malloc.
  assert.equal(
    activeAllocator(
      () => maps,
      () => `LD_PRELOAD=/opt/tcmalloc.so:${JEMALLOC}\0`,
    ),
    'libc',
  );
  assert.equal(
    activeAllocator(
      () => maps,
      () => 'PATH=/bin\0',
    ),
    'libc',
  );
  const libcMaps = '7f00-7f10 r-xp 0 08:01 12 /usr/lib/x86_64-linux-gnu/libc.so.6\n';
  assert.equal(
    activeAllocator(
      () => libcMaps,
      () => `LD_PRELOAD=${JEMALLOC}\0`,
    ),
    'libc',
  );
  assert.equal(
    execEnv('MALLOC_CONF', () => 'A=1\0MALLOC_CONF=narenas:1\0'),
    'narenas:1',
  );
  assert.equal(
    execEnv('MALLOC_CONF', () => 'A=1\0'),
    '',
  );
});

async function startNode(
  t: TestContext,
  env: Record<string, string>,
): Promise<ReturnType<typeof startCli> & { root: string }> {
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
  return Object.assign(node, { root });
}

test(
  'start runs as the same pid with MALLOC_ARENA_MAX=2 from exec: one thread arena',
  { skip: process.platform !== 'linux' },
  async (t) => {
    const node = await startNode(t, { MALLOC_ARENA_MAX: '', LD_PRELOAD: '', ELRT_ALLOCATOR: 'glibc' });
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
    const node = await startNode(t, {
      MALLOC_ARENA_MAX: '',
      LD_PRELOAD: '',
      ELRT_MALLOC_ARENA_MAX: '0',
      ELRT_ALLOCATOR: 'glibc',
    });
    const pid = node.child.pid!;
    assert.equal(environ(pid).get('MALLOC_ARENA_MAX') ?? '', '');
    assert.ok(arenaHeaps(pid) > 1, `thread arena heaps: ${arenaHeaps(pid)}`);
    node.child.kill('SIGTERM');
    assert.deepEqual(await node.exited(), { code: 0, signal: null });
  },
);

/** Whether the library is mapped into the process (its text, after the loader preloaded it). */
const mapsJemalloc = (pid: number): boolean => /\/libjemalloc\.so/.test(readFileSync(`/proc/${pid}/maps`, 'utf8'));

const jemalloc = findJemalloc();

test(
  'start runs on jemalloc where the system has it, as the same pid; ELRT_ALLOCATOR=glibc keeps glibc',
  {
    skip:
      process.platform !== 'linux'
        ? 'Linux only'
        : jemalloc === undefined
          ? 'no libjemalloc.so.2 here (Debian: apt-get install libjemalloc2)'
          : false,
  },
  async (t) => {
    const node = await startNode(t, {
      MALLOC_ARENA_MAX: '',
      LD_PRELOAD: '',
      MALLOC_CONF: '',
      ELRT_ALLOCATOR: '',
      EDGELAKE_RT_ALLOW_SYSTEM: 'true',
    });
    const pid = node.child.pid!;
    assert.ok(mapsJemalloc(pid), 'jemalloc is mapped into the node');
    assert.equal(environ(pid).get('LD_PRELOAD'), jemalloc);
    assert.equal(environ(pid).get('MALLOC_CONF'), JEMALLOC_CONF);
    assert.match(node.stderr(), /allocator: jemalloc/);
    // Its children do not inherit the preload: a shell the node starts sees the user's (empty) LD_PRELOAD.
    const child = await runCli([
      'cmd',
      '--root',
      node.root,
      'system echo "[$LD_PRELOAD][$MALLOC_CONF][$MALLOC_ARENA_MAX]"',
    ]);
    assert.equal(child.stdout, '[][][2]\n', child.stderr);
    node.child.kill('SIGTERM');
    assert.deepEqual(await node.exited(), { code: 0, signal: null });

    const plain = await startNode(t, { MALLOC_ARENA_MAX: '', LD_PRELOAD: '', ELRT_ALLOCATOR: 'glibc' });
    assert.ok(!mapsJemalloc(plain.child.pid!), 'ELRT_ALLOCATOR=glibc: no jemalloc');
    assert.match(plain.stderr(), /allocator: the C library/);
    plain.child.kill('SIGTERM');
    assert.deepEqual(await plain.exited(), { code: 0, signal: null });
  },
);
