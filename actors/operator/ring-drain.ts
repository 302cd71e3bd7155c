// The operator's ring path: frames from the streamer merged per table into transactions (`drainRing`), and the
// catch-up of a table whose frames left journal entries behind (`catchUp`: a large PUT, of which only the last
// piece comes through the rings; actors/rest-server/README.md).
import type { ActorContext } from '../../runtime/actor.js';
import { armRing } from '../../runtime/ring-pump.js';
import type { Ring } from '../../runtime/ring.js';
import { collectGarbage } from '../../runtime/gc.js';
import type { IngestFrame, RowsFrame } from '../../protocols/frames/ingest.js';
import { applyTracked, leftBehind, type ApplyContext, type PartRef } from './apply.js';
import { reconcile } from './replay.js';
import type { OperatorIn } from './messages.js';

/** Rows merged into one transaction at most when frames queue up (apply.ts's MAX_TX_ROWS: one commit each). */
export const MERGE_ROWS = 50_000;
/** Bytes of row text merged into one transaction at most (SQLite's json_each holds a parse tree of it). */
export const MERGE_BYTES = 8 << 20;
/**
 * Rows of the first transaction for a table this operator does not know yet (not created, or not read since the
 * start), on the ring path as in the start replay's first pass: a new table's columns are inferred from every row
 * of that transaction (EdgeLake's get_column_types reads the whole file), which at MERGE_ROWS took 6-7% of the
 * operator in the ingest profile (bench/README.md), more than one commit more costs.
 */
export const NEW_TABLE_ROWS = 20_000;

export async function drainRing(fctx: ApplyContext, ctx: ActorContext<OperatorIn>, name: string): Promise<void> {
  const ring = ctx.ring<IngestFrame>(name);
  if (!ring) return;
  for (const g of await applyFrames(fctx, ring))
    ctx.send(ctx.self, { type: 'operator.catchup', dbms: g.dbms, table: g.table });
  if (ring.used() > 0) ctx.send(ctx.self, { type: 'operator.drain', ring: name, hasData: true });
  else armRing(ctx, name, 'operator.drain', 1000);
}

/** A rows frame as a part; its rows when it carries them (exactOptionalPropertyTypes: no `rows: undefined`). */
function partRefOf(f: RowsFrame): PartRef {
  const { t: _t, dbms: _d, table: _tb, ...part } = f;
  return part;
}

/**
 * Pops up to 64 frames and applies them, merged per table into transactions; returns the tables whose frames left
 * journal entries behind (leftBehind: to catch up now).
 */
export async function applyFrames(
  fctx: ApplyContext,
  ring: Pick<Ring<IngestFrame>, 'pop'>,
): Promise<{ dbms: string; table: string }[]> {
  // Frames that queued up while the last transaction ran are merged per table: one transaction
  // (one fsync) for all of them, so a busy operator catches up with bigger, cheaper commits.
  // Frames are popped one by one (not drained 64 at once): with ~512 KB frames of a large PUT, 64 decoded
  // frames held 30-60 MB in this worker; now at most one group of MERGE_ROWS / MERGE_BYTES waits to be applied.
  const byTable = new Map<
    string,
    { dbms: string; table: string; parts: PartRef[]; rows: number; bytes: number; maxRows: number }
  >();
  const now = Date.now();
  for (let n = 0; n < 64; n++) {
    const f = ring.pop();
    if (f === undefined) break;
    // A table in backoff: its frames stay in the journal (durable), the retry takes them from there.
    if (fctx.retries.waiting(f.dbms, f.table, now)) continue;
    const k = `${f.dbms}\u0000${f.table}`;
    const parts: PartRef[] = f.t === 'batch' ? f.parts : [partRefOf(f)];
    const rows = parts.reduce((n, p) => n + p.count, 0);
    const bytes = parts.reduce((n, p) => n + p.bytes, 0);
    let g = byTable.get(k);
    // The group is applied before this frame would take it past a bound, not after: past MERGE_ROWS the apply
    // split off a second, small transaction (a commit and an fsync for a few thousand rows).
    if (!g || (g.parts.length > 0 && (g.rows + rows > g.maxRows || g.bytes + bytes > MERGE_BYTES))) {
      // A failure leaves the rows pending in the journal and the table in backoff (apply.ts, retry.ts).
      if (g) await applyTracked(fctx, g.dbms, g.table, g.parts);
      const known = fctx.catalog.get(f.dbms)?.tables.has(f.table) ?? false;
      g = { dbms: f.dbms, table: f.table, parts: [], rows: 0, bytes: 0, maxRows: known ? MERGE_ROWS : NEW_TABLE_ROWS };
      byTable.set(k, g);
    }
    g.parts.push(...parts);
    g.rows += rows;
    g.bytes += bytes;
  }
  const behind: { dbms: string; table: string }[] = [];
  for (const g of byTable.values()) {
    await applyTracked(fctx, g.dbms, g.table, g.parts);
    if (leftBehind(fctx, g.dbms, g.table, g.parts)) behind.push({ dbms: g.dbms, table: g.table });
  }
  return behind;
}

/** One slice (MERGE_ROWS / MERGE_BYTES) of a table's catch-up per message, so other messages are served between. */
export async function catchUp(
  fctx: ApplyContext,
  ctx: ActorContext<OperatorIn>,
  only: { dbms: string; table: string },
): Promise<void> {
  if (fctx.retries.waiting(only.dbms, only.table, Date.now())) return;
  // The last slice's Buffers go before the next is read (runtime/gc.ts: else the arena grows by tens of MB).
  collectGarbage();
  const out = await reconcile(fctx, { graceMs: 0, maxRows: MERGE_ROWS, maxBytes: MERGE_BYTES, only });
  if (out.more && out.rows > 0) ctx.send(ctx.self, { type: 'operator.catchup', ...only });
  else collectGarbage();
}
