// Which rings connect which actors. A ring is created once per (producer actor, consumer kind) and
// kept for the life of the node, so either end can restart and find the same shared memory (records
// in flight survive a restart of the other end). Producers see the ring under the consumer's kind
// (`operator`), consumers under the producer's actor id (`streamer`, `rest-server`).
// A link is a ring of its own between two actor ids (the TCP server's dispatch actor and each of its
// command workers): SPSC needs one consumer per ring, so a pool of N consumers gets N links. The
// producer sees a link under the consumer's id (`tcp-worker-1`), the consumer under the producer's
// (`tcp-server`).
import { Ring } from '../runtime/ring.js';
import type { ServiceDescriptor } from './service.js';

export class RingWiring {
  private readonly rings = new Map<
    string,
    { producer: string; producerKind: string; consumerKind: string; ring: Ring }
  >();

  private readonly links = new Map<string, { producer: string; consumer: string; ring: Ring }>();

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
    for (const l of this.links.values()) {
      if (l.producer === actorId) out[l.consumer] = l.ring.sab;
      if (l.consumer === actorId) out[l.producer] = l.ring.sab;
    }
    return out;
  }

  /** Creates (or finds) the ring of its own from `producer` to `consumer`. */
  link(producer: string, consumer: string, capacityBytes: number): Ring {
    const key = `${producer}=>${consumer}`;
    let l = this.links.get(key);
    if (!l) {
      l = { producer, consumer, ring: Ring.create(capacityBytes) };
      this.links.set(key, l);
    }
    return l.ring;
  }

  /** Forgets the links of a producer that was stopped for good: records left in them are dropped. */
  unlink(producer: string): void {
    for (const [key, l] of this.links) {
      if (l.producer !== producer) continue;
      l.ring.close();
      this.links.delete(key);
    }
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
    return [
      ...[...this.rings.values()].map((r) => ({ producer: r.producer, consumer: r.consumerKind, ...r.ring.stats() })),
      ...[...this.links.values()].map((l) => ({ producer: l.producer, consumer: l.consumer, ...l.ring.stats() })),
    ];
  }

  private ensure(producer: string, producerKind: string, consumerKind: string): Ring {
    const key = `${producer}->${consumerKind}`;
    let r = this.rings.get(key);
    if (!r) {
      // Rewound when empty: their frames are small and steady, and would otherwise make the 16 MiB resident a page
      // at a time (runtime/ring.ts).
      r = { producer, producerKind, consumerKind, ring: Ring.create(this.capacityBytes, { rewind: true }) };
      this.rings.set(key, r);
    }
    return r.ring;
  }
}
