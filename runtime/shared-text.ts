// A text that one thread writes and any thread reads synchronously, in a SharedArrayBuffer: what a worker needs
// to answer from node state without asking the main thread (the TCP server answers `get status` with the node's
// identity: actors/tcp-server/local.ts). A read sees every write that finished before it, so a worker's answer
// is never older than a change the main thread has already reported done.
//
// Layout (Int32 words, then bytes):
//   [0] seq      even: stable; odd: a write is in progress (single writer, so no writer ever waits)
//   [1] length   UTF-8 bytes of the text, or -1: no text (the reader must ask the owner instead)
//   [8..]        the text's UTF-8 bytes (at most `capacity`)
// Reader: load seq (retry while odd), copy the bytes, load seq again: equal means the copy is one write's.
// Atomics.load/add are sequentially consistent, so the bytes written between the writer's two increments are
// visible to a reader that loads the second value.

const SEQ = 0;
const LENGTH = 1;
const HEADER_BYTES = 8;
/** Tries before a reader gives up on a cell being rewritten under it (the writer is never blocked). */
const MAX_READ_TRIES = 100;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class SharedText {
  private readonly words: Int32Array;
  private readonly bytes: Uint8Array;
  /** The last text read and the seq it was read at: a reader decodes again only after a write. */
  private cachedSeq = -1;
  private cached: string | undefined;

  /** A new cell for at most `capacity` UTF-8 bytes, holding no text. */
  static allocate(capacity: number): SharedArrayBuffer {
    const sab = new SharedArrayBuffer(HEADER_BYTES + capacity);
    new Int32Array(sab, 0, 2)[LENGTH] = -1;
    return sab;
  }

  constructor(readonly buffer: SharedArrayBuffer) {
    this.words = new Int32Array(buffer, 0, 2);
    this.bytes = new Uint8Array(buffer, HEADER_BYTES);
  }

  /** Writes `text` (undefined: no text). A text longer than the cell is stored as no text. Single writer only. */
  write(text: string | undefined): void {
    const encoded = text === undefined ? undefined : encoder.encode(text);
    const fits = encoded !== undefined && encoded.length <= this.bytes.length;
    Atomics.add(this.words, SEQ, 1);
    if (fits) this.bytes.set(encoded);
    Atomics.store(this.words, LENGTH, fits ? encoded.length : -1);
    Atomics.add(this.words, SEQ, 1);
  }

  /** The text as of the last finished write, or undefined for none (or when writes kept overlapping the read). */
  read(): string | undefined {
    for (let i = 0; i < MAX_READ_TRIES; i++) {
      const seq = Atomics.load(this.words, SEQ);
      if (seq & 1) continue;
      if (seq === this.cachedSeq) return this.cached;
      const length = Atomics.load(this.words, LENGTH);
      const text = length < 0 ? undefined : decoder.decode(this.bytes.slice(0, length));
      if (Atomics.load(this.words, SEQ) !== seq) continue;
      this.cachedSeq = seq;
      this.cached = text;
      return text;
    }
    return undefined;
  }
}
