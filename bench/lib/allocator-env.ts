// The allocator a bench's processes run on: the node's own (main/cli/allocator.ts), so that every baseline a bench
// measures beside the node (raw libsql behind HTTP, raw echo servers, a bare Node with idle workers) runs on the same
// malloc. The node's `start` preloads jemalloc where the system has it; a baseline left on glibc would be measured on
// another allocator than the node it is compared with. bench/run.ts starts each bench with this environment, and
// the bench process, the node and the bench's other children inherit it: `ELRT_ALLOCATOR=glibc npm run bench --
// <name>` runs all of them on glibc.
import { allocatorChoice, findJemalloc, JEMALLOC_CONF } from '../../main/cli/allocator.js';

/** The variables to add to a bench's environment (none when jemalloc is not used or already preloaded). */
export function benchAllocatorEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  if (process.platform !== 'linux' || allocatorChoice(env) === 'glibc') return {};
  const lib = findJemalloc();
  // An LD_PRELOAD already set wins, as in the node's re-exec (main/cli/arena-exec.ts): BENCH_NODE_WRAP's or the user's.
  if (lib === undefined || (env['LD_PRELOAD'] ?? '') !== '') return {};
  return {
    LD_PRELOAD: lib,
    ...((env['MALLOC_CONF'] ?? '') === '' ? { MALLOC_CONF: JEMALLOC_CONF } : {}),
  };
}
