// Rewinding a ring (runtime/ring.ts): a producer that finds the ring empty past REWIND_FROM writes a skip word
// (ring-layout.ts SKIP) where it stands and its record at the data area's start, both published by the one HEAD
// store; the consumer passes the skip word to the next multiple of the capacity. The consumer has taken everything
// up to that HEAD, so the skipped bytes are free: nothing is overwritten that is still to be read. A steady flow the
// consumer keeps up with then stays in the first pages of the SharedArrayBuffer instead of making all of it
// resident, a page at a time.
// These are the ring's positions arithmetic only; the ring loads and stores HEAD and TAIL around them.
import { SKIP } from './ring-layout.js';

/** The kernel's page: the unit in which the ring's memory becomes resident. */
export const PAGE_BYTES = 4096;

/**
 * Whether a record of `total` bytes at byte position `head` is worth a fresh look at TAIL to rewind: past the
 * rewind point, and at a page's start or about to reach into another page (a page once written stays resident;
 * within one the record costs nothing more). TAIL sits on the consumer's cache line: the single-record path loads
 * it once a page, not once a record.
 */
export function mayRewind(head: number, total: number, capacity: number, rewindAt: number): boolean {
  const at = head & (capacity - 1);
  // At a page's start too: records whose sizes divide the page never reach across one.
  const inPage = at & (PAGE_BYTES - 1);
  return at >= rewindAt && (inPage === 0 || inPage + total > PAGE_BYTES);
}

/**
 * In an empty ring (the consumer has taken everything up to `head`), far enough from the data area's start, for a
 * record of `total` bytes a quarter of the rewind point or less: writes a skip word at `head` into `words` (the
 * data area as 32-bit words) so that the record goes at the start of the data area, and returns the bytes skipped
 * (0 when it did not rewind). The caller publishes the skip with the record, by the same HEAD store.
 */
export function rewind(words: Uint32Array, head: number, total: number, capacity: number, rewindAt: number): number {
  const at = head & (capacity - 1);
  // Only records well below the rewind point: a large one after a rewind would find the skipped bytes still counted
  // as used, and a flow of such records would hold one at a time instead of several (a TCP file transfer's blocks).
  if (at < rewindAt || total > rewindAt / 4) return 0;
  words[at >>> 2] = SKIP;
  return capacity - at;
}

/** The bytes the consumer passes when a skip word is at byte position `tail` (to the data area's end), else 0. */
export function skipAt(words: Uint32Array, tail: number, capacity: number): number {
  const at = tail & (capacity - 1);
  return words[at >>> 2] === SKIP ? capacity - at : 0;
}
