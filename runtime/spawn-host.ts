// How an actor's worker thread is created: on the host module (host.ts), with the young generation bounded, and
// with `gc()` exposed to every worker (worker-ref.ts holds the handle to each).
import { Worker } from 'node:worker_threads';
import { setFlagsFromString } from 'node:v8';

const hostUrl = new URL(`./host${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

/**
 * V8's young generation per worker, MB. Its default (up to 3 x 16 MB semi-spaces, grown under allocation) is
 * sized for one busy thread; a node has five or more workers that each allocate in bursts (a 55 MB PUT parsed
 * in pieces), and every one of them keeps its grown young generation resident. Scavenges cost in proportion to
 * what survives, not to the garbage, so a smaller one costs little (bench/README.md, put-55mb-rss).
 * ELRT_WORKER_YOUNG_MB overrides it (0: V8's default).
 */
const YOUNG_MB = Number(process.env['ELRT_WORKER_YOUNG_MB'] ?? 12);
const LIMITS = YOUNG_MB > 0 ? { resourceLimits: { maxYoungGenerationSizeMb: YOUNG_MB } } : {};

// Workers get `gc()` (runtime/gc.ts, for the bursts of a large PUT): V8 reads the flag when an isolate is created,
// so it is set here, before any worker starts; the main thread's isolate exists already and does not get it.
setFlagsFromString('--expose-gc');

/** Starts a worker on the host module. From TypeScript sources (tests) it registers tsx first. */
export function spawnHost(name: string): Worker {
  if (hostUrl.pathname.endsWith('.ts')) {
    // Node 20 does not apply --import loaders to a worker's entry module: bootstrap tsx by hand.
    const code = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(hostUrl.href)}); })`;
    return new Worker(code, { eval: true, name, ...LIMITS });
  }
  return new Worker(hostUrl, { name, ...LIMITS });
}
