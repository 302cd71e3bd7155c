// The streamer's buffers: per dbms.table, the journal entries received and not yet flushed, in
// arrival order (which is seq order per stream). Pure data; the actor owns one and its timers.
import type { BatchFrame, RowsFrame } from '../../protocols/frames/ingest.js';
import { thresholdFor, type Thresholds } from './thresholds.js';

export interface TableStats {
  calls: number;
  rows: number;
  flushes: number;
  immediate: number;
  lastFlush: number | undefined;
  /** When rows last arrived (EdgeLake's `Last Process` counts from it: streaming_data.py `show_info`). */
  lastAt: number | undefined;
}

interface Buffer {
  dbms: string;
  table: string;
  parts: BatchFrame['parts'];
  bytes: number;
  rows: number;
  firstAt: number;
}

export class StreamBuffers {
  private readonly buffers = new Map<string, Buffer>();
  readonly stats = new Map<string, TableStats>();

  constructor(public thresholds: Thresholds) {}

  /** Adds an entry; returns true when its buffer must be flushed now (volume reached). */
  add(f: RowsFrame, now: number): boolean {
    const key = `${f.dbms}.${f.table}`;
    let b = this.buffers.get(key);
    if (!b) {
      b = { dbms: f.dbms, table: f.table, parts: [], bytes: 0, rows: 0, firstAt: now };
      this.buffers.set(key, b);
    }
    const { t: _t, dbms: _d, table: _tb, ...part } = f;
    b.parts.push(part);
    b.bytes += f.bytes;
    b.rows += f.count;
    const s = this.stat(key);
    s.calls++;
    s.rows += f.count;
    s.lastAt = now;
    const th = thresholdFor(this.thresholds, key);
    return b.bytes >= th.volume || th.time === 0;
  }

  /** Milliseconds until the next buffer is due, or undefined when all are empty. */
  nextDueIn(now: number): number | undefined {
    let best: number | undefined;
    for (const [key, b] of this.buffers) {
      const wait = Math.max(0, b.firstAt + thresholdFor(this.thresholds, key).time * 1000 - now);
      if (best === undefined || wait < best) best = wait;
    }
    return best;
  }

  /** Keys of buffers whose time has come. */
  due(now: number): string[] {
    return [...this.buffers]
      .filter(([key, b]) => now - b.firstAt >= thresholdFor(this.thresholds, key).time * 1000)
      .map(([k]) => k);
  }

  keys(): string[] {
    return [...this.buffers.keys()];
  }

  /** Removes and returns a buffer as a batch frame. */
  take(key: string, now: number, immediate = false): BatchFrame | undefined {
    const b = this.buffers.get(key);
    if (!b) return undefined;
    this.buffers.delete(key);
    const s = this.stat(key);
    s.flushes++;
    if (immediate) s.immediate++;
    s.lastFlush = now;
    return { t: 'batch', dbms: b.dbms, table: b.table, parts: b.parts };
  }

  /** Puts a batch back at the front (the operator's ring was full). */
  putBack(batch: BatchFrame, now: number): void {
    const key = `${batch.dbms}.${batch.table}`;
    const b = this.buffers.get(key);
    const bytes = batch.parts.reduce((n, p) => n + p.bytes, 0);
    const rows = batch.parts.reduce((n, p) => n + p.count, 0);
    if (!b)
      this.buffers.set(key, { dbms: batch.dbms, table: batch.table, parts: batch.parts, bytes, rows, firstAt: now });
    else {
      b.parts.unshift(...batch.parts);
      b.bytes += bytes;
      b.rows += rows;
    }
    this.stat(key).flushes--;
  }

  /** Forgets buffered rows (they stay in the journal; the operator replays them). */
  drop(key: string): number {
    const b = this.buffers.get(key);
    this.buffers.delete(key);
    return b?.rows ?? 0;
  }

  totalBytes(): number {
    let n = 0;
    for (const b of this.buffers.values()) n += b.bytes;
    return n;
  }

  buffered(key: string): { rows: number; bytes: number; firstAt: number } | undefined {
    const b = this.buffers.get(key);
    return b ? { rows: b.rows, bytes: b.bytes, firstAt: b.firstAt } : undefined;
  }

  private stat(key: string): TableStats {
    let s = this.stats.get(key);
    if (!s) {
      s = { calls: 0, rows: 0, flushes: 0, immediate: 0, lastFlush: undefined, lastAt: undefined };
      this.stats.set(key, s);
    }
    return s;
  }
}
