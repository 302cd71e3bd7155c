// Counters of the Kafka consumer, per topic and per partition (EdgeLake al_kafka.py kept
// `counter_by_topic_ = [messages, failures, last error, last error text]`).
import { MAP_STATUS_TEXT, type MapFailure } from '../../protocols/mapping/index.js';
import type { KafkaPartitionStatus, KafkaTopicStatus } from './messages.js';

const stamp = (d: Date): string => d.toISOString().slice(0, 19).replace('T', ' ');

export class KafkaStats {
  readonly topics = new Map<string, KafkaTopicStatus>();
  private readonly partitions = new Map<string, KafkaPartitionStatus>();

  constructor(mappings: readonly { topic: string; mapping: string }[]) {
    for (const m of mappings) {
      this.topics.set(m.topic, {
        topic: m.topic,
        mapping: m.mapping,
        messages: 0,
        success: 0,
        errors: 0,
        rows: 0,
        skipped: 0,
        lastMessageTime: '',
        lastErrorTime: '',
        lastError: '',
        lastErrorCode: 0,
        lastReason: '',
      });
    }
  }

  batch(
    topic: string,
    now: Date,
    fresh: number,
    failed: number,
    rows: number,
    skipped: number,
    lastFailure: MapFailure | undefined,
  ): void {
    const t = this.topics.get(topic);
    if (!t) return;
    t.messages += fresh;
    t.success += fresh - failed;
    t.errors += failed;
    t.rows += rows;
    t.skipped += skipped;
    if (fresh > 0) t.lastMessageTime = stamp(now);
    if (lastFailure) {
      t.lastErrorTime = stamp(now);
      t.lastError = MAP_STATUS_TEXT[lastFailure.code as keyof typeof MAP_STATUS_TEXT] ?? `error ${lastFailure.code}`;
      t.lastErrorCode = lastFailure.code;
      t.lastReason = lastFailure.reason;
    }
  }

  private partition(topic: string, partition: number): KafkaPartitionStatus {
    const k = `${topic}\u0000${partition}`;
    let p = this.partitions.get(k);
    if (!p) this.partitions.set(k, (p = { topic, partition, durable: '', committed: '' }));
    return p;
  }

  durable(topic: string, partition: number, offset: string): void {
    this.partition(topic, partition).durable = offset;
  }

  committed(topic: string, partition: number, next: string): void {
    this.partition(topic, partition).committed = next;
  }

  partitionList(): KafkaPartitionStatus[] {
    return [...this.partitions.values()].sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  }
}
