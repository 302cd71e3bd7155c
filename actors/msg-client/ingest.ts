// From a received message to durable rows, for every transport of the msg client (an external broker
// through mqtt.js, the node's own broker, REST `command: data`):
//   map (the topic's Mapper, compiled once) -> stage the rows in the open batch -> one journal append per
//   batch (RowProducer.submitMany, group commit) -> the batch's promise resolves when the rows are durable,
//   and only then may the sender be acknowledged.
// A batch is flushed on the next event-loop turn, so every message parsed from one socket read shares one
// commit: under load, batches grow instead of commits queueing one per message.
//
// Dedupe of redelivered QoS 1/2 messages: with each message that has a packet id, the batch writes a
// journal mark `p/<packet id> -> <session>|<hash of topic and payload>` in the same transaction as the
// rows (storage/journal marks). A message that comes back with the DUP flag (the broker resends what it
// sent before a disconnect, or a device resends after the node restarted) and whose mark matches was made
// durable before: it is acknowledged without being stored again. Marks are keyed by packet id, so there
// are at most 65,535 per client. What this cannot catch: a publisher that re-sends a QoS 1 PUBLISH whose
// PUBACK it lost makes the broker deliver a second, distinct message (MQTT QoS 1 is at-least-once on that
// leg); and a redelivered message identical in topic and payload to the previous user of its packet id.
import { createHash } from 'node:crypto';
import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../base/log.js';
import { errorMessage } from '../../base/errors.js';
import { MapCode, normalizeName, type MappedRow } from '../../protocols/mapping/index.js';
import type { RowProducer } from '../_shared/row-producer.js';
import type { TopicStats } from './messages.js';
import { topicFor, type TopicRuntime } from './topics.js';

/** EdgeLake error 159: a message on a topic this client did not subscribe (mq L1117-1140). */
export const UNRECOGNIZED_TOPIC = 159;
/** EdgeLake error 1 (process failure) when the journal could not take the rows. */
const STORE_FAILED = 1;

/** `YYYY-MM-DD HH:MM:SS` in local time, as EdgeLake's get_current_time. */
export function stamp(d = new Date()): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

interface Batch {
  rows: MappedRow[];
  marks: Record<string, string> | undefined;
  perTopic: Map<TopicRuntime, { messages: number; rows: number }>;
  done: Promise<void>;
}

/** A QoS 1/2 message's identity for dedupe: its packet id, DUP flag, and where its mark lives. */
export interface PacketRef {
  id: number;
  dup: boolean;
  /** Mark key (default `p/<id>`: one session per client). */
  key?: string;
  /** Session in the mark value (default the client's). */
  session?: string;
}

export interface IngestOptions {
  producer: RowProducer;
  log: Logger;
  topics: readonly TopicRuntime[];
  /** Identifies the MQTT session in dedupe marks (broker address and client id). */
  session: string;
  /** `log_error = true`: raw failed messages go to this directory. */
  errDir: string | undefined;
  /** `only_log = true` (or a `persist` topic): raw messages are appended to this file instead of mapped. */
  rawLogFile: string | undefined;
  /** Name used in error files (`err_<broker>`). */
  brokerName: string;
}

export class Ingest {
  messages = 0;
  errors = 0;
  rows = 0;
  duplicates = 0;
  lastMessageTime = '';
  lastErrorTime = '';
  lastErrorCode = 0;
  lastReason = '';
  /** Messages staged and not yet durable (backpressure for QoS 0 streams). */
  inflight = 0;
  private open: Batch | undefined;
  /** The last batch, settled either way: what the next batch waits for, to complete in order. */
  private tail: Promise<void> = Promise.resolve();
  /** The last batch as it ends (rejects when it could not be stored). */
  private last: Promise<void> = Promise.resolve();
  /** Marks of staged batches, until they are durable (a DUP can arrive before its original commits). */
  private readonly pendingMarks = new Map<string, { value: string; done: Promise<void> }>();

  constructor(private readonly o: IngestOptions) {}

  /** Resolves when everything staged so far is durable; rejects when a batch could not be stored. */
  settled(): Promise<void> {
    return this.open?.done ?? this.last;
  }

  /**
   * Maps one message and stages its rows. The promise resolves when the message may be acknowledged:
   * its rows are durable, or it failed to map (counted, logged, not retried), or it is a duplicate.
   * It rejects only when the journal could not store the rows (do not acknowledge).
   */
  accept(received: string, payload: Uint8Array | string, packet?: PacketRef): Promise<void> {
    this.messages++;
    const now = new Date();
    this.lastMessageTime = stamp(now);
    const topic = topicFor(this.o.topics, received);
    if (!topic) {
      this.o.log.warn('Unrecognized topic in Message Client process', { topic: received, code: UNRECOGNIZED_TOPIC });
      this.fail(
        undefined,
        UNRECOGNIZED_TOPIC,
        `Unrecognized topic in Message Client process: ${received}`,
        payload,
        received,
      );
      return Promise.resolve();
    }
    let mark: [string, string] | undefined;
    if (packet) {
      mark = [packet.key ?? `p/${packet.id}`, `${packet.session ?? this.o.session}|${hashOf(received, payload)}`];
      if (packet.dup) {
        const pending = this.pendingMarks.get(mark[0]);
        if (pending?.value === mark[1] || this.o.producer.mark(mark[0]) === mark[1]) {
          this.duplicates++;
          topic.stats.success++;
          return pending?.value === mark[1] ? pending.done : Promise.resolve();
        }
      }
    }
    if (!topic.mapper) {
      this.logRaw(received, payload);
      topic.stats.success++;
      return Promise.resolve();
    }
    const r = topic.mapper(payload, now);
    if ('error' in r) {
      this.fail(topic, r.error.code, r.error.reason, payload, received);
      return Promise.resolve();
    }
    return this.stage(topic, r.rows, mark);
  }

  private stage(topic: TopicRuntime, rows: MappedRow[], mark: [string, string] | undefined): Promise<void> {
    let b = this.open;
    if (!b) {
      const batch: Batch = { rows: [], marks: undefined, perTopic: new Map(), done: Promise.resolve() };
      const prev = this.tail;
      // Flushed on the next turn: every message of this turn joins the batch first.
      batch.done = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.flush(batch, prev));
      // Nobody may be waiting on a failed batch (a QoS 0 stream): the failure is counted in flush().
      batch.done.catch(() => undefined);
      this.open = b = batch;
      this.last = batch.done;
      this.tail = batch.done.catch(() => undefined);
    }
    for (const r of rows) b.rows.push(r);
    const t = b.perTopic.get(topic) ?? { messages: 0, rows: 0 };
    t.messages++;
    t.rows += rows.length;
    b.perTopic.set(topic, t);
    if (mark) {
      (b.marks ??= {})[mark[0]] = mark[1];
      this.pendingMarks.set(mark[0], { value: mark[1], done: b.done });
    }
    this.inflight++;
    return b.done;
  }

  private async flush(b: Batch, prev: Promise<void>): Promise<void> {
    if (this.open === b) this.open = undefined;
    let msgs = 0;
    for (const t of b.perTopic.values()) msgs += t.messages;
    try {
      await this.o.producer.submitMany(b.rows, b.marks);
      // Batches complete in order: an acknowledgement never overtakes an earlier message's.
      await prev;
      for (const [topic, t] of b.perTopic) {
        topic.stats.success += t.messages;
        topic.stats.rows += t.rows;
      }
      this.rows += b.rows.length;
    } catch (err) {
      const reason = `journal append failed: ${errorMessage(err)}`;
      this.o.log.error('msg client could not store rows', { rows: b.rows.length, error: errorMessage(err) });
      for (const [topic, t] of b.perTopic) this.countFailure(topic, STORE_FAILED, reason, t.messages);
      throw err;
    } finally {
      this.inflight -= msgs;
      if (b.marks)
        for (const k of Object.keys(b.marks))
          if (this.pendingMarks.get(k)?.done === b.done) this.pendingMarks.delete(k);
    }
  }

  private countFailure(topic: TopicRuntime | undefined, code: number, reason: string, n = 1): void {
    const when = stamp();
    this.errors += n;
    this.lastErrorTime = when;
    this.lastErrorCode = code;
    this.lastReason = reason;
    if (topic) {
      topic.stats.failure += n;
      topic.stats.lastErrorTime = when;
      topic.stats.lastErrorCode = code;
      topic.stats.lastReason = reason;
    }
  }

  private fail(
    topic: TopicRuntime | undefined,
    code: number,
    reason: string,
    payload: Uint8Array | string,
    received: string,
  ): void {
    this.countFailure(topic, code, reason);
    // EdgeLake logs 299/158 (not JSON) and 159 without counting them; here every lost message counts.
    if (code !== MapCode.unrecognized && code !== MapCode.notJson)
      this.o.log.warn('message not mapped', { topic: received, code, reason });
    if (!this.o.errDir) return;
    // EdgeLake streams it to err_dir as dbms `err_<broker>`, table = topic (mq L1031-1042).
    const file = join(this.o.errDir, `err_${normalizeName(this.o.brokerName)}.${normalizeName(received)}.0.0.json`);
    appendFile(file, `${textOf(payload).replace(/\n/g, ' ')}\n`, { mode: 0o600 }).catch((err: unknown) =>
      this.o.log.error('cannot write a failed message to err_dir', { file, error: errorMessage(err) }),
    );
  }

  private logRaw(received: string, payload: Uint8Array | string): void {
    if (!this.o.rawLogFile) return;
    const file = this.o.rawLogFile;
    appendFile(file, `${JSON.stringify({ topic: received, message: textOf(payload) })}\n`, { mode: 0o600 }).catch(
      (err: unknown) => this.o.log.error('cannot log a message (only_log)', { file, error: errorMessage(err) }),
    );
  }

  topicStats(): TopicStats[] {
    return this.o.topics.map((t) => ({ ...t.stats }));
  }
}

function textOf(payload: Uint8Array | string): string {
  return typeof payload === 'string'
    ? payload
    : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8');
}

function hashOf(topic: string, payload: Uint8Array | string): string {
  return createHash('sha1').update(topic).update('\u0000').update(payload).digest('base64url').slice(0, 22);
}
