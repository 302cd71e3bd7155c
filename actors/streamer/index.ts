// The streamer actor: merges the journal entries that producers (REST, msg clients...) name to it
// through their rings into per-table batches, and flushes them to the operator's ring on time or
// volume (of the rows named). Rows are already durable in the journal, so a crash here loses nothing: the
// operator replays from the journal what it never received. Producers name their entries without the rows
// (protocols/frames/ingest.ts); a frame that carries rows is passed on with them.
// Backpressure: when the operator's ring is full the batch is put back and retried; when the
// buffers name more than MAX_BUFFERED_BYTES of rows the oldest buffers are dropped (not from the journal)
// and counted as deferred, so what waits here stays bounded whatever the operator does.
import { defineActor, type ActorContext } from '../../runtime/actor.js';
import type { TimerHandle } from '../../runtime/clock.js';
import { assertNever } from '../../base/errors.js';
import { armRing } from '../../runtime/ring-pump.js';
import type { BatchFrame, IngestFrame } from '../../protocols/frames/ingest.js';
import { StreamBuffers } from './buffers.js';
import { streamerSchema, type StreamerConfig } from './config.js';
import type { StreamerIn, StreamerStats } from './messages.js';
import { DEFAULT_THRESHOLDS, thresholdFor, THRESHOLDS_SETTING } from './thresholds.js';
import { readSetting } from '../../node/settings.js';

const OPERATOR_RING = 'operator';
const MAX_BUFFERED_BYTES = 32 << 20;
const DRAIN_MAX = 1024;
const RETRY_MS = 5;

interface State {
  buffers: StreamBuffers;
  timer: TimerHandle | undefined;
  timerAt: number;
  flushedRows: number;
  deferredRows: number;
}

function reschedule(state: State, ctx: ActorContext<StreamerIn>, soonMs?: number): void {
  const now = ctx.clock.now();
  const wait = soonMs ?? state.buffers.nextDueIn(now);
  if (wait === undefined) return;
  const at = now + wait;
  if (state.timer && state.timerAt <= at) return;
  state.timer?.cancel();
  state.timerAt = at;
  state.timer = ctx.clock.setTimeout(
    () => {
      state.timer = undefined;
      ctx.send(ctx.self, { type: 'streamer.due' });
    },
    Math.max(0, wait),
  );
}

/** An upper bound of a part's msgpack size: its rows' bytes when it carries them, its keys, and the small fields. */
function partBytes(p: BatchFrame['parts'][number]): number {
  let n = (p.rows?.length ?? 0) + 256;
  for (const k of p.keys) n += 5 + 3 * k.length;
  return n;
}

/**
 * Splits a batch into pieces of at most `maxBytes`, counting each part's rows whether it carries them or names
 * them: a frame then stands for as many rows as when frames carried them (the operator merges frames into
 * transactions by what they stand for), and its encoding always fits the ring.
 */
function pieces(batch: BatchFrame, maxBytes: number): BatchFrame[] {
  const out: BatchFrame[] = [];
  let cur: BatchFrame['parts'] = [];
  let size = 0;
  for (const p of batch.parts) {
    const sz = Math.max(partBytes(p), p.bytes);
    if (cur.length > 0 && size + sz > maxBytes) {
      out.push({ ...batch, parts: cur });
      cur = [];
      size = 0;
    }
    cur.push(p);
    size += sz;
  }
  if (cur.length > 0) out.push({ ...batch, parts: cur });
  return out;
}

/** Sends one buffer to the operator. False when it must wait (ring full). */
function flushKey(state: State, ctx: ActorContext<StreamerIn>, key: string, now: number, immediate: boolean): boolean {
  const ring = ctx.ring<IngestFrame>(OPERATOR_RING);
  const batch = state.buffers.take(key, now, immediate);
  if (!batch) return true;
  const rows = batch.parts.reduce((n, p) => n + p.count, 0);
  if (!ring) {
    // No operator wired: the rows wait in the journal for it.
    state.deferredRows += rows;
    return true;
  }
  const chunks = pieces(batch, Math.floor(ring.maxRecordBytes() / 2));
  for (let i = 0; i < chunks.length; i++) {
    const chunk = chunks[i]!;
    if (chunk.parts.length === 1 && partBytes(chunk.parts[0]!) > ring.maxRecordBytes() / 2) {
      // Bigger than the ring can carry: the operator takes it from the journal.
      state.deferredRows += chunk.parts[0]!.count;
      continue;
    }
    // Room is checked before the chunk is encoded: while the operator is behind, every retry (each RETRY_MS)
    // encoded the whole backlog again only to find the ring full (63% of the streamer's time in the profile).
    const estimate = Math.min(
      ring.maxRecordBytes(),
      chunk.parts.reduce((n, p) => n + partBytes(p), 0),
    );
    if (!ring.canFit(estimate) || !ring.push(chunk)) {
      for (let j = chunks.length - 1; j >= i; j--) state.buffers.putBack(chunks[j]!, now);
      return false;
    }
    state.flushedRows += chunk.parts.reduce((n, p) => n + p.count, 0);
  }
  return true;
}

function flushDue(state: State, ctx: ActorContext<StreamerIn>, all: boolean): void {
  const now = ctx.clock.now();
  for (const key of all ? state.buffers.keys() : state.buffers.due(now)) {
    if (!flushKey(state, ctx, key, now, false)) {
      // The operator is behind: retry soon, and bound what we hold meanwhile.
      while (state.buffers.totalBytes() > MAX_BUFFERED_BYTES) {
        const oldest = state.buffers.keys()[0];
        if (oldest === undefined) break;
        state.deferredRows += state.buffers.drop(oldest);
        ctx.log.warn('streamer buffers over the memory bound: rows left to journal replay', { table: oldest });
      }
      reschedule(state, ctx, RETRY_MS);
      return;
    }
  }
  reschedule(state, ctx);
}

function armProducers(ctx: ActorContext<StreamerIn>): void {
  for (const name of ctx.ringNames()) if (name !== OPERATOR_RING) armRing(ctx, name, 'streamer.drain', 1000);
}

export default defineActor<StreamerConfig, State, StreamerIn>({
  kind: 'streamer',
  config: (raw) => streamerSchema.parse(raw),
  async init(ctx) {
    const saved = await readSetting(ctx, THRESHOLDS_SETTING);
    const state: State = {
      buffers: new StreamBuffers(saved ?? DEFAULT_THRESHOLDS),
      timer: undefined,
      timerAt: 0,
      flushedRows: 0,
      deferredRows: 0,
    };
    armProducers(ctx);
    return state;
  },
  onRing(_state, name, ctx) {
    if (name !== OPERATOR_RING) armRing(ctx, name, 'streamer.drain', 1000);
  },
  handle(state, msg, ctx) {
    switch (msg.type) {
      case 'streamer.drain': {
        const ring = ctx.ring<IngestFrame>(msg.ring);
        if (!ring) return undefined;
        const now = ctx.clock.now();
        const frames = ring.drain(DRAIN_MAX);
        for (const f of frames) {
          if (f.t !== 'rows') continue;
          const key = `${f.dbms}.${f.table}`;
          if (state.buffers.add(f, now))
            flushKey(state, ctx, key, now, thresholdFor(state.buffers.thresholds, key).time === 0);
        }
        if (ring.used() > 0) ctx.send(ctx.self, { type: 'streamer.drain', ring: msg.ring, hasData: true });
        else armRing(ctx, msg.ring, 'streamer.drain', 1000);
        reschedule(state, ctx);
        return undefined;
      }
      case 'streamer.due':
        flushDue(state, ctx, false);
        return undefined;
      case 'streamer.flush':
        flushDue(state, ctx, true);
        return undefined;
      case 'streamer.thresholds':
        state.buffers.thresholds = msg.thresholds;
        reschedule(state, ctx);
        return undefined;
      case 'streamer.stats': {
        const now = ctx.clock.now();
        const th = state.buffers.thresholds;
        let bufferedRows = 0;
        const tables = [...state.buffers.stats].map(([table, s]) => {
          const b = state.buffers.buffered(table);
          const t = thresholdFor(th, table);
          bufferedRows += b?.rows ?? 0;
          return {
            table,
            calls: s.calls,
            rows: s.rows,
            cached: b?.rows ?? 0,
            immediate: s.immediate,
            volumeKb: Math.round(t.volume / 1024),
            fillPct: b && t.volume > 0 ? Math.round((b.bytes / t.volume) * 10000) / 100 : 0,
            timeSec: t.time,
            // EdgeLake streaming_data.py `get_cached_info`: the whole threshold time when nothing is cached.
            timeLeftSec: b ? Math.max(0, Math.round((b.firstAt + t.time * 1000 - now) / 1000)) : t.time,
            lastFlush: s.lastFlush,
            idleSec: s.lastAt === undefined ? undefined : Math.max(0, Math.floor((now - s.lastAt) / 1000)),
          };
        });
        return {
          thresholds: th,
          tables,
          bufferedRows,
          flushedRows: state.flushedRows,
          deferredRows: state.deferredRows,
        } satisfies StreamerStats;
      }
      default:
        return assertNever(msg, 'streamer message');
    }
  },
  stop(state, _reason, ctx) {
    state.timer?.cancel();
    // Hand what is buffered to the operator now; anything it cannot take stays in the journal.
    flushDue(state, ctx, true);
    state.timer?.cancel();
  },
});
