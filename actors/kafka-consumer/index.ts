// The Kafka consumer actor: a kafkajs consumer group on the configured topics; every record is mapped
// by its topic's mapping (protocols/mapping) and its rows are made durable in the journal before its
// offset is resolved and committed (autoCommit off). Exactly once across crashes: batch.ts.
//
// The connection is this actor's business, not the supervisor's: a broker that is down or goes away is
// retried with backoff (kafkajs restarts itself on retriable errors; a non-retriable crash recreates the
// consumer here), so a dead broker never becomes a restart storm that escalates to the node.
import { Kafka, logLevel, type Consumer, type EachBatchPayload, type LogEntry } from 'kafkajs';
import { defineActor, type ActorContext } from '../../runtime/actor.js';
import { assertNever, errorMessage } from '../../base/errors.js';
import type { Logger } from '../../base/log.js';
import { RowProducer } from '../_shared/row-producer.js';
import { markKey, planBatch } from './batch.js';
import { parseKafkaConsumerConfig, type KafkaConsumerConfig } from './config.js';
import { compileTopics, type TopicMapping } from './mappings.js';
import type { TopicConfig } from '../_shared/topic.js';
import type { KafkaIn, KafkaStatus } from './messages.js';
import { KafkaStats } from './stats.js';

interface PendingCommit {
  topic: string;
  partition: number;
  /** The next offset to read: last durable + 1. */
  offset: string;
}

interface State {
  cfg: KafkaConsumerConfig;
  bootstrap: string;
  group: string;
  kafka: Kafka;
  consumer: Consumer | undefined;
  producer: RowProducer;
  mappings: Map<string, TopicMapping>;
  stats: KafkaStats;
  /** Journal marks read so far, by mark key (undefined: none recorded). */
  marks: Map<string, bigint | undefined>;
  connection: string;
  reconnects: number;
  /** Durable offsets not yet committed, by `topic\0partition`. */
  pending: Map<string, PendingCommit>;
  /** Partitions of the current generation (undefined before the first join). */
  assigned: Set<string> | undefined;
  lastCommit: number;
  inflight: Set<Promise<void>>;
  stopping: boolean;
  loop: Promise<void>;
  timer: NodeJS.Timeout | undefined;
  lastWarn: number;
}

const tp = (topic: string, partition: number): string => `${topic}\u0000${partition}`;
const BACKOFF_MS = [500, 1000, 2000, 5000, 10_000, 30_000];

/** kafkajs' log in ours; `quiet()` while stopping, when kafkajs reports the connections it is closing. */
function kafkaLogger(log: Logger, quiet: () => boolean) {
  return () =>
    ({ namespace, level, log: entry }: LogEntry): void => {
      const {
        message,
        timestamp: _t,
        logger: _l,
        ...extra
      } = entry as { message: string; timestamp: string; logger?: string; [k: string]: unknown };
      const text = `kafkajs ${namespace}: ${message}`;
      if ((level === logLevel.ERROR || level === logLevel.WARN) && !quiet()) log.warn(text, extra);
      else log.debug(text, extra);
    };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });
}

/** `p`, or undefined after `ms` (stop must end within the service's shutdown time, broker or not). */
function bounded<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

function markOf(s: State, key: string): bigint | undefined {
  if (s.marks.has(key)) return s.marks.get(key);
  const v = s.producer.mark(key);
  const m = v === undefined ? undefined : BigInt(v);
  s.marks.set(key, m);
  return m;
}

async function processBatch(s: State, ctx: ActorContext<KafkaIn>, p: EachBatchPayload): Promise<void> {
  const { batch } = p;
  const mapping = s.mappings.get(batch.topic);
  const now = new Date();
  const key = markKey(s.bootstrap, s.group, batch.topic, batch.partition);
  if (!mapping) return; // kafkajs only hands subscribed topics
  const plan = planBatch(batch.messages, batch.highWatermark, markOf(s, key), mapping.mapper, now);
  if (plan.last === undefined) return;
  if (plan.staleMark) {
    ctx.log.warn('journal mark is beyond the end of the partition: ignored (topic recreated?)', {
      topic: batch.topic,
      partition: batch.partition,
      mark: String(s.marks.get(key)),
      highWatermark: batch.highWatermark,
    });
  }
  if (plan.fresh > 0) {
    // Rows and the new mark in one journal transaction; only then may the offset move.
    await s.producer.submitMany(plan.rows, { [key]: plan.last });
    s.marks.set(key, BigInt(plan.last));
    s.stats.durable(batch.topic, batch.partition, plan.last);
  }
  s.stats.batch(batch.topic, now, plan.fresh, plan.failed, plan.rows.length, plan.skipped, plan.lastFailure);
  const l = { topic: batch.topic, partition: String(batch.partition) };
  // kafkajs: high watermark - last offset of this batch - 1, what is left in the partition after it.
  ctx.metrics.set('edgelake_rt_kafka_consumer_lag_messages', l, Number(batch.offsetLag()));
  ctx.metrics.inc('edgelake_rt_msg_messages_total', { client: ctx.self, topic: batch.topic }, batch.messages.length);
  if (plan.lastFailure && Date.now() - s.lastWarn > 1000) {
    s.lastWarn = Date.now();
    ctx.log.warn('Kafka record not mapped', {
      topic: batch.topic,
      partition: batch.partition,
      failed: plan.failed,
      code: plan.lastFailure.code,
      reason: plan.lastFailure.reason,
    });
  }
  p.resolveOffset(plan.last);
  s.pending.set(tp(batch.topic, batch.partition), {
    topic: batch.topic,
    partition: batch.partition,
    offset: (BigInt(plan.last) + 1n).toString(),
  });
  if (Date.now() - s.lastCommit >= s.cfg.commit_interval * 1000) {
    const offsets = p.uncommittedOffsets();
    try {
      await p.commitOffsetsIfNecessary(offsets);
      s.lastCommit = Date.now();
      for (const t of offsets.topics) for (const q of t.partitions) committed(s, t.topic, q.partition, q.offset);
    } catch (err) {
      // A rebalance in progress: the next commit (or the next owner's re-read, skipped by the marks) covers it.
      ctx.log.debug('offset commit deferred', { topic: batch.topic, error: errorMessage(err) });
    }
  }
  await p.heartbeat();
}

function committed(s: State, topic: string, partition: number, offset: string): void {
  s.stats.committed(topic, partition, offset);
  const k = tp(topic, partition);
  const pend = s.pending.get(k);
  if (pend && BigInt(pend.offset) <= BigInt(offset)) s.pending.delete(k);
}

/** Commits the durable offsets that no batch has committed yet (idle partitions, and at stop). */
async function commitPending(s: State, ctx: ActorContext<KafkaIn>): Promise<void> {
  const consumer = s.consumer;
  if (!consumer || s.pending.size === 0) return;
  const list = [...s.pending.values()].filter((p) => !s.assigned || s.assigned.has(tp(p.topic, p.partition)));
  if (list.length === 0) return;
  try {
    await consumer.commitOffsets(list);
    s.lastCommit = Date.now();
    for (const p of list) committed(s, p.topic, p.partition, p.offset);
  } catch (err) {
    ctx.log.debug('offset commit deferred', { error: errorMessage(err) });
  }
}

async function onBatch(s: State, ctx: ActorContext<KafkaIn>, p: EachBatchPayload): Promise<void> {
  if (s.stopping || !p.isRunning() || p.isStale()) return;
  const run = processBatch(s, ctx, p);
  s.inflight.add(run);
  try {
    await run;
  } finally {
    s.inflight.delete(run);
  }
}

/** Connects, runs until a non-retriable crash, then backs off and starts a new consumer; ends at stop. */
async function runLoop(s: State, ctx: ActorContext<KafkaIn>): Promise<void> {
  let attempt = 0;
  const sessionMs = Math.round(s.cfg.session_timeout * 1000);
  while (!ctx.signal.aborted && !s.stopping) {
    const consumer = s.kafka.consumer({
      groupId: s.group,
      sessionTimeout: sessionMs,
      heartbeatInterval: Math.max(100, Math.min(3000, Math.floor(sessionMs / 3))),
      rebalanceTimeout: sessionMs,
      allowAutoTopicCreation: false,
      // A fetch long-polls this long when there is nothing new; stop waits for it, so keep it short.
      maxWaitTimeInMs: 500,
    });
    s.consumer = consumer;
    const ended = new Promise<string | undefined>((resolve) => {
      consumer.on(consumer.events.CRASH, (e) => {
        if (e.payload.restart) s.connection = `Reconnecting: ${errorMessage(e.payload.error)}`;
        else resolve(errorMessage(e.payload.error));
      });
      ctx.signal.addEventListener('abort', () => resolve(undefined), { once: true });
    });
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      s.connection = 'Connected';
      s.assigned = new Set(Object.entries(e.payload.memberAssignment).flatMap(([t, ps]) => ps.map((p) => tp(t, p))));
      attempt = 0;
    });
    consumer.on(consumer.events.REBALANCING, () => (s.connection = 'Rebalancing'));
    try {
      s.connection = 'Connecting';
      await consumer.connect();
      await consumer.subscribe({ topics: [...s.mappings.keys()], fromBeginning: s.cfg.reset === 'earliest' });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: s.cfg.threads,
        eachBatch: (p) => onBatch(s, ctx, p),
      });
      const reason = await ended;
      if (reason === undefined || s.stopping) return;
      s.connection = `Not connected: ${reason}`;
      ctx.log.warn('Kafka consumer crashed; it reconnects', { broker: s.bootstrap, error: reason });
    } catch (err) {
      if (ctx.signal.aborted || s.stopping) return;
      s.connection = `Not connected: ${errorMessage(err)}`;
      ctx.log.warn('Kafka consumer cannot connect; it retries', { broker: s.bootstrap, error: errorMessage(err) });
    }
    s.assigned = undefined;
    await consumer
      .disconnect()
      .catch((err: unknown) => ctx.log.debug('Kafka disconnect failed', { error: errorMessage(err) }));
    s.consumer = undefined;
    s.reconnects++;
    await sleep(BACKOFF_MS[Math.min(attempt++, BACKOFF_MS.length - 1)]!, ctx.signal);
  }
}

export default defineActor<KafkaConsumerConfig, State, KafkaIn>({
  kind: 'kafka-consumer',
  config: (raw) => parseKafkaConsumerConfig(raw),
  async init(ctx, cfg) {
    const mappings = await compileTopics(
      ctx,
      cfg.topic.filter((t): t is TopicConfig => t !== undefined),
      'run kafka consumer',
    );
    const bootstrap = `${cfg.ip}:${cfg.port}`;
    const group = cfg.group_id ?? `edgelake-${ctx.node.name}`;
    const s: State = {
      cfg,
      bootstrap,
      group,
      kafka: new Kafka({
        clientId: `edgelake-rt-${ctx.node.name}`,
        brokers: [bootstrap],
        logLevel: logLevel.WARN,
        logCreator: kafkaLogger(ctx.log, () => s.stopping),
      }),
      consumer: undefined,
      producer: new RowProducer(ctx),
      mappings,
      stats: new KafkaStats([...mappings.values()]),
      marks: new Map(),
      connection: 'Connecting',
      reconnects: 0,
      pending: new Map(),
      assigned: undefined,
      lastCommit: 0,
      inflight: new Set(),
      stopping: false,
      loop: Promise.resolve(),
      timer: undefined,
      lastWarn: 0,
    };
    s.loop = runLoop(s, ctx).catch((err: unknown) => {
      // Only a bug gets here: crash the worker (the supervisor restarts it).
      ctx.exit(err instanceof Error ? err : new Error(String(err)));
    });
    if (cfg.commit_interval > 0) {
      const ms = Math.max(100, Math.round(cfg.commit_interval * 1000));
      s.timer = setInterval(() => ctx.send(ctx.self, { type: 'kafka.commit' }), ms);
    }
    ctx.log.info('Kafka consumer started', { broker: bootstrap, group, topics: [...mappings.keys()] });
    return s;
  },
  async handle(s, msg, ctx) {
    switch (msg.type) {
      case 'kafka.status':
        return {
          broker: s.bootstrap,
          group: s.group,
          reset: s.cfg.reset,
          connection: s.connection,
          reconnects: s.reconnects,
          topics: [...s.stats.topics.values()],
          partitions: s.stats.partitionList(),
        } satisfies KafkaStatus;
      case 'kafka.commit':
        if (!s.stopping && Date.now() - s.lastCommit >= s.cfg.commit_interval * 1000) await commitPending(s, ctx);
        return undefined;
      default:
        return assertNever(msg, 'kafka consumer message');
    }
  },
  async stop(s, _reason, ctx) {
    s.stopping = true;
    if (s.timer) clearInterval(s.timer);
    // A batch being journaled finishes (its offsets then commit below); a dead broker must not hold
    // the stop: whatever is not committed is re-delivered later and skipped by the journal marks.
    await bounded(Promise.allSettled([...s.inflight]), 4000);
    await bounded(commitPending(s, ctx), 2000);
    const consumer = s.consumer;
    if (consumer)
      await bounded(
        consumer
          .disconnect()
          .catch((err: unknown) => ctx.log.warn('Kafka disconnect failed', { error: errorMessage(err) })),
        2000,
      );
    await bounded(s.loop, 1000);
    await s.producer.close();
  },
});
