// The mailbox's credit cell: how an actor's host tells the main thread how many mailbox messages it has handled,
// without a message per credit (worker-ref.ts has the bound it enforces, host.ts the side that counts).
//
// Layout: two Int32 words in a SharedArrayBuffer of its own, one per worker incarnation.
//   HANDLED  mailbox messages the host has handled since start, mod 2^32; written by the host only
//   WAITING  1 while the main thread waits for credit (set by the main thread, cleared by whoever wakes it)
// The main thread keeps the count it sent; sent - HANDLED is the mailbox depth. Before this cell the host posted a
// `credit` item once per turn: at hundreds of thousands of messages a second that postMessage was about a quarter
// of the worker's busy time and the main thread had a message to take in for each (bench/README.md mailbox).
//
// Waking (a Dekker pair over sequentially consistent Atomics): the main thread stores WAITING = 1, then waits on
// HANDLED with the value it last read; the host stores HANDLED, then loads WAITING. In the single order of those
// four operations either the host's load sees 1 (and it notifies), or the host's store comes before the main
// thread's store, so the wait's own comparison sees the new HANDLED and returns at once.

const HANDLED = 0;
const WAITING = 1;
const BYTES = 8;

/** The main thread's side: reads what was handled and waits for more. */
export class CreditWatch {
  readonly sab = new SharedArrayBuffer(BYTES);
  private readonly w = new Int32Array(this.sab);

  /** Messages handled so far, mod 2^32 (as an Int32). */
  handled(): number {
    // Seq-cst load: pairs with the host's store of HANDLED after each handled message.
    return Atomics.load(this.w, HANDLED);
  }

  /**
   * Resolves once HANDLED is no longer `seen` (at once if it already is not). Holds no event-loop handle: the
   * worker's own handle keeps the main thread alive while it runs, and `release` ends the wait when it exits.
   */
  wait(seen: number): Promise<unknown> {
    // Store before the wait's comparison: the first half of the Dekker pair in the header.
    Atomics.store(this.w, WAITING, 1);
    const r = Atomics.waitAsync(this.w, HANDLED, seen);
    return r.async ? r.value : Promise.resolve(r.value);
  }

  /** Wakes a pending `wait` from this thread (the worker is gone and will never notify). */
  release(): void {
    Atomics.notify(this.w, HANDLED);
  }
}

/** The host's side: counts handled messages and wakes a waiting sender. */
export class CreditReturn {
  private readonly w: Int32Array;
  private n = 0;

  constructor(sab: SharedArrayBuffer) {
    this.w = new Int32Array(sab);
  }

  /** One more mailbox message was handled: the sender may send one more. */
  handledOne(): void {
    this.n = (this.n + 1) | 0;
    // Seq-cst store, then seq-cst load of WAITING: the second half of the Dekker pair in the header.
    Atomics.store(this.w, HANDLED, this.n);
  }

  /** Wakes the sender if it waits for credit. Called once per turn, as the `credit` item was posted. */
  wake(): void {
    if (Atomics.load(this.w, WAITING) === 0) return;
    Atomics.store(this.w, WAITING, 0);
    Atomics.notify(this.w, HANDLED);
  }
}
