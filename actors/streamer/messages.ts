// The streamer actor's mailbox.
import type { Thresholds } from './thresholds.js';
import { actorAddress, type Ask } from '../../runtime/address.js';

export type StreamerIn =
  /** Internal: a producer ring has records (or its wait timed out). */
  | { type: 'streamer.drain'; ring: string; hasData: boolean }
  /** Internal: a buffer's time threshold passed. */
  | { type: 'streamer.due' }
  | { type: 'streamer.thresholds'; thresholds: Thresholds }
  /** Flush every buffer now (EdgeLake `flush buffers`). */
  | { type: 'streamer.flush' }
  | Ask<{ type: 'streamer.stats' }, StreamerStats>;

export const STREAMER = actorAddress<StreamerIn>('streamer');

export interface StreamerTableStats {
  table: string;
  calls: number;
  rows: number;
  cached: number;
  immediate: number;
  volumeKb: number;
  fillPct: number;
  timeSec: number;
  timeLeftSec: number;
  lastFlush: number | undefined;
  /** Seconds since rows last arrived for this table. */
  idleSec: number | undefined;
}

export interface StreamerStats {
  thresholds: Thresholds;
  tables: StreamerTableStats[];
  bufferedRows: number;
  flushedRows: number;
  deferredRows: number;
}
