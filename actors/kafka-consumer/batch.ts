// One fetched batch of one partition -> the rows to journal, exactly once.
//
// The journal holds, per partition, the last offset whose rows it made durable (a "mark", written in
// the same LMDB transaction as the rows: storage/journal/journal.ts). Offsets are committed to Kafka
// only after that, so after a crash or a kill Kafka re-delivers from the last *committed* offset, which
// may be below the mark; those records are already in the journal and are skipped here. Records above
// the mark are mapped and journaled with the new mark. Hence every record lands once, whatever happens
// between the journal commit and the offset commit.
//
// A mark at or beyond the partition's high watermark cannot come from this log (the topic was deleted
// and created again under the same name, or the group/cluster changed): it is ignored, not trusted.
import { isFailure, type MapFailure, type MappedRow, type Mapper } from '../../protocols/mapping/index.js';
import { Status } from '../../base/status.js';

export interface BatchRecord {
  offset: string;
  value: Buffer | null;
}

export interface BatchPlan {
  rows: MappedRow[];
  /** Records above the mark (mapped, successfully or not). */
  fresh: number;
  /** Records at or below the mark: already journaled before a restart or rebalance. */
  skipped: number;
  /** Records whose mapping failed, with the failure of the last one. */
  failed: number;
  lastFailure: MapFailure | undefined;
  /** The offset of the last record of the batch (the new mark when there were fresh records). */
  last: string | undefined;
  /** The mark was ignored because it is beyond this log's end. */
  staleMark: boolean;
}

/** The journal mark key of a partition: cluster address, group, topic and partition. */
export function markKey(bootstrap: string, groupId: string, topic: string, partition: number): string {
  return `kafka|${bootstrap}|${groupId}|${topic}|${partition}`;
}

export function planBatch(
  records: readonly BatchRecord[],
  highWatermark: string,
  mark: bigint | undefined,
  mapper: Mapper,
  now: Date,
): BatchPlan {
  const plan: BatchPlan = {
    rows: [],
    fresh: 0,
    skipped: 0,
    failed: 0,
    lastFailure: undefined,
    last: undefined,
    staleMark: false,
  };
  let floor = mark;
  if (floor !== undefined && floor >= BigInt(highWatermark)) {
    plan.staleMark = true;
    floor = undefined;
  }
  for (const r of records) {
    plan.last = r.offset;
    if (floor !== undefined && BigInt(r.offset) <= floor) {
      plan.skipped++;
      continue;
    }
    plan.fresh++;
    if (r.value === null) {
      plan.failed++;
      plan.lastFailure = {
        code: Status.FailedToIdentifyAppData,
        reason: `offset ${r.offset}: a record without a value (tombstone)`,
      };
      continue;
    }
    const res = mapper(r.value, now);
    if (isFailure(res)) {
      plan.failed++;
      plan.lastFailure = { code: res.error.code, reason: `offset ${r.offset}: ${res.error.reason}` };
      continue;
    }
    for (const row of res.rows) plan.rows.push(row);
  }
  return plan;
}
