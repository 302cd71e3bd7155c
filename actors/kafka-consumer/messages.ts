// The Kafka consumer actor's mailbox, and the status it reports (`get kafka consumer`, `get processes`;
// a `get msg clients` that lists Kafka subscriptions as EdgeLake does can read the same status).
import { actorAddress, type Ask } from '../../runtime/address.js';

export type KafkaIn =
  | Ask<{ type: 'kafka.status' }, KafkaStatus>
  /** From its own timer: commit the durable offsets of partitions that no batch committed lately. */
  | { type: 'kafka.commit' };

export const KAFKA_CONSUMER = actorAddress<KafkaIn>('kafka-consumer');

export interface KafkaTopicStatus {
  topic: string;
  /** `dbms.table` of a column mapping, or `policy <id>`. */
  mapping: string;
  messages: number;
  success: number;
  errors: number;
  rows: number;
  /** Records re-delivered after a restart or rebalance that the journal already held. */
  skipped: number;
  lastMessageTime: string;
  lastErrorTime: string;
  /** EdgeLake's status text of the last failure (`Error with data provided by a subscribed message`). */
  lastError: string;
  /** Where it failed: topic, offset, column and path. */
  lastReason: string;
}

export interface KafkaPartitionStatus {
  topic: string;
  partition: number;
  /** Last offset whose rows are durable in the journal. */
  durable: string;
  /** Next offset committed to the group ('' until the first commit). */
  committed: string;
}

export interface KafkaStatus {
  broker: string;
  group: string;
  reset: 'latest' | 'earliest';
  /** `Connected`, `Connecting`, `Rebalancing`, `Not connected: <reason>`. */
  connection: string;
  reconnects: number;
  topics: KafkaTopicStatus[];
  partitions: KafkaPartitionStatus[];
}
