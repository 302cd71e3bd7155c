// Every metric the node exposes on `/metrics`, declared once: name, type, help and labels. Names follow the
// Prometheus conventions (https://prometheus.io/docs/practices/naming/): the `edgelake_rt_` prefix, the unit in
// the name (`_seconds`, `_bytes`), `_total` on counters. What workers report (runtime/metrics.ts) must name a
// metric here with exactly these labels; the rest is read by the node itself at scrape time.

export type MetricType = 'counter' | 'gauge' | 'histogram';

export interface MetricDef {
  type: MetricType;
  help: string;
  labels: readonly string[];
  /** Histogram bucket bounds. */
  buckets?: readonly number[];
}

/** 100 µs to 10 s: an fsync, a dbms transaction, a query, a peer round trip. */
const LATENCY = [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export const METRICS = {
  // Supervision (read from the supervisor at scrape time).
  edgelake_rt_service_up: { type: 'gauge', help: '1 when the service actor is running', labels: ['service', 'kind'] },
  edgelake_rt_service_restarts_total: {
    type: 'counter',
    help: 'Restarts of the service actor by its supervisor',
    labels: ['service', 'kind'],
  },
  edgelake_rt_service_uptime_seconds: {
    type: 'gauge',
    help: 'Seconds since the service actor last became running',
    labels: ['service', 'kind'],
  },
  edgelake_rt_service_mailbox_depth: {
    type: 'gauge',
    help: 'Messages sent to the actor and not yet handled',
    labels: ['service', 'kind'],
  },
  edgelake_rt_service_mailbox_capacity: {
    type: 'gauge',
    help: 'Bound of the actor mailbox',
    labels: ['service', 'kind'],
  },
  edgelake_rt_ring_used_bytes: {
    type: 'gauge',
    help: 'Bytes waiting in a shared ring',
    labels: ['producer', 'consumer'],
  },
  edgelake_rt_ring_fill_ratio: {
    type: 'gauge',
    help: 'Used share of a shared ring (0..1)',
    labels: ['producer', 'consumer'],
  },
  edgelake_rt_dead_letters_total: {
    type: 'counter',
    help: 'Messages between actors that were dropped (mailbox full, no such actor)',
    labels: ['to', 'reason'],
  },
  // Ingest (reported by workers).
  edgelake_rt_rows_ingested_total: {
    type: 'counter',
    help: 'Rows accepted into the journal and acknowledged to the sender',
    labels: ['dbms', 'table', 'source'],
  },
  edgelake_rt_rows_applied_total: {
    type: 'counter',
    help: 'Rows inserted into the local database by the operator',
    labels: ['dbms', 'table'],
  },
  edgelake_rt_rows_rejected_total: {
    type: 'counter',
    help: 'Rows refused: moved to the error directory by the operator, or not accepted from a sender',
    labels: ['dbms', 'table', 'reason'],
  },
  edgelake_rt_ingest_requests_rejected_total: {
    type: 'counter',
    help: 'Ingest requests or messages refused before any row was accepted (bad body or headers, not mapped)',
    labels: ['source'],
  },
  edgelake_rt_journal_commit_duration_seconds: {
    type: 'histogram',
    help: 'Journal append to durable (LMDB commit with fsync), as the acknowledging source waits for it',
    labels: ['source'],
    buckets: LATENCY,
  },
  edgelake_rt_dbms_write_duration_seconds: {
    type: 'histogram',
    help: 'Operator transaction time (rows and journal positions, with the dbms commit)',
    labels: ['dbms'],
    buckets: LATENCY,
  },
  edgelake_rt_journal_unapplied_entries: {
    type: 'gauge',
    help: 'Journal entries acknowledged to senders and not yet applied to a database',
    labels: [],
  },
  edgelake_rt_journal_unapplied_rows: {
    type: 'gauge',
    help: 'Rows acknowledged to senders and not yet applied to a database',
    labels: [],
  },
  edgelake_rt_journal_oldest_unapplied_age_seconds: {
    type: 'gauge',
    help: 'Age of the oldest journal entry not yet applied (0 when none)',
    labels: [],
  },
  edgelake_rt_journal_replay_remaining_entries: {
    type: 'gauge',
    help: 'Entries the operator still has to replay at start (0 once the start replay is done)',
    labels: [],
  },
  // Workers (reported by each worker's host).
  edgelake_rt_worker_heap_used_bytes: { type: 'gauge', help: 'V8 heap used by the actor worker', labels: ['actor'] },
  edgelake_rt_worker_heap_total_bytes: {
    type: 'gauge',
    help: 'V8 heap reserved by the actor worker (its spaces, the young generation included)',
    labels: ['actor'],
  },
  edgelake_rt_worker_event_loop_delay_seconds: {
    type: 'gauge',
    help: 'Event-loop delay of the actor worker over the last second (quantile 0.99 and 1 = max)',
    labels: ['actor', 'quantile'],
  },
  // Queries and peers (the main thread).
  edgelake_rt_queries_total: {
    type: 'counter',
    help: 'SQL queries run by this node (local `sql` and network `run client ... sql`)',
    labels: ['scope', 'outcome'],
  },
  edgelake_rt_query_duration_seconds: {
    type: 'histogram',
    help: 'Query time, from the command to the reply text',
    labels: ['scope'],
    buckets: LATENCY,
  },
  edgelake_rt_query_timeouts_total: {
    type: 'counter',
    help: 'Network queries where at least one peer did not answer in time',
    labels: [],
  },
  edgelake_rt_peer_requests_total: {
    type: 'counter',
    help: 'Requests sent to a peer, by outcome (ok, error, timeout)',
    labels: ['peer', 'outcome'],
  },
  edgelake_rt_peer_round_trip_seconds: {
    type: 'histogram',
    help: 'Time from sending a request to a peer to its complete answer',
    labels: ['peer'],
    buckets: LATENCY,
  },
  edgelake_rt_peer_messages_refused_total: {
    type: 'counter',
    help: 'TCP messages refused by node authentication: unsigned (not in the allow list), bad_signature, stale, replay, wrong_destination (the TCP server); unknown_key, not_permitted (the node)',
    labels: ['reason'],
  },
  // Message brokers (reported by the consumers).
  edgelake_rt_kafka_consumer_lag_messages: {
    type: 'gauge',
    help: 'High watermark minus the next offset to read, per topic partition',
    labels: ['topic', 'partition'],
  },
  edgelake_rt_msg_messages_total: {
    type: 'counter',
    help: 'Messages received by a msg client or the Kafka consumer, per topic',
    labels: ['client', 'topic'],
  },
} as const satisfies Record<string, MetricDef>;

export type MetricName = keyof typeof METRICS;

export function isMetricName(name: string): name is MetricName {
  return Object.prototype.hasOwnProperty.call(METRICS, name);
}
