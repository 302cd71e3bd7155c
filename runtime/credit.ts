// The mailbox's credit cell: how an actor's host tells the main thread how many mailbox messages it has handled,
// without a message per credit (worker-ref.ts has the bound it enforces, host.ts the side that counts).
//
// Layout: three Int32 words in a SharedArrayBuffer of its own, one per worker incarnation.
//   HANDLED  mailbox messages the host has handled since start, mod 2^32; written by the host only
//   WAITING  the number of the main thread's current wait for credit (1, 2, ... wrapping, never 0), 0 while it
//            does not wait; written by the main thread only
//   WAKE_AT  the HANDLED count at which the waiting main thread wants to be woken at once (written before WAITING)
// The main thread keeps the count it sent; sent - HANDLED is the mailbox depth. Before this cell the host posted a
// `credit` item once per turn: at hundreds of thousands of messages a second that postMessage was about a quarter
// of the worker's busy time and the main thread had a message to take in for each (bench/README.md mailbox).
//
// When to wake: the host wakes a waiting sender as soon as HANDLED reaches WAKE_AT, even in the middle of a long
// drain, so that the sender refills the mailbox while the host handles the rest (with a wake only at the end of
// the host's turn, the two threads took turns instead of overlapping); and at the end of every turn in which it
// handled something, whatever WAKE_AT says, so a slow actor's sender hears of each credit within a turn.
//
// No lost wake-up (a Dekker pair over sequentially consistent Atomics, plus the wait's own comparison): the main
// thread stores WAITING, then waits on HANDLED with the value it read before; the host stores HANDLED, then loads
// WAITING. In the single order of those operations either the wait's comparison comes after the host's store (it
// sees a new HANDLED and returns at once), or the waiter is registered before that store, so the host's load after
// it sees WAITING and its notify finds the waiter. A notify that comes before the waiter is registered finds
// nobody: that is why only the main thread clears WAITING (when its wait has ended), and the host notifies one wait
// again at its next check until a notify reports that it woke someone. (A host that cleared WAITING as it notified
// could clear a wait not yet registered, whose comparison still saw the old HANDLED: the sender then slept for
// good, which a test run showed.) The main thread has at most one wait at a time.

const HANDLED = 0;
const WAITING = 1;
const WAKE_AT = 2;
const BYTES = 12;

/** The main thread's side: reads what was handled and waits for more. */
export class CreditWatch {
  readonly sab = new SharedArrayBuffer(BYTES);
  private readonly w = new Int32Array(this.sab);
  private seq = 0;

  /** Messages handled so far, mod 2^32 (as an Int32). */
  handled(): number {
    // Seq-cst load: pairs with the host's store of HANDLED after each handled message.
    return Atomics.load(this.w, HANDLED);
  }

  /**
   * Resolves once HANDLED is no longer `seen` (at once if it already is not): as soon as `want` more messages are
   * handled, or at the end of a host's turn that handled one. Holds no event-loop handle: the worker's own handle
   * keeps the main thread alive while it runs, and `release` ends the wait when it exits.
   */
  async wait(seen: number, want: number): Promise<void> {
    this.seq = (this.seq % 0x7fffffff) + 1;
    // WAKE_AT before WAITING: a host that sees this wait's number reads this wait's WAKE_AT, not an older one.
    Atomics.store(this.w, WAKE_AT, (seen + want) | 0);
    // Store before the wait's comparison: the first half of the Dekker pair in the header.
    Atomics.store(this.w, WAITING, this.seq);
    const r = Atomics.waitAsync(this.w, HANDLED, seen);
    if (r.async) await r.value;
    // The wait is over (woken, or HANDLED had moved): the host stops notifying it.
    Atomics.store(this.w, WAITING, 0);
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
  /** The number of the last wait a notify of ours was seen to wake. */
  private woke = 0;

  constructor(sab: SharedArrayBuffer) {
    this.w = new Int32Array(sab);
  }

  /** One more mailbox message was handled: the sender may send one more; wakes it if it waits for this many. */
  handledOne(): void {
    const n = (this.n = (this.n + 1) | 0);
    // Seq-cst store, then seq-cst load of WAITING: the second half of the Dekker pair in the header.
    Atomics.store(this.w, HANDLED, n);
    const waiting = Atomics.load(this.w, WAITING);
    if (waiting !== 0 && waiting !== this.woke && ((n - Atomics.load(this.w, WAKE_AT)) | 0) >= 0) this.notify(waiting);
  }

  /** Wakes the sender if it waits for credit, however little. Called at the end of each turn that handled one. */
  wake(): void {
    const waiting = Atomics.load(this.w, WAITING);
    if (waiting !== 0 && waiting !== this.woke) this.notify(waiting);
  }

  private notify(waiting: number): void {
    // Counted as done only when it woke the waiter: one not yet registered is notified again at the next check.
    if (Atomics.notify(this.w, HANDLED) > 0) this.woke = waiting;
  }
}
