// What every ingest source (REST, msg clients, Kafka, gRPC) does with rows it accepted:
// append them to the durable journal under its own stream (its actor id), wait for the commit,
// and only then acknowledge the sender; then name the entry to the streamer through the ring (the rows stay in
// the journal: the operator reads them there, protocols/frames/ingest.ts).
// A full or absent ring is fine: the entry is durable and the operator replays it from the journal.
// Text is made well-formed here, the one door every source goes through: a lone UTF-16 surrogate
// becomes U+FFFD (protocols/format/unicode.ts), so nothing is stored that cannot be read back.
// Rows travel as the UTF-8 bytes of their JSON array text (protocols/frames/json-bytes.ts): a REST body's
// bytes are journaled as they came when they are well-formed.
// Each entry says whether a row names a key twice when that is known (journal.ts `repeatedKeys`): the REST door's
// scan found it, rows serialised from objects cannot; the SQLite writer then skips its repeated-key walk.
import type { ActorContext } from '../../runtime/actor.js';
import type { IngestFrame } from '../../protocols/frames/ingest.js';
import type { Ring } from '../../runtime/ring.js';
import { Journal, type AppendGroup, type JournalEntry, type JournalWriter } from '../../storage/journal/journal.js';
import type { StagedAppend } from '../../storage/journal/staged.js';
import { wellFormed, wellFormedJson } from '../../protocols/format/unicode.js';
import { wellFormedBytes } from '../../protocols/frames/json-bytes.js';
import { isReservedTableName, reservedTableMessage } from '../../storage/schema/names.js';
import { ProtocolError } from '../../base/errors.js';
import { Status } from '../../base/status.js';

export const STREAMER_RING = 'streamer';

/**
 * The frame that names a durable journal entry, without its rows. Pushed only while the names of its keys fit a
 * fraction of the ring (a body with thousands of distinct keys is left to the journal replay, as a full ring is).
 */
function pushEntry(ring: Ring<IngestFrame> | undefined, e: JournalEntry): void {
  if (!ring) return;
  let size = 256;
  for (const k of e.keys) size += 5 + 3 * k.length;
  if (size >= ring.maxRecordBytes() / 2) return;
  const { dbms, table, stream, seq, count, keys, at } = e;
  ring.push({ t: 'rows', dbms, table, stream, seq, count, bytes: e.rows.length, keys, at });
}

/** JSON text of rows; BigInt values (int64 beyond 2^53) are written as exact integers. */
export function rowsJson(rows: readonly Record<string, unknown>[]): string {
  let big = false;
  const text = JSON.stringify(rows, (_k, v: unknown) => {
    if (typeof v === 'bigint') {
      big = true;
      return `\u0000big:${v.toString()}\u0000`;
    }
    return v;
  });
  return wellFormedJson(big ? text.replace(/"\\u0000big:(-?\d+)\\u0000"/g, '$1') : text);
}

/**
 * The journal's `repeatedKeys` for a piece the door scanned (storage/journal/journal.ts): what the scan said, unless
 * wellFormedBytes changed the bytes (two keys can become one, `"\ud800"` and `"\ufffd"`), or the scan did not say.
 */
function repeatsAfter(scanned: Uint8Array, stored: Uint8Array, repeats: boolean | undefined): boolean | undefined {
  const same =
    stored.buffer === scanned.buffer &&
    stored.byteOffset === scanned.byteOffset &&
    stored.byteLength === scanned.byteLength;
  return same ? repeats : undefined;
}

/** Rows for an engine's own tables (`sqlite_master`...) are refused before they are journaled. */
function assertTableAllowed(table: string): void {
  if (isReservedTableName(table))
    throw new ProtocolError(reservedTableMessage(table), { code: Status.CommandStructure });
}

/**
 * The rows' keys, and the journal's `repeatedKeys` for their JSON text (rowsJson): false, since an object's keys are
 * distinct and JSON.stringify writes each once; not known when making a key well-formed changed it (two keys can
 * become one: `"\ud800"` and `"\ufffd"`).
 */
function keysOf(rows: readonly Record<string, unknown>[]): { keys: string[]; repeatedKeys: false | undefined } {
  const keys = new Set<string>();
  let changed = false;
  for (const r of rows)
    for (const k in r) {
      const w = wellFormed(k);
      if (w !== k) changed = true;
      keys.add(w);
    }
  return { keys: [...keys], repeatedKeys: changed ? undefined : false };
}

export class RowProducer {
  private readonly journal: Journal;
  private readonly writer: JournalWriter;

  constructor(private readonly ctx: ActorContext) {
    this.journal = Journal.open(ctx.node.dirs['journal_dir']!);
    this.writer = this.journal.writer(ctx.self);
  }

  /**
   * Makes the rows of one dbms.table durable; resolves when they are (acknowledge after this).
   * Rows of several tables from one message: call once per table, await all.
   */
  async submit(dbms: string, table: string, rows: readonly Record<string, unknown>[]): Promise<JournalEntry> {
    const t0 = performance.now();
    assertTableAllowed(table);
    const { keys, repeatedKeys } = keysOf(rows);
    const text = Buffer.from(rowsJson(rows), 'utf8');
    const { entry, durable } = this.writer.append(dbms, table, text, rows.length, keys, repeatedKeys);
    await durable;
    this.counted([{ dbms, table, count: rows.length }], t0);
    pushEntry(this.ctx.ring<IngestFrame>(STREAMER_RING), entry);
    return entry;
  }

  /**
   * Rows of one dbms.table in pieces, each the UTF-8 bytes of a JSON array text with its count and keys (a REST
   * body, read in bounded chunks): one journal entry per piece, all in one transaction (none is durable unless
   * all are); resolves when durable.
   */
  async submitPieces(dbms: string, table: string, pieces: readonly RowsPiece[]): Promise<void> {
    assertTableAllowed(table);
    const batch: AppendGroup[] = pieces.map((p) => {
      const rows = wellFormedBytes(p.bytes);
      const repeatedKeys = repeatsAfter(p.bytes, rows, p.repeats);
      return { dbms, table, rows, count: p.count, keys: p.keys.map(wellFormed), repeatedKeys };
    });
    const t0 = performance.now();
    const { entries, durable } = this.writer.appendBatch(batch, {});
    await durable;
    this.counted(batch, t0);
    const ring = this.ctx.ring<IngestFrame>(STREAMER_RING);
    for (const entry of entries) pushEntry(ring, entry);
  }

  /**
   * A body of one dbms.table too large to hold (a REST PUT of many pieces): each piece is journaled as it comes,
   * invisible, and the last one makes them all visible in one transaction (storage/journal/staged.ts).
   */
  stage(dbms: string, table: string): StagedRows {
    assertTableAllowed(table);
    return new StagedRows(this.writer.stage(dbms, table), (entry, count, t0) => {
      this.counted([{ dbms, table, count }], t0);
      // The last piece names the body: the operator fills the rest from the journal, a bounded slice per
      // transaction (actors/operator/apply.ts).
      pushEntry(this.ctx.ring<IngestFrame>(STREAMER_RING), entry);
    });
  }

  /** Removes the pieces of bodies a crash cut off before their last transaction (at start, before any `stage`). */
  dropStaged(): Promise<number> {
    return this.writer.dropStaged();
  }

  /**
   * Groups mapped rows by dbms.table and submits each group; resolves when all are durable.
   * With `marks` (source -> position, e.g. `topic/partition` -> last offset), the entries and the marks
   * are written in one transaction: a source that re-delivers after a crash reads `mark()` to skip
   * what is already here (storage/journal/journal.ts).
   */
  async submitMany(
    rows: readonly { dbms: string; table: string; row: Record<string, unknown> }[],
    marks?: Readonly<Record<string, string>>,
  ): Promise<number> {
    const groups = new Map<string, { dbms: string; table: string; rows: Record<string, unknown>[] }>();
    for (const r of rows) {
      assertTableAllowed(r.table);
      const k = `${r.dbms}\u0000${r.table}`;
      let g = groups.get(k);
      if (!g) groups.set(k, (g = { dbms: r.dbms, table: r.table, rows: [] }));
      g.rows.push(r.row);
    }
    if (marks === undefined) {
      await Promise.all([...groups.values()].map((g) => this.submit(g.dbms, g.table, g.rows)));
      return rows.length;
    }
    const batch: AppendGroup[] = [...groups.values()].map((g) => ({
      dbms: g.dbms,
      table: g.table,
      rows: Buffer.from(rowsJson(g.rows), 'utf8'),
      count: g.rows.length,
      ...keysOf(g.rows),
    }));
    const t0 = performance.now();
    const { entries, durable } = this.writer.appendBatch(batch, marks);
    await durable;
    this.counted(batch, t0);
    const ring = this.ctx.ring<IngestFrame>(STREAMER_RING);
    for (const entry of entries) pushEntry(ring, entry);
    return rows.length;
  }

  /** `/metrics`: rows acknowledged per table, and the time the commit (with its fsync) took. */
  private counted(groups: readonly { dbms: string; table: string; count: number }[], t0: number): void {
    const source = this.ctx.self;
    const m = this.ctx.metrics;
    m.observe('edgelake_rt_journal_commit_duration_seconds', { source }, (performance.now() - t0) / 1000);
    for (const g of groups) m.inc('edgelake_rt_rows_ingested_total', { dbms: g.dbms, table: g.table, source }, g.count);
  }

  /** The position last recorded with `submitMany(rows, marks)` for this source (undefined: none). */
  mark(source: string): string | undefined {
    return this.writer.mark(source);
  }

  async close(): Promise<void> {
    await this.journal.close();
  }
}

/** One piece of a staged body: the UTF-8 bytes of a JSON array text, its row count and keys. */
export interface RowsPiece {
  bytes: Uint8Array;
  count: number;
  keys: string[];
  /** Whether a row names a top-level key twice, as the door's scan found; undefined: not known (walked). */
  repeats?: boolean | undefined;
}

/** A body being staged (RowProducer.stage): pieces in, then `commit` with the last one, or `discard`. */
export class StagedRows {
  private rows = 0;

  constructor(
    private readonly staged: StagedAppend,
    private readonly committed: (last: JournalEntry, rows: number, t0: number) => void,
  ) {}

  /** Journals one piece, invisible until `commit`. */
  add(p: RowsPiece): void {
    this.rows += p.count;
    const rows = wellFormedBytes(p.bytes);
    this.staged.stage(rows, p.count, p.keys.map(wellFormed), repeatsAfter(p.bytes, rows, p.repeats));
  }

  /** Undefined, or a promise to wait on before reading more: more than `limit` bytes wait for LMDB. */
  room(limit: number): Promise<void> | undefined {
    return this.staged.room(limit);
  }

  /** The last piece; resolves when the whole body is durable and visible (acknowledge after this). */
  async commit(last: RowsPiece): Promise<void> {
    this.rows += last.count;
    // The commit metric times the last transaction (with its flush), as for one append: not the whole upload.
    const t0 = performance.now();
    const rows = wellFormedBytes(last.bytes);
    const keys = last.keys.map(wellFormed);
    const entry = await this.staged.commit(rows, last.count, keys, repeatsAfter(last.bytes, rows, last.repeats));
    this.committed(entry, this.rows, t0);
  }

  /** Removes the staged pieces (the body failed or was abandoned before its last transaction). */
  discard(): Promise<number> {
    return this.staged.discard();
  }
}
