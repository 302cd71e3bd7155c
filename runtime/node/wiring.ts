// Which rings connect which actors. A ring is created once per (producer actor, consumer kind) and
// kept for the life of the node, so either end can restart and find the same shared memory (records
// in flight survive a restart of the other end). Producers see the ring under the consumer's kind
// (`operator`), consumers under the producer's actor id (`streamer`, `rest-server`).
import { Ring } from '../ring.js';
import type { ServiceDescriptor } from '../service.js';

export class RingWiring {
  private readonly rings = new Map<
    string,
    { producer: string; producerKind: string; consumerKind: string; ring: Ring }
  >();

  constructor(
    private readonly services: () => readonly ServiceDescriptor[],
    private readonly capacityBytes = 16 << 20,
  ) {}

  /** Rings an actor gets in its startup message. */
  ringsFor(actorId: string, kind: string): Record<string, SharedArrayBuffer> {
    const out: Record<string, SharedArrayBuffer> = {};
    for (const consumer of this.services()) {
      if (!consumer.consumes?.includes(kind)) continue;
      out[consumer.kind] = this.ensure(actorId, kind, consumer.kind).sab;
    }
    const me = this.services().find((s) => s.kind === kind);
    for (const r of this.rings.values()) {
      if (r.consumerKind === kind && me?.consumes?.includes(r.producerKind)) out[r.producer] = r.ring.sab;
    }
    return out;
  }

  /** Rings a consumer must be told about when `producerId` (of `kind`) has just started. */
  newProducerRings(producerId: string, kind: string): { consumerKind: string; sab: SharedArrayBuffer }[] {
    const out: { consumerKind: string; sab: SharedArrayBuffer }[] = [];
    for (const consumer of this.services()) {
      if (consumer.consumes?.includes(kind))
        out.push({ consumerKind: consumer.kind, sab: this.ensure(producerId, kind, consumer.kind).sab });
    }
    return out;
  }

  stats(): {
    producer: string;
    consumer: string;
    pushed: number;
    popped: number;
    usedBytes: number;
    capacity: number;
  }[] {
    return [...this.rings.values()].map((r) => ({ producer: r.producer, consumer: r.consumerKind, ...r.ring.stats() }));
  }

  private ensure(producer: string, producerKind: string, consumerKind: string): Ring {
    const key = `${producer}->${consumerKind}`;
    let r = this.rings.get(key);
    if (!r) {
      r = { producer, producerKind, consumerKind, ring: Ring.create(this.capacityBytes) };
      this.rings.set(key, r);
    }
    return r.ring;
  }
}
