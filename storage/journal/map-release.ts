// Giving back the journal's mapped file pages (issue 12: RSS after a 55 MB PUT and in the soak). LMDB reads through
// a read-only shared map of data.mdb (lmdb-js opens it without `useWritemap`, so every mapping is `r--s`, and writes
// go through pwrite), and every page a reader touched stays in the process's RSS as long as the map lives: after
// the operator read a 55 MB body back, ~57 MB of RssFile; after a 10-minute soak whose backlog passed through the
// journal, +140 MB (bench/README.md). Those pages are clean page cache; the kernel drops them under memory
// pressure, but RSS counts them meanwhile.
// madvise(MADV_DONTNEED) on a MAP_SHARED file mapping removes the process's page-table entries only: the pages stay
// in the page cache (reclaimable, never lost: a shared mapping has no private copy to discard) and the next read
// through the map faults the same bytes back in (a minor fault). Private mappings are never touched here: there
// DONTNEED would discard copy-on-write changes.
// Which ranges: the shared mappings of data.mdb in /proc/self/maps. lmdb-js keeps every map it outgrew (a grown
// map is a new mapping; mdb.c `mdb_env_set_mapsize`, "lmdb-js removal": the old ones stay for lingering readers) and
// unmaps them all only when the last thread closes the environment (src/env.cpp `closeEnv`, a count across
// threads). So a caller holding its Journal open keeps every range it read from /proc/self/maps mapped to the
// journal until it returns: nothing else can be mapped there meanwhile, which DONTNEED would zero. That is why this
// is the journal's (its own thread, while open) and not the process's main thread, which never opens the journal.
// koffi calls madvise (as malloc-trim does malloc_trim); off Linux the release is unavailable and says so.
import { readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';

/** Linux `MADV_DONTNEED` (include/uapi/asm-generic/mman-common.h). */
const MADV_DONTNEED = 4;

export interface MapRelease {
  /** Shared mappings of the file found and released. */
  mappings: number;
  /** Their total length (address space, not what was resident). */
  bytes: number;
  ms: number;
}

export interface MappedRange {
  start: bigint;
  end: bigint;
  shared: boolean;
}

type Madvise = (addr: bigint, len: bigint, advice: number) => number;
let madviseFn: Madvise | undefined;
let errnoFn: (() => number) | undefined;

function madvise(): Madvise {
  if (madviseFn) return madviseFn;
  if (process.platform !== 'linux')
    throw new Error(`madvise on /proc/self/maps ranges is Linux's; this is ${process.platform}`);
  const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
  const libc = koffi.load('libc.so.6');
  // The address as uintptr_t: the same register as `void *` in every Linux ABI, and no pointer object to make.
  madviseFn = libc.func('int madvise(uintptr_t addr, size_t len, int advice)') as Madvise;
  errnoFn = () => koffi.errno();
  return madviseFn;
}

/**
 * The mappings of `file` in /proc/self/maps (`maps` for tests), by its canonical path as the kernel prints it.
 * A line: `start-end perms offset dev inode path`; perms' fourth letter is `s` for a shared mapping.
 */
export function mappingsOf(file: string, maps: string = readFileSync('/proc/self/maps', 'utf8')): MappedRange[] {
  const path = realpathSync(file);
  const out: MappedRange[] = [];
  for (const line of maps.split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) \S+ \S+ \d+\s+(.*)$/.exec(line);
    if (!m || m[4] !== path) continue;
    out.push({ start: BigInt(`0x${m[1]!}`), end: BigInt(`0x${m[2]!}`), shared: m[3]![3] === 's' });
  }
  return out;
}

/**
 * Drops this process's resident pages of the shared mappings of `file` (MADV_DONTNEED); they stay in the page cache.
 * The caller must keep the mappings alive across the call (for the journal: hold it open, see above).
 * Throws when madvise is unavailable or refuses a range (the error names the range and errno).
 */
export function releaseMapped(file: string): MapRelease {
  const fn = madvise();
  const t0 = performance.now();
  let mappings = 0;
  let bytes = 0n;
  for (const r of mappingsOf(file)) {
    if (!r.shared) continue;
    const len = r.end - r.start;
    if (fn(r.start, len, MADV_DONTNEED) !== 0)
      throw new Error(
        `madvise(0x${r.start.toString(16)}, ${len}, MADV_DONTNEED) on ${file} failed: errno ${errnoFn?.() ?? '?'}`,
      );
    mappings++;
    bytes += len;
  }
  return { mappings, bytes: Number(bytes), ms: performance.now() - t0 };
}
