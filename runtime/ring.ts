// A single-producer single-consumer ring of msgpack-framed records in a SharedArrayBuffer.
//
// Layout, record framing and the wait primitive: runtime/ring-layout.ts.
//
// HEAD and TAIL are free-running byte counters (mod 2^32): used = (HEAD - TAIL) >>> 0.
// Only the producer writes HEAD, only the consumer writes TAIL. Payload bytes are written with
// plain stores *before* the Atomics.store of HEAD; the consumer's Atomics.load of HEAD that sees
// the new value therefore also sees the bytes (sequentially consistent atomics order the plain
// accesses around them: ECMA-262 memory model, "happens-before" through synchronizes-with).
// The same argument runs backwards for TAIL: the consumer finishes reading before it publishes TAIL.
// Each side keeps the last value it loaded of the other side's counter (`tailSeen`, `headSeen`) and
// reloads it only when that value says full / empty: a stale value only ever understates the room or
// the data (the counters only move forward), and the records below a HEAD value once loaded stay
// visible (the load that saw it is the synchronizing one).
// Rewind (a ring of small records kept in its first pages): runtime/ring-rewind.ts; the sleep protocol of
// either side: runtime/ring-wait.ts.
import { Packr, Unpackr } from 'msgpackr';
import { EdgeRtError } from '../base/errors.js';
import {
  CONTROL_BYTES,
  HEAD,
  PUSHED,
  TAIL,
  POPPED,
  DATA_SEQ,
  CONSUMER_WAITING,
  SPACE_SEQ,
  PRODUCER_WAITING,
  CLOSED,
  LEN_BYTES,
  REWIND_FROM,
  rewindFrom,
  pad4,
} from './ring-layout.js';
import { mayRewind, rewind, skipAt } from './ring-rewind.js';
import { sleepAsync, sleepSync, sleepUntil } from './ring-wait.js';

export { RING_CONTROL } from './ring-layout.js';

export interface RingHandle {
  /** The shared memory; post it to the other thread and rebuild with `Ring.attach`. */
  sab: SharedArrayBuffer;
}

/** The ring was closed by either end: nothing more goes in, and what is left has been taken. */
export class RingClosedError extends EdgeRtError {}

export class Ring<T = unknown> {
  readonly capacity: number;
  private readonly ctl: Int32Array;
  private readonly data: Uint8Array;
  /** The data area as 32-bit words, for the length words (always 4-aligned). */
  private readonly words: Uint32Array;
  private readonly packr = new Packr({ useRecords: false, moreTypes: false });
  /** Where the producer rewinds an empty ring (REWIND_FROM; Infinity: never). */
  private readonly rewindAt: number;
  /** The consumer's TAIL as this (producer) side last loaded it. */
  private tailSeen: number;
  /** The producer's HEAD as this (consumer) side last loaded it. */
  private headSeen: number;
  private readonly unpackr = new Unpackr({ useRecords: false });

  private constructor(readonly sab: SharedArrayBuffer) {
    this.ctl = new Int32Array(sab, 0, CONTROL_BYTES / 4);
    this.data = new Uint8Array(sab, CONTROL_BYTES);
    this.words = new Uint32Array(sab, CONTROL_BYTES);
    this.capacity = this.data.length;
    this.tailSeen = Atomics.load(this.ctl, TAIL) >>> 0;
    this.headSeen = Atomics.load(this.ctl, HEAD) >>> 0;
    this.rewindAt = Atomics.load(this.ctl, REWIND_FROM) || Infinity;
  }

  /**
   * Creates a ring with at least `capacityBytes` of data space (rounded up to a power of two). `rewind: true` has
   * the producer rewind an empty ring to the data area's start (a ring of small records under a steady flow: the
   * ingest rings, node/wiring.ts); without it, records follow each other around the whole data area.
   */
  static create<T>(capacityBytes = 1 << 20, opts: { rewind?: boolean } = {}): Ring<T> {
    let cap = 1024;
    while (cap < capacityBytes) cap *= 2;
    const sab = new SharedArrayBuffer(CONTROL_BYTES + cap);
    new Int32Array(sab, 0, CONTROL_BYTES / 4)[REWIND_FROM] = opts.rewind === true ? rewindFrom(cap) : 0;
    return new Ring<T>(sab);
  }

  static attach<T>(handle: RingHandle | SharedArrayBuffer): Ring<T> {
    return new Ring<T>(handle instanceof SharedArrayBuffer ? handle : handle.sab);
  }

  handle(): RingHandle {
    return { sab: this.sab };
  }

  /** Bytes currently queued (including framing). */
  used(): number {
    return (Atomics.load(this.ctl, HEAD) - Atomics.load(this.ctl, TAIL)) >>> 0;
  }

  stats(): { pushed: number; popped: number; usedBytes: number; capacity: number } {
    return {
      pushed: Atomics.load(this.ctl, PUSHED),
      popped: Atomics.load(this.ctl, POPPED),
      usedBytes: this.used(),
      capacity: this.capacity,
    };
  }

  isClosed(): boolean {
    return Atomics.load(this.ctl, CLOSED) === 1;
  }

  close(): void {
    Atomics.store(this.ctl, CLOSED, 1);
    // Wake both sides so a sleeper notices the close.
    Atomics.add(this.ctl, DATA_SEQ, 1);
    Atomics.notify(this.ctl, DATA_SEQ);
    Atomics.add(this.ctl, SPACE_SEQ, 1);
    Atomics.notify(this.ctl, SPACE_SEQ);
  }

  // ---- producer side ----

  /** Encodes and enqueues one record. Returns false (nothing written) when there is no room. */
  push(value: T): boolean {
    return this.pushBytes(this.packr.pack(value));
  }

  /** Encodes and enqueues records in order until one does not fit (one HEAD store); returns how many. */
  pushMany(values: readonly T[]): number {
    return this.writeMany(values.length, (i) => this.packr.pack(values[i]));
  }

  /** Enqueues an already msgpack-encoded record. */
  pushBytes(bytes: Uint8Array): boolean {
    const ok = this.write(bytes);
    if (ok) this.publishWake();
    return ok;
  }

  /**
   * Enqueues already-encoded records in order until one does not fit, and publishes them all with one
   * HEAD store (one cross-thread handoff per batch instead of per record). Returns how many were
   * written. A record larger than the ring throws RangeError when it is the first of the batch; after
   * others, the batch stops before it (the next call throws).
   */
  pushBytesMany(records: readonly Uint8Array[]): number {
    return this.writeMany(records.length, (i) => records[i]!);
  }

  /** Writes records 0..count-1 (each encoded on demand, copied at once) and publishes them with one HEAD store. */
  private writeMany(count: number, recordAt: (i: number) => Uint8Array): number {
    const head0 = Atomics.load(this.ctl, HEAD) >>> 0;
    // Acquire: the space released by the consumer's TAIL store is free to overwrite.
    const tail = (this.tailSeen = Atomics.load(this.ctl, TAIL) >>> 0);
    let free = this.capacity - ((head0 - tail) >>> 0);
    let head = head0;
    let n = 0;
    while (n < count) {
      const bytes = recordAt(n);
      const total = pad4(LEN_BYTES + bytes.length);
      if (total > this.capacity) {
        if (n === 0) throw new RangeError(`record of ${bytes.length} bytes exceeds ring capacity ${this.capacity}`);
        break;
      }
      if (n === 0 && head === tail) {
        const skipped = rewind(this.words, head, total, this.capacity, this.rewindAt);
        head = (head + skipped) >>> 0;
        free -= skipped;
      }
      if (total > free) break;
      head = this.put(head, bytes);
      free -= total;
      n++;
    }
    if (n === 0) return 0;
    // Release: every record above is ordered before this store.
    Atomics.store(this.ctl, HEAD, head | 0);
    this.count(PUSHED, n);
    this.publishWake();
    return n;
  }

  /** Largest payload that can ever fit. */
  maxRecordBytes(): number {
    return this.capacity - LEN_BYTES;
  }

  /**
   * Whether a record of `bytes` fits now. A producer that would encode a large record only to find the ring full
   * asks first (the streamer re-encoded its whole backlog every retry while the operator was behind).
   */
  canFit(bytes: number): boolean {
    return this.hasRoom(bytes)();
  }

  /** Blocks this thread (Atomics.wait) until `bytes` more can be written, the ring closes, or the timeout passes. */
  waitForSpaceSync(bytes: number, timeoutMs: number): boolean {
    const room = this.hasRoom(bytes);
    return (
      room() || sleepSync(this.ctl, sleepUntil(this.ctl, room, this.closed, SPACE_SEQ, PRODUCER_WAITING, timeoutMs))
    );
  }

  /** Resolves when `bytes` more can be written (true) or on timeout/close (false); does not block the thread. */
  async waitForSpace(bytes: number, timeoutMs: number): Promise<boolean> {
    const room = this.hasRoom(bytes);
    return (
      room() || sleepAsync(this.ctl, sleepUntil(this.ctl, room, this.closed, SPACE_SEQ, PRODUCER_WAITING, timeoutMs))
    );
  }

  private hasRoom(bytes: number): () => boolean {
    const need = pad4(LEN_BYTES + bytes);
    return () => this.capacity - this.used() >= need;
  }

  private write(bytes: Uint8Array): boolean {
    const len = bytes.length;
    const total = pad4(LEN_BYTES + len);
    if (total > this.capacity) throw new RangeError(`record of ${len} bytes exceeds ring capacity ${this.capacity}`);
    let head = Atomics.load(this.ctl, HEAD) >>> 0;
    if (
      this.capacity - ((head - this.tailSeen) >>> 0) < total ||
      mayRewind(head, total, this.capacity, this.rewindAt)
    ) {
      // Acquire: the space released by the consumer's TAIL store is free to overwrite.
      this.tailSeen = Atomics.load(this.ctl, TAIL) >>> 0;
      if (this.capacity - ((head - this.tailSeen) >>> 0) < total) return false;
      if (head === this.tailSeen) head = (head + rewind(this.words, head, total, this.capacity, this.rewindAt)) >>> 0;
    }
    // Release: the record bytes (and a skip word) written by `put` and `rewind` are ordered before this store.
    Atomics.store(this.ctl, HEAD, this.put(head, bytes) | 0);
    this.count(PUSHED, 1);
    return true;
  }

  /** Copies one record to byte position `head` (its room already checked); returns the next head. */
  private put(head: number, bytes: Uint8Array): number {
    const len = bytes.length;
    const mask = this.capacity - 1;
    const at = head & mask;
    // `at` is 4-aligned and capacity is a multiple of 4, so the length word never wraps.
    this.words[at >>> 2] = len;
    const start = (at + LEN_BYTES) & mask;
    if (start + len <= this.capacity) this.data.set(bytes, start);
    else {
      const first = this.capacity - start;
      this.data.set(bytes.subarray(0, first), start);
      this.data.set(bytes.subarray(first), 0);
    }
    return (head + pad4(LEN_BYTES + len)) >>> 0;
  }

  /**
   * Bumps a display counter. Each has a single writer (PUSHED the producer, POPPED the consumer), so a
   * plain read-modify-write is exact, and readers (`stats`) only need a recent value: no locked add
   * per record (it cost about a quarter of a single push + pop).
   */
  private count(word: typeof PUSHED | typeof POPPED, n: number): void {
    this.ctl[word] = (this.ctl[word]! + n) | 0;
  }

  private publishWake(): void {
    // Only pay for a notify when the consumer said it sleeps (it re-checks HEAD after setting the flag).
    if (Atomics.load(this.ctl, CONSUMER_WAITING) === 1) {
      Atomics.add(this.ctl, DATA_SEQ, 1);
      Atomics.notify(this.ctl, DATA_SEQ);
    }
  }

  // ---- consumer side ----

  /** Dequeues and decodes one record, or undefined when empty. */
  pop(): T | undefined {
    const bytes = this.popBytes();
    return bytes === undefined ? undefined : (this.unpackr.unpack(bytes) as T);
  }

  /** Dequeues up to `max` records. */
  drain(max = Infinity): T[] {
    const out: T[] = [];
    while (out.length < max) {
      const bytes = this.read();
      if (bytes === undefined) break;
      out.push(this.unpackr.unpack(bytes) as T);
    }
    if (out.length > 0) this.releaseWake();
    return out;
  }

  /**
   * Dequeues up to `max` raw records (private copies) and releases their space with one TAIL store
   * (one cross-thread handoff per batch instead of per record).
   */
  drainBytes(max = Infinity): Uint8Array[] {
    let tail = Atomics.load(this.ctl, TAIL) >>> 0;
    // Acquire: bytes written before the producer's HEAD store are visible after this load.
    const head = (this.headSeen = Atomics.load(this.ctl, HEAD) >>> 0);
    const out: Uint8Array[] = [];
    while (tail !== head && out.length < max) {
      const skipped = skipAt(this.words, tail, this.capacity);
      if (skipped > 0) {
        tail = (tail + skipped) >>> 0;
        continue;
      }
      const bytes = this.take(tail);
      out.push(bytes);
      tail = (tail + pad4(LEN_BYTES + bytes.length)) >>> 0;
    }
    if (out.length === 0) {
      // Only a skip word was there (the producer publishes it with a record, so not expected): pass it.
      if (tail !== Atomics.load(this.ctl, TAIL) >>> 0) Atomics.store(this.ctl, TAIL, tail | 0);
      return out;
    }
    // Release: the records were copied out before the producer may overwrite them.
    Atomics.store(this.ctl, TAIL, tail | 0);
    this.count(POPPED, out.length);
    this.releaseWake();
    return out;
  }

  /** Dequeues one raw record (a private copy, safe to keep). */
  popBytes(): Uint8Array | undefined {
    const b = this.read();
    if (b !== undefined) this.releaseWake();
    return b;
  }

  private read(): Uint8Array | undefined {
    let tail = Atomics.load(this.ctl, TAIL) >>> 0;
    if (this.headSeen === tail) {
      // Acquire: bytes written before the producer's HEAD store are visible after this load.
      this.headSeen = Atomics.load(this.ctl, HEAD) >>> 0;
      if (this.headSeen === tail) return undefined;
    }
    const skipped = skipAt(this.words, tail, this.capacity);
    if (skipped > 0) {
      tail = (tail + skipped) >>> 0;
      // Release: nothing was read from the skipped bytes, so the producer may have them back at once.
      Atomics.store(this.ctl, TAIL, tail | 0);
      if (this.headSeen === tail) return undefined;
    }
    const bytes = this.take(tail);
    // Release: the record was copied out before the producer may overwrite it.
    Atomics.store(this.ctl, TAIL, (tail + pad4(LEN_BYTES + bytes.length)) | 0);
    this.count(POPPED, 1);
    return bytes;
  }

  /** A copy of the record at byte position `tail` (known to be there). */
  private take(tail: number): Uint8Array {
    const mask = this.capacity - 1;
    const at = tail & mask;
    const len = this.words[at >>> 2]!;
    const start = (at + LEN_BYTES) & mask;
    // slice() copies into a fresh (non-shared) buffer in one step.
    if (start + len <= this.capacity) return this.data.slice(start, start + len);
    const out = new Uint8Array(len);
    const first = this.capacity - start;
    out.set(this.data.subarray(start), 0);
    out.set(this.data.subarray(0, len - first), first);
    return out;
  }

  private releaseWake(): void {
    if (Atomics.load(this.ctl, PRODUCER_WAITING) === 1) {
      Atomics.add(this.ctl, SPACE_SEQ, 1);
      Atomics.notify(this.ctl, SPACE_SEQ);
    }
  }

  /** Blocks this thread until a record is available, the ring closes, or the timeout passes. */
  waitForDataSync(timeoutMs: number): boolean {
    return (
      this.hasData() ||
      sleepSync(this.ctl, sleepUntil(this.ctl, this.hasData, this.closed, DATA_SEQ, CONSUMER_WAITING, timeoutMs))
    );
  }

  /** Resolves true when a record is available, false on timeout or close; does not block the thread. */
  async waitForData(timeoutMs: number): Promise<boolean> {
    return (
      this.hasData() ||
      sleepAsync(this.ctl, sleepUntil(this.ctl, this.hasData, this.closed, DATA_SEQ, CONSUMER_WAITING, timeoutMs))
    );
  }

  private readonly hasData = (): boolean => this.used() > 0;
  private readonly closed = (): boolean => this.isClosed();
}
