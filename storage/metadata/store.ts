// The ledger in LMDB (lmdb-js): every line of blockchain.json as a record, with indexes, readable from any thread.
//
// Databases (one environment, `<blockchain dir>/ledger.mdb`):
//   records  seq (uint, file order)       -> { line, type, id }     every line, deletion records included
//   ids      policy id                     -> seq                    live policies only
//   types    policy type            (dup)  -> seq                    live policies; `deleted` for deletion records
//   fields   [type, key, value]     (dup)  -> seq                    live policies: each top-level scalar value,
//                                                                   each scalar of a list, and `dbms.name` of each
//                                                                   {dbms, name} entry of a list (cluster tables);
//                                                                   values lower-cased text, at most 200 chars
//   meta     name                          -> value                  `md5` of the file these records mirror, `next`
//                                                                   seq, `master` (version of the last ledger taken
//                                                                   from the master)
// The main thread is the only writer (storage/metadata/ledger.ts); every change is one synchronous transaction, so
// a reader in another thread (opened with `readOnly`) sees either the old ledger or the new one.
// Parsed policies are cached per seq (a record's line never changes under a seq: a replaced policy gets a new seq).
import { open, type Database, type RootDatabase } from 'lmdb';
import { DbmsError, errorMessage } from '../../base/errors.js';
import { policyType } from '../../protocols/policy/id.js';
import { pyStr } from '../../protocols/policy/pyrepr.js';
import { isDict, parsePolicy, type Policy, type PyValue } from '../../protocols/policy/pyvalue.js';

export interface LedgerRecord {
  line: string;
  type: string;
  /** The policy's `id` ('' when it has none). */
  id: string;
}

type FieldKey = [string, string, string];
const MAX_FIELD = 200;

/** The index entries of a policy: [type, key, value]. */
export function fieldKeys(policy: Policy): FieldKey[] {
  const type = policyType(policy);
  const inner = type === undefined ? undefined : policy.get(type);
  if (type === undefined || !isDict(inner)) return [];
  const out: FieldKey[] = [];
  const add = (key: string, v: PyValue): void => {
    if (v === null || isDict(v) || Array.isArray(v)) return;
    const text = pyStr(v).toLowerCase();
    if (text.length <= MAX_FIELD) out.push([type, key, text]);
  };
  for (const [key, v] of inner) {
    if (!Array.isArray(v)) {
      add(key, v);
      continue;
    }
    for (const e of v) {
      if (!isDict(e)) add(key, e);
      else if (e.has('dbms') && e.has('name')) add(key, `${pyStr(e.get('dbms')!)}.${pyStr(e.get('name')!)}`);
    }
  }
  return out;
}

export class LedgerStore {
  private readonly root: RootDatabase;
  private readonly records: Database<LedgerRecord, number>;
  private readonly ids: Database<number, string>;
  private readonly types: Database<number, string>;
  private readonly fields: Database<number, FieldKey>;
  private readonly meta: Database<string | number, string>;
  private readonly cache = new Map<number, { line: string; policy: Policy }>();

  private constructor(
    readonly path: string,
    readOnly: boolean,
  ) {
    try {
      this.root = open({ path, maxDbs: 8, readOnly });
      this.records = this.root.openDB<LedgerRecord, number>({ name: 'records' });
      this.ids = this.root.openDB<number, string>({ name: 'ids' });
      this.types = this.root.openDB<number, string>({ name: 'types', dupSort: true });
      this.fields = this.root.openDB<number, FieldKey>({ name: 'fields', dupSort: true });
      this.meta = this.root.openDB<string | number, string>({ name: 'meta' });
    } catch (err) {
      throw new DbmsError(`ledger: cannot open ${path}: ${errorMessage(err)}`, { cause: err });
    }
  }

  /** Opens (creating when writable) the store. Workers pass `readOnly`. */
  static open(path: string, opts: { readOnly?: boolean } = {}): LedgerStore {
    return new LedgerStore(path, opts.readOnly ?? false);
  }

  close(): Promise<void> {
    return this.root.close();
  }

  getMeta(name: string): string | number | undefined {
    return this.meta.get(name);
  }

  /** The md5 of the file the records mirror ('' when never written). */
  md5(): string {
    const v = this.meta.get('md5');
    return typeof v === 'string' ? v : '';
  }

  /** Every record in file order (deletion records included). */
  allRecords(): LedgerRecord[] {
    return [...this.records.getRange()].map((e) => e.value);
  }

  /** Number of live policies. */
  count(): number {
    return this.ids.getCount();
  }

  private parsed(seq: number, rec: LedgerRecord): Policy {
    const hit = this.cache.get(seq);
    if (hit && hit.line === rec.line) return hit.policy;
    const policy = parsePolicy(rec.line);
    this.cache.set(seq, { line: rec.line, policy });
    return policy;
  }

  private policiesAt(seqs: Iterable<number>): Policy[] {
    const out: Policy[] = [];
    for (const seq of [...new Set(seqs)].sort((a, b) => a - b)) {
      const rec = this.records.get(seq);
      if (rec && rec.type !== 'deleted') out.push(this.parsed(seq, rec));
    }
    return out;
  }

  /**
   * Live policies in ledger order, all of them or those of the given types. Callers must not modify them (they
   * are shared through the cache).
   */
  policies(types?: readonly string[]): Policy[] {
    if (types === undefined) {
      const out: Policy[] = [];
      for (const { key, value } of this.records.getRange())
        if (value.type !== 'deleted') out.push(this.parsed(key, value));
      return out;
    }
    return this.policiesAt(types.flatMap((t) => [...this.types.getValues(t)]));
  }

  /** Are there records of this type (`deleted` included)? */
  hasType(type: string): boolean {
    return this.types.getValuesCount(type) > 0;
  }

  /** The live policy with this id. */
  byId(id: string): Policy | undefined {
    const seq = this.ids.get(id);
    if (seq === undefined) return undefined;
    const rec = this.records.get(seq);
    return rec ? this.parsed(seq, rec) : undefined;
  }

  /** Live policies of `type` whose `key` holds `value` (case-insensitive text; lists by entry; see fieldKeys). */
  find(type: string, key: string, value: string): Policy[] {
    return this.policiesAt(this.fields.getValues([type, key, value.toLowerCase()]));
  }

  private index(seq: number, rec: LedgerRecord): void {
    this.records.put(seq, rec);
    this.types.put(rec.type, seq);
    if (rec.type === 'deleted') return;
    if (rec.id !== '') this.ids.put(rec.id, seq);
    for (const k of fieldKeys(this.parsed(seq, rec))) this.fields.put(k, seq);
  }

  private unindex(seq: number): void {
    const rec = this.records.get(seq);
    if (!rec) return;
    this.records.remove(seq);
    this.types.remove(rec.type, seq);
    this.cache.delete(seq);
    if (rec.type === 'deleted') return;
    if (rec.id !== '' && this.ids.get(rec.id) === seq) this.ids.remove(rec.id);
    for (const k of fieldKeys(parsePolicy(rec.line))) this.fields.remove(k, seq);
  }

  private nextSeq(): number {
    const n = this.meta.get('next');
    return typeof n === 'number' ? n : 1;
  }

  /** Replaces everything with these records (file order), recording the file's md5. */
  replaceAll(records: readonly LedgerRecord[], md5: string, extra: Record<string, string | number> = {}): void {
    this.root.transactionSync(() => {
      this.records.clearSync();
      this.ids.clearSync();
      this.types.clearSync();
      this.fields.clearSync();
      this.cache.clear();
      let seq = 1;
      for (const r of records) {
        // A deletion record cancels the live policy before it (a file EdgeLake wrote keeps both lines).
        if (r.type === 'deleted' && r.id !== '') {
          const at = this.ids.get(r.id);
          if (at !== undefined) this.unindex(at);
        }
        this.index(seq++, r);
      }
      this.meta.put('next', seq);
      this.meta.put('md5', md5);
      for (const [k, v] of Object.entries(extra)) this.meta.put(k, v);
    });
  }

  /**
   * One transaction: removes the live policies of `removeIds`, replaces live policies in place (same position in
   * the ledger) and appends records.
   */
  change(
    change: { append?: readonly LedgerRecord[]; remove?: readonly string[]; replace?: readonly LedgerRecord[] },
    md5: string,
  ): void {
    this.root.transactionSync(() => {
      for (const id of change.remove ?? []) {
        const seq = this.ids.get(id);
        if (seq !== undefined) this.unindex(seq);
      }
      for (const r of change.replace ?? []) {
        const seq = this.ids.get(r.id);
        if (seq === undefined) continue;
        this.unindex(seq);
        this.index(seq, r);
      }
      const append = change.append ?? [];
      let seq = this.nextSeq();
      for (const r of append) this.index(seq++, r);
      this.meta.put('next', seq);
      this.meta.put('md5', md5);
    });
  }

  setMeta(name: string, value: string | number): void {
    this.meta.putSync(name, value);
  }
}
