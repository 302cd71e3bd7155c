// The Kafka consumer actor's mailbox, and the status it reports (`get kafka consumer`, `get processes`;
// a `get msg clients` that lists Kafka subscriptions as EdgeLake does can read the same status).
import { actorAddress } from '../../runtime/address.js';
import type { KafkaStatusQuery } from '../_shared/kafka-status.js';

export type { KafkaPartitionStatus, KafkaStatus, KafkaTopicStatus } from '../_shared/kafka-status.js';

export type KafkaIn =
  | KafkaStatusQuery
  /** From its own timer: commit the durable offsets of partitions that no batch committed lately. */
  | { type: 'kafka.commit' };

export const KAFKA_CONSUMER = actorAddress<KafkaIn>('kafka-consumer');
