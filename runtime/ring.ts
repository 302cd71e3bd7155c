// A single-producer single-consumer ring of msgpack-framed records in a SharedArrayBuffer.
//
// Layout (all little-endian, as the host's typed arrays are):
//   bytes [0, 64)        control words, Int32 each, at the named indices below
//   bytes [64, 64 + cap) data area; `cap` is a power of two, multiple of 4
// A record is a u32 length followed by that many payload bytes, padded to 4 bytes, so a
// length word never straddles the end of the data area; payload bytes may wrap around.
//
// HEAD and TAIL are free-running byte counters (mod 2^32): used = (HEAD - TAIL) >>> 0.
// Only the producer writes HEAD, only the consumer writes TAIL. Payload bytes are written with
// plain stores *before* the Atomics.store of HEAD; the consumer's Atomics.load of HEAD that sees
// the new value therefore also sees the bytes (sequentially consistent atomics order the plain
// accesses around them: ECMA-262 memory model, "happens-before" through synchronizes-with).
// The same argument runs backwards for TAIL: the consumer finishes reading before it publishes TAIL.
import { Packr, Unpackr } from 'msgpackr';

const CONTROL_BYTES = 64;
/** Producer's write position (bytes, mod 2^32). */
const HEAD = 0;
/** Consumer's read position (bytes, mod 2^32). */
const TAIL = 1;
/** Bumped by the producer after a push while the consumer sleeps; the consumer waits on it. */
const DATA_SEQ = 2;
/** 1 while the consumer is (about to be) asleep on DATA_SEQ. */
const CONSUMER_WAITING = 3;
/** Bumped by the consumer after a pop while the producer sleeps; the producer waits on it. */
const SPACE_SEQ = 4;
/** 1 while the producer is (about to be) asleep on SPACE_SEQ. */
const PRODUCER_WAITING = 5;
/** Set to 1 by either side to say no more records will come. */
const CLOSED = 6;
/** Records pushed and popped, for `get` commands and tests (wrap at 2^31, display only). */
const PUSHED = 7;
const POPPED = 8;

const LEN_BYTES = 4;

export interface RingHandle {
  /** The shared memory; post it to the other thread and rebuild with `Ring.attach`. */
  sab: SharedArrayBuffer;
}

export class RingClosedError extends Error {}

const pad4 = (n: number): number => (n + 3) & ~3;

export class Ring<T = unknown> {
  readonly capacity: number;
  private readonly ctl: Int32Array;
  private readonly data: Uint8Array;
  private readonly view: DataView;
  private readonly packr = new Packr({ useRecords: false, moreTypes: false });
  private readonly unpackr = new Unpackr({ useRecords: false });

  private constructor(readonly sab: SharedArrayBuffer) {
    this.ctl = new Int32Array(sab, 0, CONTROL_BYTES / 4);
    this.data = new Uint8Array(sab, CONTROL_BYTES);
    this.view = new DataView(sab, CONTROL_BYTES);
    this.capacity = this.data.length;
  }

  /** Creates a ring with at least `capacityBytes` of data space (rounded up to a power of two). */
  static create<T>(capacityBytes = 1 << 20): Ring<T> {
    let cap = 1024;
    while (cap < capacityBytes) cap *= 2;
    return new Ring<T>(new SharedArrayBuffer(CONTROL_BYTES + cap));
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

  /** Enqueues records in order until one does not fit; returns how many were written. */
  pushMany(values: readonly T[]): number {
    let n = 0;
    for (const v of values) {
      if (!this.write(this.packr.pack(v))) break;
      n++;
    }
    if (n > 0) this.publishWake();
    return n;
  }

  /** Enqueues an already msgpack-encoded record. */
  pushBytes(bytes: Uint8Array): boolean {
    const ok = this.write(bytes);
    if (ok) this.publishWake();
    return ok;
  }

  /** Largest payload that can ever fit. */
  maxRecordBytes(): number {
    return this.capacity - LEN_BYTES;
  }

  /** Blocks this thread (Atomics.wait) until `bytes` more can be written, the ring closes, or the timeout passes. */
  waitForSpaceSync(bytes: number, timeoutMs: number): boolean {
    const need = pad4(LEN_BYTES + bytes);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.capacity - this.used() >= need) return true;
      if (this.isClosed()) return false;
      const seq = Atomics.load(this.ctl, SPACE_SEQ);
      Atomics.store(this.ctl, PRODUCER_WAITING, 1);
      // Re-check after announcing we sleep: a pop between the check and the flag would otherwise be missed.
      if (this.capacity - this.used() >= need) {
        Atomics.store(this.ctl, PRODUCER_WAITING, 0);
        return true;
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        Atomics.store(this.ctl, PRODUCER_WAITING, 0);
        return false;
      }
      Atomics.wait(this.ctl, SPACE_SEQ, seq, left);
      Atomics.store(this.ctl, PRODUCER_WAITING, 0);
    }
  }

  /** Resolves when `bytes` more can be written (true) or on timeout/close (false); does not block the thread. */
  async waitForSpace(bytes: number, timeoutMs: number): Promise<boolean> {
    const need = pad4(LEN_BYTES + bytes);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.capacity - this.used() >= need) return true;
      if (this.isClosed()) return false;
      const seq = Atomics.load(this.ctl, SPACE_SEQ);
      Atomics.store(this.ctl, PRODUCER_WAITING, 1);
      if (this.capacity - this.used() >= need) {
        Atomics.store(this.ctl, PRODUCER_WAITING, 0);
        return true;
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        Atomics.store(this.ctl, PRODUCER_WAITING, 0);
        return false;
      }
      const r = Atomics.waitAsync(this.ctl, SPACE_SEQ, seq, left);
      if (r.async) await r.value;
      Atomics.store(this.ctl, PRODUCER_WAITING, 0);
    }
  }

  private write(bytes: Uint8Array): boolean {
    const len = bytes.length;
    const total = pad4(LEN_BYTES + len);
    if (total > this.capacity) throw new RangeError(`record of ${len} bytes exceeds ring capacity ${this.capacity}`);
    const head = Atomics.load(this.ctl, HEAD) >>> 0;
    const tail = Atomics.load(this.ctl, TAIL) >>> 0;
    if (this.capacity - ((head - tail) >>> 0) < total) return false;
    const mask = this.capacity - 1;
    const at = head & mask;
    // `at` is 4-aligned and capacity is a multiple of 4, so the length word never wraps.
    this.view.setUint32(at, len, true);
    const start = (at + LEN_BYTES) & mask;
    const first = Math.min(len, this.capacity - start);
    this.data.set(first === len ? bytes : bytes.subarray(0, first), start);
    if (first < len) this.data.set(bytes.subarray(first), 0);
    // Release: the record bytes above are ordered before this store.
    Atomics.store(this.ctl, HEAD, (head + total) | 0);
    Atomics.add(this.ctl, PUSHED, 1);
    return true;
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

  /** Dequeues one raw record (a private copy, safe to keep). */
  popBytes(): Uint8Array | undefined {
    const b = this.read();
    if (b !== undefined) this.releaseWake();
    return b;
  }

  private read(): Uint8Array | undefined {
    const tail = Atomics.load(this.ctl, TAIL) >>> 0;
    // Acquire: bytes written before the producer's HEAD store are visible after this load.
    const head = Atomics.load(this.ctl, HEAD) >>> 0;
    if (head === tail) return undefined;
    const mask = this.capacity - 1;
    const at = tail & mask;
    const len = this.view.getUint32(at, true);
    const start = (at + LEN_BYTES) & mask;
    const out = new Uint8Array(len);
    const first = Math.min(len, this.capacity - start);
    out.set(this.data.subarray(start, start + first), 0);
    if (first < len) out.set(this.data.subarray(0, len - first), first);
    Atomics.store(this.ctl, TAIL, (tail + pad4(LEN_BYTES + len)) | 0);
    Atomics.add(this.ctl, POPPED, 1);
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
    for (;;) {
      if (this.used() > 0) return true;
      if (this.isClosed()) return false;
      const seq = Atomics.load(this.ctl, DATA_SEQ);
      Atomics.store(this.ctl, CONSUMER_WAITING, 1);
      if (this.used() > 0) {
        Atomics.store(this.ctl, CONSUMER_WAITING, 0);
        return true;
      }
      const res = Atomics.wait(this.ctl, DATA_SEQ, seq, timeoutMs);
      Atomics.store(this.ctl, CONSUMER_WAITING, 0);
      if (res === 'timed-out') return this.used() > 0;
    }
  }

  /** Resolves true when a record is available, false on timeout or close; does not block the thread. */
  async waitForData(timeoutMs: number): Promise<boolean> {
    for (;;) {
      if (this.used() > 0) return true;
      if (this.isClosed()) return false;
      const seq = Atomics.load(this.ctl, DATA_SEQ);
      Atomics.store(this.ctl, CONSUMER_WAITING, 1);
      if (this.used() > 0) {
        Atomics.store(this.ctl, CONSUMER_WAITING, 0);
        return true;
      }
      const r = Atomics.waitAsync(this.ctl, DATA_SEQ, seq, timeoutMs);
      const res = r.async ? await r.value : r.value;
      Atomics.store(this.ctl, CONSUMER_WAITING, 0);
      if (res === 'timed-out') return this.used() > 0;
    }
  }
}
