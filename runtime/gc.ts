// A full garbage collection on request, for a worker that has just dropped a burst of large Buffers (issue 12).
// V8 frees a Buffer's memory only when it collects the Buffer, and it weighs such external memory toward its next
// full collection only (a soft limit of 64 MB). An actor that reads and writes a large body in slices (the
// operator applying a 55 MB PUT from the journal, the REST worker staging it) leaves tens of MB of dead Buffers
// between collections; glibc serves the next slices from the same thread's arena, which grows by that much and
// keeps it. Measured with `put-55mb-rss` on a scratch build: a collection before each slice of the operator's
// catch-up took the node's peak from 334 to 299 MB (one run each, unrecorded). Only for bursts: each call costs
// a few ms.
// `gc` exists in workers because spawn-host.ts sets --expose-gc before any starts; elsewhere this does nothing.
import { runInNewContext } from 'node:vm';
import type { GcFunction } from './idle-gc.js';

const gc = (globalThis as { gc?: GcFunction }).gc;

/**
 * This isolate's `gc`: a worker's global; on the main thread, whose context existed before spawn-host.ts set
 * --expose-gc, the one V8 installs in a context created since (undefined when the flag is not set).
 */
export function isolateGc(): GcFunction | undefined {
  if (gc !== undefined) return gc;
  const fromNewContext: unknown = runInNewContext('typeof gc === "function" ? gc : undefined');
  return typeof fromNewContext === 'function' ? (fromNewContext as GcFunction) : undefined;
}

/**
 * Collects now (a full collection, `gc({ type: 'major' })`) when the runtime allows it; false when it does not (the
 * main thread, another host). It frees dead Buffers' memory; in this V8 it does not run native finalizers within the
 * call (libsql's statements: actors/query-pool/index.ts calls `gc()` for those).
 */
export function collectGarbage(): boolean {
  if (gc === undefined) return false;
  gc({ type: 'major' });
  return true;
}
