// The Kafka consumer's status, which `get kafka consumer` and `get processes` show and `get msg clients` lists
// beside the msg clients (EdgeLake mqtt_client.py keeps Kafka consumers among its subscriptions,
// `get_subscriptions_stat`). Kept here because both actors' commands read it.
import { actorAddress, type Ask } from '../../runtime/address.js';

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
  /** EdgeLake's status code of the last failure (0: none). */
  lastErrorCode: number;
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

export type KafkaStatusQuery = Ask<{ type: 'kafka.status' }, KafkaStatus>;

/** The Kafka consumer, as other services' commands ask it. */
export const KAFKA_STATUS = actorAddress<KafkaStatusQuery>('kafka-consumer');
