// `get consumer [summary|files] [where format = json]` (AnyLog documents the command, not its output: this layout
// is edgelake-rt's, in EdgeLake's table style):
//   summary  Stats: CONSUMER, then Mode|Cluster|Start date|End date|Checks|Last check|Check error, then a row per
//            peer: Member|Name|Address|Listed|Missing|Requested|Fetched|Errors|Last error|Last error time
//            (Listed: the peer's files in the date range; Missing: those this node lacks, at the last check;
//            Requested: files the peer agreed to send; Fetched: requested files now ingested here)
//   files    the files found missing: DBMS|Table|Member|File ID|Hash|File time|Peer|Status|Tries|Error
//            (status missing, requested, fetched or failed; the last 1000 fetched are kept)
// Counters and files are kept on the node (node.stash) so a restarted worker goes on from them.
import { formatTable, pyJson } from '../../protocols/format/table.js';
import type { Member } from '../_shared/ha-members.js';
import type { ConsumerMode } from './config.js';
import type { PeerReport } from './messages.js';

export interface PeerStats {
  id: string;
  member: number;
  name: string;
  address: string;
  listed: number;
  missing: number;
  requested: number;
  fetched: number;
  errors: number;
  lastError: string;
  lastErrorAt: number;
}

export type FileStatus = 'missing' | 'requested' | 'fetched' | 'failed';

export interface WantedFile {
  hash: string;
  dbms: string;
  table: string;
  /** The member that took the file first. */
  member: number;
  fileId: number;
  fileTime: string;
  /** Whom it is asked from. */
  peer: Member;
  status: FileStatus;
  tries: number;
  /** Epoch ms of the last request, 0 before. */
  requestedAt: number;
  /** Epoch ms it was seen ingested here, 0 before. */
  fetchedAt: number;
  error: string;
}

export interface ConsumerSnapshot {
  peers: PeerStats[];
  files: WantedFile[];
  checks: number;
}

const when = (ms: number): string => (ms === 0 ? '' : new Date(ms).toISOString().replace('T', ' ').slice(0, 19));
const PEER_COLUMNS = [
  'Member',
  'Name',
  'Address',
  'Listed',
  'Missing',
  'Requested',
  'Fetched',
  'Errors',
  'Last error',
  'Last error time',
];
const FILE_COLUMNS = ['DBMS', 'Table', 'Member', 'File ID', 'Hash', 'File time', 'Peer', 'Status', 'Tries', 'Error'];

export class ConsumerStats {
  readonly peers = new Map<string, PeerStats>();
  cluster = '';
  start = '';
  end = '';
  checks = 0;
  lastCheck = 0;
  checkError = '';

  static from(s: ConsumerSnapshot | undefined): ConsumerStats {
    const out = new ConsumerStats();
    for (const p of s?.peers ?? []) out.peers.set(p.id, { ...p });
    out.checks = s?.checks ?? 0;
    return out;
  }

  apply(r: PeerReport): void {
    let p = this.peers.get(r.peer.id);
    if (!p) {
      p = { ...r.peer, listed: 0, missing: 0, requested: 0, fetched: 0, errors: 0, lastError: '', lastErrorAt: 0 };
      this.peers.set(r.peer.id, p);
    }
    Object.assign(p, { name: r.peer.name, address: r.peer.address, member: r.peer.member });
    p.listed = r.listed;
    p.missing = r.missing;
    p.requested += r.requested;
    p.fetched += r.fetched;
    p.errors += r.errors;
    if (r.lastError !== undefined) {
      p.lastError = r.lastError;
      p.lastErrorAt = Date.now();
    }
  }

  snapshot(files: Map<string, WantedFile>): ConsumerSnapshot {
    return { peers: [...this.peers.values()].map((p) => ({ ...p })), files: [...files.values()], checks: this.checks };
  }

  summary(format: 'table' | 'json', mode: ConsumerMode): string {
    const head = {
      Mode: mode,
      Cluster: this.cluster,
      'Start date': this.start,
      'End date': this.end,
      Checks: this.checks,
      'Last check': when(this.lastCheck),
      'Check error': this.checkError,
    };
    const peers = [...this.peers.values()].sort((a, b) => a.member - b.member || a.id.localeCompare(b.id));
    const rows = peers.map((p) => [
      p.member,
      p.name,
      p.address,
      p.listed,
      p.missing,
      p.requested,
      p.fetched,
      p.errors,
      p.lastError,
      when(p.lastErrorAt),
    ]);
    if (format === 'json')
      return pyJson({ ...head, Peers: rows.map((r) => Object.fromEntries(PEER_COLUMNS.map((c, i) => [c, r[i]]))) });
    return `\r\n\nStats: CONSUMER${formatTable(Object.keys(head), [Object.values(head)])}${formatTable(PEER_COLUMNS, rows)}`;
  }
}

export function renderFiles(files: Iterable<WantedFile>, format: 'table' | 'json'): string {
  const list = [...files].sort((a, b) => a.fileTime.localeCompare(b.fileTime) || a.hash.localeCompare(b.hash));
  const rows = list.map((f) => [
    f.dbms,
    f.table,
    f.member,
    f.fileId,
    f.hash,
    f.fileTime,
    f.peer.address,
    f.status,
    f.tries,
    f.error,
  ]);
  if (format === 'json') return pyJson(rows.map((r) => Object.fromEntries(FILE_COLUMNS.map((c, i) => [c, r[i]]))));
  return `\r\n\nStats: CONSUMER FILES${formatTable(FILE_COLUMNS, rows)}`;
}
