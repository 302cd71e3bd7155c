// Flush thresholds of the streamer (`set buffer threshold where time = .. and volume = ..`).
// EdgeLake keeps streaming rows only in memory, so it waits (defaults 60 s / 10,000 bytes) to write
// big files. Here rows are durable in the journal before the PUT is answered, so the buffer only
// exists to merge small requests into bigger transactions: the defaults are 20 ms / 1 MiB, which
// keeps publish-to-queryable under 100 ms while the operator still inserts thousands of rows per
// transaction under load.
import { defineSetting } from '../../node/settings.js';

export interface Threshold {
  /** Seconds a buffer may wait before it is flushed. */
  time: number;
  /** Bytes of row text that trigger a flush. */
  volume: number;
}

export interface Thresholds extends Threshold {
  writeImmediate: boolean;
  /** Per `dbms.table` overrides (EdgeLake accepts dbms/table but ignores them; here they work). */
  tables: Record<string, Threshold>;
}

/** `set buffer threshold` keeps them on the node: a restarted streamer starts with them. */
export const THRESHOLDS_SETTING = defineSetting<Thresholds>('streamer.thresholds');

export const DEFAULT_THRESHOLDS: Thresholds = { time: 0.02, volume: 1 << 20, writeImmediate: false, tables: {} };

export function thresholdFor(t: Thresholds, key: string): Threshold {
  if (t.writeImmediate) return { time: 0, volume: 0 };
  return t.tables[key] ?? t;
}

/** `10000`, `10KB`, `2MB` (binary multiples, as EdgeLake: 10KB = 10,240). */
export function parseVolume(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?\s*$/i.exec(text);
  if (!m) return undefined;
  const mult = { b: 1, kb: 1024, mb: 1 << 20, gb: 1 << 30 }[(m[2] ?? 'b').toLowerCase() as 'b' | 'kb' | 'mb' | 'gb'];
  return Math.round(Number(m[1]) * mult);
}
