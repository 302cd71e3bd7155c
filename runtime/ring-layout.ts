// The ring's shared memory: control words, record framing, and how a side sleeps on a word
// (runtime/ring.ts has the protocol over them).
//
// Layout (host byte order: both ends run in the same process; little-endian on every platform Node supports):
//   bytes [0, 192)        control words, Int32 each, at the named indices below, on three 64-byte
//                         cache lines: what the producer writes per record (HEAD, PUSHED), what the
//                         consumer writes per record (TAIL, POPPED), and the rarely written wake-up
//                         words; so neither side's per-record stores evict the line the other reads
//   bytes [192, 192 + cap) data area; `cap` is a power of two, multiple of 4
// A record is a u32 length followed by that many payload bytes, padded to 4 bytes, so a
// length word never straddles the end of the data area; payload bytes may wrap around.

export const CONTROL_BYTES = 192;
/** Producer's write position (bytes, mod 2^32). Line 0. */
export const HEAD = 0;
/** Records pushed and popped, for `get` commands and tests (wrap at 2^31, display only). */
export const PUSHED = 1;
/** Consumer's read position (bytes, mod 2^32). Line 1. */
export const TAIL = 16;
export const POPPED = 17;
/** Bumped by the producer after a push while the consumer sleeps; the consumer waits on it. Line 2. */
export const DATA_SEQ = 32;
/** 1 while the consumer is (about to be) asleep on DATA_SEQ. */
export const CONSUMER_WAITING = 33;
/** Bumped by the consumer after a pop while the producer sleeps; the producer waits on it. */
export const SPACE_SEQ = 34;
/** 1 while the producer is (about to be) asleep on SPACE_SEQ. */
export const PRODUCER_WAITING = 35;
/** Set to 1 by either side to say no more records will come. */
export const CLOSED = 36;
/**
 * Where in the data area the producer rewinds an empty ring to its start (bytes; 0: never), set when the ring is
 * created: REWIND_AT, or a quarter of a smaller ring's data area.
 */
export const REWIND_FROM = 37;

/** Word indices of the control area (Int32Array over the SharedArrayBuffer), for tests and tools. */
export const RING_CONTROL = { HEAD, TAIL, PUSHED, POPPED, CLOSED, bytes: CONTROL_BYTES } as const;

/** Bytes of a record's length word. */
export const LEN_BYTES = 4;

/**
 * A length word that is not a record: the rest of the data area is unused, and the next record starts at its
 * beginning (runtime/ring.ts `rewind`). No record is this long (a record fits the data area, at most 2^31 bytes).
 */
export const SKIP = 0xffffffff;

/**
 * How far into the data area the producer must be before it rewinds an empty ring to its start. The pages of a
 * SharedArrayBuffer become resident as they are first written; a ring whose records are small (frames that name
 * journal entries) crept through its 16 MiB a few MB every ten minutes, which a soak counted as growth. Rewinding
 * an empty ring keeps a steady flow in its first pages; a backlog still uses the whole ring.
 */
export const REWIND_AT = 256 << 10;

/** The rewind point of a ring of `capacity` data bytes (REWIND_FROM). */
export const rewindFrom = (capacity: number): number => Math.min(REWIND_AT, capacity / 4);

export const pad4 = (n: number): number => (n + 3) & ~3;

/**
 * Awaits an Atomics.waitAsync promise while holding a timer. The wait itself holds no event-loop
 * handle in Node, so a thread with nothing else to do would exit mid-wait and the timeout would never
 * resolve; the timer keeps the thread alive until the wait settles. It is not tied to the wait's own
 * timeout: V8 may deliver that a little after a timer of the same length fires.
 */
export async function keepingAlive<T>(wait: Promise<T>): Promise<T> {
  const timer = setTimeout(() => undefined, 2 ** 31 - 1);
  try {
    return await wait;
  } finally {
    clearTimeout(timer);
  }
}
