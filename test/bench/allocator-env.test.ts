// A bench's processes run on the node's allocator (bench/lib/allocator-env.ts): the baselines are measured on the
// same malloc as the node they are compared with.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { benchAllocatorEnv } from '../../bench/lib/allocator-env.js';
import { findJemalloc, JEMALLOC_CONF } from '../../main/cli/allocator.js';

const lib = findJemalloc();
const J = { ELRT_ALLOCATOR: 'jemalloc' };

test('ELRT_ALLOCATOR=glibc: nothing preloaded for the bench either', () => {
  assert.deepEqual(benchAllocatorEnv({ ELRT_ALLOCATOR: 'glibc' }), {});
});

test(
  'jemalloc (found, by default or asked for): preloaded for the bench and its baselines as the node preloads it, once',
  { skip: process.platform !== 'linux' || lib === undefined ? 'no libjemalloc.so.2 here' : false },
  () => {
    assert.deepEqual(benchAllocatorEnv({}), { LD_PRELOAD: lib, MALLOC_CONF: JEMALLOC_CONF });
    assert.deepEqual(benchAllocatorEnv(J), { LD_PRELOAD: lib, MALLOC_CONF: JEMALLOC_CONF });
    assert.deepEqual(benchAllocatorEnv({ ...J, MALLOC_CONF: 'narenas:2' }), { LD_PRELOAD: lib });
    // An LD_PRELOAD already set wins (BENCH_NODE_WRAP's allocator, heaptrack), as in the node's re-exec.
    assert.deepEqual(benchAllocatorEnv({ ...J, LD_PRELOAD: '/opt/x.so' }), {});
    assert.deepEqual(benchAllocatorEnv({ ...J, LD_PRELOAD: lib }), {});
  },
);
