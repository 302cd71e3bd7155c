// Periodic passes must not overlap (the publisher's and the data distributor's scans, the blockchain
// synchronizer's requests): a pass asked for while one runs becomes one more pass after it, however many times
// it was asked (a burst of new files costs one extra pass, not many).

export class SerialPasses {
  private busy = false;
  private again = false;

  /** True when a pass may start now (the caller starts it); false when one runs, and one more is queued. */
  request(): boolean {
    if (this.busy) {
      this.again = true;
      return false;
    }
    this.busy = true;
    return true;
  }

  /** The pass ended; true when another was asked for meanwhile (the caller requests it). */
  done(): boolean {
    this.busy = false;
    const again = this.again;
    this.again = false;
    return again;
  }
}
