// How PUBLISH packets of registered topics reach the `broker = local` msg clients: routed actor asks,
// coalesced per msg client. While one ask to a client is out (the client is making the previous batch
// durable), new publishes for it queue here and go together in the next ask, so one journal commit covers
// them all and the number of asks in flight stays at one per client.
// Why asks and not a ring: a QoS 1 PUBLISH may be acknowledged to the device only when its rows are
// durable, so the broker needs an answer per message; an ask carries it back with the same routing,
// timeouts and typed errors as every other request (a ring is one-way: it would need a second ring or
// messages back, and its producer end would have to be rebuilt whenever either worker restarts).
// The cost is two postMessage hops through the main thread per batch, not per message.
// Bounds: at most MAX_QUEUED publishes wait per client; past that the publish fails (the device is
// disconnected unacknowledged and resends). Devices are paused anyway while their publishes wait (aedes
// reads a client's next packets only when the current ones are handled).
import type { LocalPublish, PublishOutcome } from '../_shared/msg-routes.js';

const MAX_BATCH = 5_000;
const MAX_QUEUED = 50_000;

interface Queue {
  items: LocalPublish[];
  waiters: ((o: PublishOutcome) => void)[];
  busy: boolean;
  scheduled: boolean;
}

export type AskBatch = (target: string, items: LocalPublish[]) => Promise<PublishOutcome[]>;

export class Handoff {
  private readonly queues = new Map<string, Queue>();
  handedOver = 0;
  failed = 0;

  constructor(private readonly ask: AskBatch) {}

  /** Publishes waiting or in flight, over all clients. */
  inFlight(): number {
    let n = 0;
    for (const q of this.queues.values()) n += q.items.length;
    return n;
  }

  submit(target: string, item: LocalPublish): Promise<PublishOutcome> {
    let q = this.queues.get(target);
    if (!q) this.queues.set(target, (q = { items: [], waiters: [], busy: false, scheduled: false }));
    if (q.items.length >= MAX_QUEUED) {
      this.failed++;
      return Promise.resolve('failed');
    }
    const queue = q;
    return new Promise<PublishOutcome>((resolve) => {
      queue.items.push(item);
      queue.waiters.push(resolve);
      if (!queue.busy && !queue.scheduled) {
        queue.scheduled = true;
        // Next turn: every publish parsed from this socket read joins the batch.
        setImmediate(() => {
          queue.scheduled = false;
          void this.send(target, queue);
        });
      }
    });
  }

  private async send(target: string, q: Queue): Promise<void> {
    while (q.items.length > 0) {
      q.busy = true;
      const items = q.items.splice(0, MAX_BATCH);
      const waiters = q.waiters.splice(0, items.length);
      let outcomes: PublishOutcome[];
      try {
        outcomes = await this.ask(target, items);
      } catch {
        // The client is restarting or gone: nothing was stored, the devices will resend.
        outcomes = items.map(() => 'failed');
      }
      waiters.forEach((w, i) => {
        const o = outcomes[i] ?? 'failed';
        if (o === 'stored') this.handedOver++;
        else this.failed++;
        w(o);
      });
    }
    q.busy = false;
    if (q.waiters.length === 0) this.queues.delete(target);
  }

  /** Fails everything waiting (the broker is stopping). */
  failAll(): void {
    for (const q of this.queues.values()) {
      q.items.length = 0;
      for (const w of q.waiters.splice(0)) w('failed');
    }
  }
}
