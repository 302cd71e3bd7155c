// The durable ingest journal (LMDB through lmdb-js): every row accepted from the network is
// appended here, and the append is durable before the sender is acknowledged.
//
// Keys: entries    [dbms, table, stream, seq]  -> { rows: UTF-8 bytes of a JSON array text, count, keys, at,
//                                                  repeatedKeys? }
//       counters   [dbms, table, stream]       -> last seq given out
//       marks      [stream, source]            -> the source's position journaled so far (text)
// A `stream` is one producer (an actor id: `rest-server`, `msg-client-1`...); only that actor appends
// to it, so it numbers its entries itself, per table, without coordination. The entry and its
// counter are put in the same event turn, which lmdb-js commits as one transaction (group commit:
// every put of that turn, from every request, shares one commit and one fsync).
// The operator applies entries in seq order per (table, stream) and records the last applied seq
// in the target database in the same transaction as the rows (storage/dbms: `write`); entries at or
// below that position are then trimmed. On start, whatever is above the recorded position is replayed.
// Marks make a re-delivering source idempotent: a Kafka consumer writes `topic/partition -> last offset`
// in the same transaction as the entries of those records (`appendBatch`), so after a crash between the
// commit here and the commit of its offsets to the broker it skips what the journal already holds.
// Marks are never trimmed (one small key per source partition).
// Visibility: an entry is visible (to keys, scan, get, range, pending: the operator and the tests) only at or below
// its counter. Every append puts the entry and the counter in one transaction, so for them that is always so; a
// body too large to hold is written in pieces above the counter of a lane of its own (staged.ts), and the last
// transaction moves the counter over all of them with the last piece: the body becomes visible at once, and a
// crash before that leaves only invisible entries, which the writer drops when it starts again.
import { extname, join } from 'node:path';
import { open, type Database, type RootDatabase } from 'lmdb';
import { DbmsError, errorMessage } from '../../base/errors.js';
import { releaseMapped, type MapRelease } from './map-release.js';
import { StagedAppend } from './staged.js';

// Rows are stored as bytes (msgpack bin: copied, never re-encoded); a journal written before held strings,
// which are read back as their UTF-8 bytes.
const bytesOf = (rows: string | Uint8Array): Uint8Array =>
  typeof rows === 'string' ? Buffer.from(rows, 'utf8') : rows;
const readBack = <V extends { rows: string | Uint8Array }>(v: V): V & { rows: Uint8Array } => ({
  ...v,
  rows: bytesOf(v.rows),
});

export interface JournalEntry {
  dbms: string;
  table: string;
  stream: string;
  seq: number;
  /** UTF-8 bytes of the JSON array text of row objects (protocols/frames/json-bytes.ts). */
  rows: Uint8Array;
  count: number;
  /** Union of the rows' keys, in first-seen order (lets the operator skip parsing known shapes). */
  keys: string[];
  /** Append time, ms since epoch. */
  at: number;
  /**
   * Whether a row names a top-level key twice, as the producer found (the REST door's scan, rows-scan.ts; rows
   * serialised from objects, which cannot). `false` lets the SQLite writer skip its repeated-key walk
   * (protocols/frames/repeated-keys.ts); absent (not known: an entry journaled before this field existed, or by a
   * producer that does not look) means the rows are walked. Stored only when known.
   */
  repeatedKeys?: boolean | undefined;
}

type EntryKey = [string, string, string, number];
type CounterKey = [string, string, string];
type StoredEntry = Pick<JournalEntry, 'count' | 'keys' | 'at'> & {
  rows: string | Uint8Array;
  repeatedKeys?: boolean;
};

/** The stored value of an entry: `repeatedKeys` only when known (an older reader ignores it; absent reads as walk). */
function stored(e: JournalEntry): StoredEntry {
  const v: StoredEntry = { rows: e.rows, count: e.count, keys: e.keys, at: e.at };
  if (e.repeatedKeys !== undefined) v.repeatedKeys = e.repeatedKeys;
  return v;
}
type MarkKey = [string, string];

/** Rows of one dbms.table for `JournalWriter.appendBatch`. */
export interface AppendGroup {
  dbms: string;
  table: string;
  /** JSON array text, as bytes (or a string, encoded here). */
  rows: string | Uint8Array;
  count: number;
  keys: string[];
  /** JournalEntry `repeatedKeys`: absent when not known. */
  repeatedKeys?: boolean | undefined;
}

export class Journal {
  private readonly root: RootDatabase;
  private readonly entries: Database<StoredEntry, EntryKey>;
  private readonly counters: Database<number, CounterKey>;
  private readonly marks: Database<string, MarkKey>;
  private closed = false;

  private constructor(readonly path: string) {
    try {
      this.root = open({ path, maxDbs: 4 });
      this.entries = this.root.openDB<StoredEntry, EntryKey>({ name: 'entries' });
      this.counters = this.root.openDB<number, CounterKey>({ name: 'counters' });
      this.marks = this.root.openDB<string, MarkKey>({ name: 'marks' });
    } catch (err) {
      throw new DbmsError(`journal: cannot open ${path}: ${errorMessage(err)}`, { cause: err });
    }
  }

  static open(path: string): Journal {
    return new Journal(path);
  }

  /** A writer for one stream; only one writer per stream may exist at a time. */
  writer(stream: string): JournalWriter {
    return new JournalWriter(this, stream);
  }

  /** @internal used by JournalWriter; also the last visible seq of (dbms, table, stream). */
  lastSeq(dbms: string, table: string, stream: string): number {
    return this.counters.get([dbms, table, stream]) ?? 0;
  }

  /**
   * Visibility of keys in key order: true at or below the counter. The counter is read once per (dbms, table,
   * stream) of a pass: a newer counter than the pass's snapshot only shows entries already committed, an older one
   * hides an entry until the next pass; neither shows a staged entry.
   */
  private visibleFilter(): (dbms: string, table: string, stream: string, seq: number) => boolean {
    let last = '';
    let top = 0;
    return (dbms, table, stream, seq) => {
      const k = `${dbms}\u0000${table}\u0000${stream}`;
      if (k !== last) {
        last = k;
        top = this.lastSeq(dbms, table, stream);
      }
      return seq <= top;
    };
  }

  /** @internal used by StagedAppend (staged.ts): one entry above its counter (invisible); resolves when committed. */
  putStaged(e: JournalEntry): Promise<boolean> {
    return this.entries.put([e.dbms, e.table, e.stream, e.seq], stored(e));
  }

  /** @internal used by StagedAppend: removes staged entries from..to of a lane (never visible ones). */
  async dropRange(dbms: string, table: string, stream: string, from: number, to: number): Promise<number> {
    const removals: Promise<boolean>[] = [];
    const top = this.lastSeq(dbms, table, stream);
    for (const key of this.entries.getKeys({
      start: [dbms, table, stream, Math.max(from, top + 1)],
      end: [dbms, table, stream, to + 1],
    }))
      removals.push(this.entries.remove(key));
    await Promise.all(removals);
    return removals.length;
  }

  /**
   * Removes every staged entry (above its counter) of the streams `isLane` accepts: the pieces of bodies a crash cut
   * off before their last transaction (never acknowledged). Keys only; one pass over the journal.
   */
  async dropStaged(isLane: (stream: string) => boolean): Promise<number> {
    const visible = this.visibleFilter();
    const removals: Promise<boolean>[] = [];
    for (const key of this.entries.getKeys({})) {
      const [dbms, table, stream, seq] = key;
      if (isLane(stream) && !visible(dbms, table, stream, seq)) removals.push(this.entries.remove(key));
    }
    await Promise.all(removals);
    return removals.length;
  }

  /** @internal used by JournalWriter: both puts land in this turn's transaction. */
  put(e: JournalEntry): Promise<boolean> {
    const a = this.entries.put([e.dbms, e.table, e.stream, e.seq], stored(e));
    const b = this.counters.put([e.dbms, e.table, e.stream], e.seq);
    return Promise.all([a, b]).then(() => this.root.flushed);
  }

  /**
   * @internal used by JournalWriter: entries, their counters and the stream's marks in one explicit
   * transaction, so that a mark is durable exactly when the entries it covers are.
   */
  putBatch(es: readonly JournalEntry[], stream: string, marks: Readonly<Record<string, string>>): Promise<void> {
    return this.root
      .transaction(() => {
        for (const e of es) {
          void this.entries.put([e.dbms, e.table, e.stream, e.seq], stored(e));
          void this.counters.put([e.dbms, e.table, e.stream], e.seq);
        }
        for (const [source, value] of Object.entries(marks)) void this.marks.put([stream, source], value);
      })
      .then(() => this.root.flushed)
      .then(() => undefined);
  }

  /** The position last recorded for a source of a stream (`appendBatch` marks). */
  mark(stream: string, source: string): string | undefined {
    return this.marks.get([stream, source]);
  }

  /** Every visible entry, in key order (dbms, table, stream, seq). */
  *scan(): Generator<JournalEntry> {
    const visible = this.visibleFilter();
    for (const { key, value } of this.entries.getRange({})) {
      const [dbms, table, stream, seq] = key;
      if (visible(dbms, table, stream, seq)) yield { dbms, table, stream, seq, ...readBack(value) };
    }
  }

  /** The key of every visible entry, in key order, without reading the rows (cheap: LMDB keys only). */
  *keys(): Generator<{ dbms: string; table: string; stream: string; seq: number }> {
    const visible = this.visibleFilter();
    for (const [dbms, table, stream, seq] of this.entries.getKeys({}))
      if (visible(dbms, table, stream, seq)) yield { dbms, table, stream, seq };
  }

  /**
   * Ends this thread's read snapshot: the next read sees every transaction committed before it. lmdb-js keeps a
   * thread's snapshot until the event loop's next timer phase, so an entry committed (by any thread) after this
   * thread's last read in the same turn is not visible without this; open iterators keep their own snapshot.
   */
  freshRead(): void {
    this.root.resetReadTxn();
  }

  /** One visible entry, or undefined when it was trimmed meanwhile (or is staged). */
  get(dbms: string, table: string, stream: string, seq: number): JournalEntry | undefined {
    if (seq > this.lastSeq(dbms, table, stream)) return undefined;
    const v = this.entries.get([dbms, table, stream, seq]);
    return v ? { dbms, table, stream, seq, ...readBack(v) } : undefined;
  }

  /**
   * Visible entries of one (dbms, table, stream) with from <= seq <= to, read one at a time as the caller iterates:
   * a caller that stops early (the operator's gap fill, capped per transaction) never reads the rest.
   */
  *range(dbms: string, table: string, stream: string, from: number, to: number): Generator<JournalEntry> {
    const top = Math.min(to, this.lastSeq(dbms, table, stream));
    for (const { key, value } of this.entries.getRange({
      start: [dbms, table, stream, from],
      end: [dbms, table, stream, top + 1],
    })) {
      yield { dbms, table, stream, seq: key[3], ...readBack(value) };
    }
  }

  /** Removes entries of (dbms, table, stream) with seq <= upTo (they are in the database). */
  async trim(dbms: string, table: string, stream: string, upTo: number): Promise<number> {
    let n = 0;
    const removals: Promise<boolean>[] = [];
    for (const key of this.entries.getKeys({ start: [dbms, table, stream, 0], end: [dbms, table, stream, upTo + 1] })) {
      removals.push(this.entries.remove(key));
      n++;
    }
    await Promise.all(removals);
    return n;
  }

  /** Entries and rows not yet trimmed (for `get streaming` and tests). */
  pending(): { entries: number; rows: number } {
    const visible = this.visibleFilter();
    let entries = 0;
    let rows = 0;
    for (const { key, value } of this.entries.getRange({})) {
      if (!visible(...key)) continue;
      entries++;
      rows += value.count;
    }
    return { entries, rows };
  }

  /** The LMDB data file: `<path>/data.mdb`, or `path` itself when it names a file (lmdb-js `noSubdir`). */
  get dataFile(): string {
    return extname(this.path) ? this.path : join(this.path, 'data.mdb');
  }

  /**
   * Gives back this process's resident pages of the journal's map (map-release.ts): what readers touched, a read-back
   * body or a backlog, stays in RSS otherwise. Safe at any time while open, with reads and writes going on in any
   * thread: the pages stay in the page cache and the next read faults the same bytes back.
   */
  releaseMapped(): MapRelease {
    // Open, this thread's reference keeps LMDB's maps mapped until the call returns (map-release.ts says why).
    if (this.closed) throw new DbmsError(`journal ${this.path} is closed`);
    return releaseMapped(this.dataFile);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.root.close();
  }
}

/** The lanes of a writer's stream (staged.ts): `<stream>+<n>`. */
const laneOf = (stream: string, n: number): string => `${stream}+${n}`;

export class JournalWriter {
  private readonly last = new Map<string, number>();
  /** Lanes held by a staged body now. */
  private readonly lanes = new Set<number>();

  constructor(
    private readonly journal: Journal,
    readonly stream: string,
  ) {}

  /**
   * Appends one batch of rows for dbms.table. The seq is assigned at once; the promise resolves
   * when the entry is durable (committed and flushed), which is when the sender may be acknowledged.
   */
  append(
    dbms: string,
    table: string,
    rows: string | Uint8Array,
    count: number,
    keys: string[],
    /** JournalEntry `repeatedKeys` (undefined: not known, walked). */
    repeatedKeys?: boolean,
  ): { entry: JournalEntry; durable: Promise<void> } {
    const k = `${dbms}\u0000${table}`;
    const seq = (this.last.get(k) ?? this.journal.lastSeq(dbms, table, this.stream)) + 1;
    this.last.set(k, seq);
    const entry: JournalEntry = {
      dbms,
      table,
      stream: this.stream,
      seq,
      rows: bytesOf(rows),
      count,
      keys,
      at: Date.now(),
      repeatedKeys,
    };
    const durable = this.journal.put(entry).then(
      () => undefined,
      (err: unknown) => {
        throw new DbmsError(`journal append ${dbms}.${table} failed: ${errorMessage(err)}`, {
          cause: err,
          retriable: true,
        });
      },
    );
    return { entry, durable };
  }

  /**
   * Appends one entry per group and records the marks (source -> position), all in one transaction:
   * after a crash either all of them are in the journal or none is. Resolves when durable.
   */
  appendBatch(
    groups: readonly AppendGroup[],
    marks: Readonly<Record<string, string>>,
  ): { entries: JournalEntry[]; durable: Promise<void> } {
    const at = Date.now();
    const entries = groups.map((g) => {
      const k = `${g.dbms}\u0000${g.table}`;
      const seq = (this.last.get(k) ?? this.journal.lastSeq(g.dbms, g.table, this.stream)) + 1;
      this.last.set(k, seq);
      const rows = bytesOf(g.rows);
      return {
        dbms: g.dbms,
        table: g.table,
        stream: this.stream,
        seq,
        rows,
        count: g.count,
        keys: g.keys,
        at,
        repeatedKeys: g.repeatedKeys,
      };
    });
    const durable = this.journal.putBatch(entries, this.stream, marks).catch((err: unknown) => {
      throw new DbmsError(`journal append of ${entries.length} entries failed: ${errorMessage(err)}`, {
        cause: err,
        retriable: true,
      });
    });
    return { entries, durable };
  }

  /**
   * A body of dbms.table journaled in pieces (staged.ts), on the lowest lane no other body holds now; visible only
   * when committed.
   */
  stage(dbms: string, table: string): StagedAppend {
    let n = 1;
    while (this.lanes.has(n)) n++;
    this.lanes.add(n);
    return new StagedAppend(this.journal, dbms, table, laneOf(this.stream, n), () => this.lanes.delete(n));
  }

  /** Removes the staged pieces a crash left on this stream's lanes (call once at start, before any `stage`). */
  dropStaged(): Promise<number> {
    const prefix = laneOf(this.stream, 0).slice(0, -1);
    return this.journal.dropStaged((s) => s.startsWith(prefix) && /^\d+$/.test(s.slice(prefix.length)));
  }

  /** The position this stream last recorded for `source` (undefined: never). */
  mark(source: string): string | undefined {
    return this.journal.mark(this.stream, source);
  }
}
