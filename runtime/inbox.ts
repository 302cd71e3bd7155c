// The host's side of an actor's mailbox: the messages that arrived and are not handled yet, in arrival order
// (host.ts handles them one at a time; worker-ref.ts bounds how many there may be).
//
// Two places, one order. A batch of sends posted by the main thread (`{t: 'sends'}`, the common case under load)
// that arrives while nothing is waiting is handled in place, as the array that arrived: no copy of each message
// into a queue, and nothing keeps a handled message reachable past its batch, so the young generation's scavenges
// find it dead (a queue that kept up to a thousand handled messages until it was compacted made each scavenge copy
// them, about three times the raw worker's scavenge time in the mailbox bench). Everything else (asks, replies' neighbours,
// self-sends, and batches that arrive while messages wait) goes into the queue behind it, whose handled slots are
// cleared as they are taken. A batch handled in place is always older than everything in the queue: it is taken in
// place only when the queue is empty, and what arrives while it is being handled is queued behind it.
import type { ActorMessage } from './wire.js';

/** The tag of a send through the bounded mailbox (handling it returns a credit). Ask ids are > 0. */
export const SEND = 0;
/** The tag of the actor's send to itself (no credit: it never passed the mailbox's bound). */
export const SELF = -1;

/** Compact the queue once this many slots are handled and they are more than half of it. */
const COMPACT_AT = 1024;

export class Inbox {
  /** A batch of sends handled in place, and the index of its next message. */
  private run: readonly ActorMessage[] | undefined;
  private runAt = 0;
  /** The queue, as two parallel arrays (no object per message): the message, and its tag. */
  private readonly msgs: (ActorMessage | undefined)[] = [];
  private readonly tags: number[] = [];
  private head = 0;
  /** The tag of the message `next` returned last: an ask id, SEND or SELF. */
  tag = SEND;

  get empty(): boolean {
    return this.run === undefined && this.head === this.msgs.length;
  }

  /** A batch of sends, as the main thread posted it; the array is kept as it is (not copied) when nothing waits. */
  addSends(ms: readonly ActorMessage[]): void {
    if (ms.length === 0) return;
    if (this.empty) {
      this.run = ms;
      this.runAt = 0;
      return;
    }
    for (let i = 0; i < ms.length; i++) this.add(ms[i]!, SEND);
  }

  add(m: ActorMessage, tag: number): void {
    this.msgs.push(m);
    this.tags.push(tag);
  }

  /** The oldest message not yet taken (its tag in `tag`), or undefined when there is none. */
  next(): ActorMessage | undefined {
    const run = this.run;
    if (run !== undefined) {
      const m = run[this.runAt++]!;
      if (this.runAt === run.length) this.run = undefined;
      this.tag = SEND;
      return m;
    }
    const i = this.head;
    if (i === this.msgs.length) {
      if (i > 0) this.reset();
      return undefined;
    }
    const m = this.msgs[i]!;
    this.tag = this.tags[i]!;
    // The slot lets go of the message: once handled it is garbage, and a scavenge copies only what is reachable.
    this.msgs[i] = undefined;
    this.head = i + 1;
    if (this.head === this.msgs.length) this.reset();
    else if (this.head > COMPACT_AT && this.head * 2 > this.msgs.length) {
      this.msgs.splice(0, this.head);
      this.tags.splice(0, this.head);
      this.head = 0;
    }
    return m;
  }

  private reset(): void {
    this.msgs.length = 0;
    this.tags.length = 0;
    this.head = 0;
  }
}
