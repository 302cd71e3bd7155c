// The node's metadata: blockchain.json (file.ts) mirrored in LMDB (store.ts), and what EdgeLake does to it:
//   insertLocal   `blockchain insert ... local = true` (protocols/policy prepareInsert): appended, `ledger: local`
//   push          a policy sent to this node as master (`blockchain push`, member_cmd.py L1272-1320): added, or
//                 replacing this node's own `local` copy of it in place
//   drop          `blockchain drop policy where id = ..` on the master (member_cmd.py L1369-1417)
//   deleteLocal   `blockchain delete policy where id = ..` (member_cmd.py L10236-10325): the policy leaves the ledger
//                 and a deletion record is appended, so the next merge asks the master to drop it too
//   takeMaster    a ledger received from the master (events.py use_new_blockchain_file, blockchain.py
//                 merge_ledgers L958-1190): this node's `local` policies that the master lacks are kept and
//                 returned to be pushed again; its deletion records of policies the master still has are kept
//                 and returned to be dropped again; then json -> .old and the new ledger becomes blockchain.json
//   served        the ledger as this node serves it to its peers as master (events.py blockchain_master_to_node)
// The file is authoritative: at open, a file whose md5 differs from the one the store recorded (edited, replaced,
// or a crash between the file write and the store commit) is loaded again.
// Differences from EdgeLake (on purpose):
//   - merged policies stay `local` until the master's ledger has them; EdgeLake rewrites them `global` before
//     writing the new file, so a policy the master never got (it was down) is lost at the next sync
//   - a deletion removes the policy's line from the file; EdgeLake only appends the deletion record, so a
//     `blockchain reload metadata` brings the deleted policy back
//   - the master serves its policies with `ledger: global`; EdgeLake serves its ledger table, whose rows are the
//     pushed (`global`) copies. A node's own `local` policies the master served as `local` would otherwise be
//     taken as the node's own and pushed back after the master dropped them.
import { copyFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CommandError, ProtocolError } from '../../base/errors.js';
import { completePolicy, policyInner, policyType } from '../../protocols/policy/id.js';
import { prepareInsert, type InsertOptions } from '../../protocols/policy/insert.js';
import { jsonDumps, pyStr } from '../../protocols/policy/pyrepr.js';
import { clone, isDict, parsePolicy, type Policy, type PyDict } from '../../protocols/policy/pyvalue.js';
import {
  appendLedgerLines,
  deletedLine,
  ledgerLines,
  ledgerText,
  md5Hex,
  readLedgerText,
  RunningMd5,
  writeLedgerFile,
} from './file.js';
import { LedgerStore, type LedgerRecord } from './store.js';
import { Status } from '../../base/status.js';

export interface LedgerStats {
  /** Times the metadata was (re)loaded: open, reload, a new ledger from the master. */
  loads: number;
  /** When the metadata last changed (ms since epoch). */
  updatedAt: number | undefined;
  /** Ledgers from the master taken / refused. */
  syncOk: number;
  syncErr: number;
}

export interface MergeResult {
  /** This node's policies the master does not have (to push again), with `ledger: global`. */
  push: Policy[];
  /** Ids this node deleted that the master still has (to drop again). */
  drop: string[];
  policies: number;
}

export type PushOutcome = 'added' | 'replaced' | 'duplicate';

/** Where the store of a ledger file lives. */
export function storePath(file: string): string {
  return join(dirname(file), 'ledger.mdb');
}

function recordOf(line: string): LedgerRecord {
  let policy: Policy;
  try {
    policy = parsePolicy(line);
  } catch (err) {
    throw new ProtocolError(`ledger line is not a JSON object: ${line.slice(0, 120)}`, {
      code: Status.WrongBlockchainStructure,
      cause: err,
    });
  }
  const type = policyType(policy);
  if (type === undefined)
    throw new ProtocolError(`ledger line is not a policy: ${line.slice(0, 120)}`, {
      code: Status.WrongBlockchainStructure,
    });
  const id = policyInner(policy)?.get('id');
  return { line, type, id: id === undefined ? '' : pyStr(id) };
}

const ledgerOf = (p: Policy): string | undefined => {
  const v = policyInner(p)?.get('ledger');
  return typeof v === 'string' ? v : undefined;
};

/** A copy of the policy with `ledger` set (in place when present, else last). */
function withLedger(p: Policy, value: string): Policy {
  const out = clone(p) as Policy;
  (policyInner(out) as PyDict).set('ledger', value);
  return out;
}

/** How long a policy the master took is not pushed again from a ledger copy that lacks it (noteSentToMaster). */
export const SENT_GRACE_MS = 60_000;

export class Ledger {
  readonly store: LedgerStore;
  readonly stats: LedgerStats = { loads: 0, updatedAt: undefined, syncOk: 0, syncErr: 0 };
  private readonly md5 = new RunningMd5();
  private servedCache: { version: string; text: string } | undefined;
  /** Local policies a master took (id -> when), not pushed again by a sync for SENT_GRACE_MS (takeMaster). */
  private readonly sentToMaster = new Map<string, number>();
  private serveId = 0;

  private constructor(readonly file: string) {
    this.store = LedgerStore.open(storePath(file));
    const text = readLedgerText(file);
    this.md5.reset(text);
    if (this.md5.hex() !== (this.store.md5() || '0')) this.loadText(text);
    else this.loaded();
  }

  /** Opens the ledger of `file` (blockchain.json), loading the file into the store when they differ. */
  static open(file: string): Ledger {
    return new Ledger(file);
  }

  close(): Promise<void> {
    return this.store.close();
  }

  private loaded(): void {
    this.stats.loads++;
    this.stats.updatedAt = Date.now();
  }

  private loadText(text: string, extra: Record<string, string> = {}): void {
    const records = ledgerLines(text).map(recordOf);
    this.store.replaceAll(records, this.md5.hex(), extra);
    this.loaded();
  }

  /** `blockchain reload metadata`: the file again, whatever the store holds. */
  reload(): void {
    const text = readLedgerText(this.file);
    this.md5.reset(text);
    this.loadText(text);
  }

  /** md5 of blockchain.json: EdgeLake's Metadata Version ('0' for no ledger). */
  version(): string {
    return this.md5.hex();
  }

  /** The version of the last ledger taken from the master ('0' when none). */
  masterVersion(): string {
    const v = this.store.getMeta('master');
    return typeof v === 'string' && v !== '' ? v : '0';
  }

  /**
   * The md5 a synchronizer sends the master: that of the last ledger taken from it, or '0' (send it all) while this
   * node has changes the master has not confirmed (`local` policies, deletion records), so that the merge runs and
   * sends them again (EdgeLake always sends '0' with `dest = file`).
   */
  syncHash(): string {
    if (this.store.hasType('deleted') || this.policies().some((p) => ledgerOf(p) === 'local')) return '0';
    return this.masterVersion();
  }

  count(): number {
    return this.store.count();
  }

  policies(types?: readonly string[]): Policy[] {
    return this.store.policies(types);
  }

  byId(id: string): Policy | undefined {
    return this.store.byId(id);
  }

  private append(lines: string[]): void {
    appendLedgerLines(this.file, lines);
    for (const l of lines) this.md5.append(`${l}\n`);
  }

  private rewrite(lines: readonly string[]): void {
    const text = ledgerText(lines);
    writeLedgerFile(this.file, text);
    this.md5.reset(text);
  }

  /** `blockchain insert ... local = true`: checked, completed, appended. Returns the stored policy. */
  insertLocal(policy: Policy, opts: InsertOptions): Policy {
    const stored = prepareInsert(policy, this.policies(), opts);
    const line = jsonDumps(stored);
    this.append([line]);
    this.store.change({ append: [recordOf(line)] }, this.md5.hex());
    this.loaded();
    return stored;
  }

  /**
   * A policy pushed to this node as master. Without an id it gets one (and a date). A policy already here is a
   * duplicate, unless this node's copy is `local` and the pushed one is not: the pushed copy replaces it in place.
   */
  push(policy: Policy, now: Date): PushOutcome {
    if (policyType(policy) === undefined || !isDict(policyInner(policy)))
      throw new CommandError(`blockchain push: not a policy: ${jsonDumps(policy).slice(0, 120)}`, {
        code: Status.WrongPolicyStructure,
      });
    const p = completePolicy(policy, now);
    const id = pyStr(policyInner(p)!.get('id')!);
    const line = jsonDumps(p);
    const here = this.byId(id);
    if (here) {
      if (ledgerOf(here) !== 'local' || ledgerOf(p) === 'local') return 'duplicate';
      const lines = this.store.allRecords().map((r) => (r.type !== 'deleted' && r.id === id ? line : r.line));
      this.rewrite(lines);
      this.store.change({ replace: [recordOf(line)] }, this.md5.hex());
      this.loaded();
      return 'replaced';
    }
    this.append([line]);
    this.store.change({ append: [recordOf(line)] }, this.md5.hex());
    this.loaded();
    return 'added';
  }

  /** Removes live policies by id (the master's drop). Returns the ids that were not here. */
  drop(ids: readonly string[]): string[] {
    const missing = ids.filter((id) => !this.byId(id));
    const gone = new Set(ids.filter((id) => !missing.includes(id)));
    if (gone.size === 0) return missing;
    this.rewrite(
      this.store
        .allRecords()
        .filter((r) => r.type === 'deleted' || !gone.has(r.id))
        .map((r) => r.line),
    );
    this.store.change({ remove: [...gone] }, this.md5.hex());
    this.loaded();
    return missing;
  }

  /** `blockchain delete policy where id = ..`: the policy leaves, a deletion record is appended. */
  deleteLocal(id: string): void {
    if (!this.byId(id))
      throw new CommandError(`Error in 'blockchain delete': policy id: '${id}' not available`, {
        code: Status.NeededPolicyNotAvailable,
      });
    const marker = deletedLine(id);
    const lines = this.store
      .allRecords()
      .filter((r) => r.type === 'deleted' || r.id !== id)
      .map((r) => r.line);
    this.rewrite([...lines, marker]);
    this.store.change({ remove: [id], append: [recordOf(marker)] }, this.md5.hex());
    this.loaded();
  }

  /** 1..9, cycling: the n of `blockchain.master_id_<n>.new` on the requester (events.py copy_id_on_master). */
  nextServeId(): number {
    this.serveId = (this.serveId % 9) + 1;
    return this.serveId;
  }

  /** The ledger as served to peers: live policies, `ledger: global`, a line each. */
  served(): string {
    const version = this.version();
    if (this.servedCache?.version === version) return this.servedCache.text;
    const lines = this.policies().map((p) =>
      ledgerOf(p) === 'local' ? jsonDumps(withLedger(p, 'global')) : jsonDumps(p),
    );
    const text = ledgerText(lines);
    this.servedCache = { version, text };
    return text;
  }

  /**
   * A ledger from the master (its file text) becomes this node's, merged with this node's own changes. A ledger
   * that is not a list of policies is refused (ProtocolError 69) and changes nothing.
   */
  /**
   * A local policy the master took (`blockchain insert ... master =` succeeded). A ledger copy the master made
   * before it got the policy can arrive afterwards; pushing the policy again from that copy sent it twice at
   * every start (`blockchain insert` then the first sync), so it is not pushed again for SENT_GRACE_MS.
   */
  noteSentToMaster(id: string, at = Date.now()): void {
    this.sentToMaster.set(id, at);
  }

  takeMaster(text: string, now = Date.now()): MergeResult {
    let incoming: LedgerRecord[];
    try {
      incoming = ledgerLines(text).map(recordOf);
    } catch (err) {
      this.stats.syncErr++;
      throw err;
    }
    if (incoming.length === 0) {
      this.stats.syncErr++;
      throw new ProtocolError('the ledger from the master is empty', { code: Status.EmptyLocalBlockchainFile });
    }
    const seen = new Set<string>();
    const fresh: LedgerRecord[] = [];
    for (const r of incoming) {
      // EdgeLake ignores a policy without an id or with an id seen before (create_policies_index).
      if (r.type === 'deleted' || r.id === '' || seen.has(r.id)) continue;
      seen.add(r.id);
      fresh.push(r);
    }
    const push: Policy[] = [];
    const drop: string[] = [];
    const keep: LedgerRecord[] = [];
    for (const r of this.store.allRecords()) {
      if (r.type === 'deleted') {
        if (seen.has(r.id)) {
          keep.push(r);
          drop.push(r.id);
          seen.delete(r.id);
        }
        continue;
      }
      const p = parsePolicy(r.line);
      if (ledgerOf(p) !== 'local' || seen.has(r.id)) {
        this.sentToMaster.delete(r.id);
        continue;
      }
      keep.push(r);
      const sent = this.sentToMaster.get(r.id);
      if (sent !== undefined && now - sent < SENT_GRACE_MS) continue;
      this.sentToMaster.delete(r.id);
      push.push(withLedger(p, 'global'));
    }
    const result = [...fresh.filter((r) => !drop.includes(r.id)), ...keep];
    if (existsSync(this.file)) copyFileSync(this.file, this.file.replace(/\.json$/, '') + '.old');
    this.rewrite(result.map((r) => r.line));
    this.store.replaceAll(result, this.md5.hex(), { master: md5Hex(text) });
    this.loaded();
    this.stats.syncOk++;
    return { push, drop, policies: this.count() };
  }
}
