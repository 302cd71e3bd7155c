// `get distributor [where format = json]` (AnyLog documents the command, not its output: this layout is
// edgelake-rt's, in EdgeLake's table style):
//   Stats: DISTRIBUTOR
//   Cluster|Distr dir|Archive dir|Files waiting|Files archived|Last scan|Scan error
//   Member|Name|Address|Files sent|Bytes sent|Pending|Errors|Last error|Last error time|Status
// a row per cluster member this node distributes to. `Pending` counts the files of distr_dir that member has not
// got yet; `Status` is `ok`, or `retry in <n> s` after a failure (the member is tried again then).
// The counters are kept on the node (node.stash) so a restarted worker goes on from them.
import { formatTable, pyJson } from '../../protocols/format/table.js';
import type { Member } from '../_shared/ha-members.js';

export interface MemberStats {
  id: string;
  member: number;
  name: string;
  address: string;
  sent: number;
  bytes: number;
  pending: number;
  errors: number;
  lastError: string;
  /** Epoch ms of the last error, 0 when none. */
  lastErrorAt: number;
  /** Epoch ms before which the member is not tried (after a failure), 0 when it is fine. */
  retryAt: number;
}

export interface DistributorSnapshot {
  members: MemberStats[];
  archived: number;
  /** File name -> ids of the members that have it. */
  done: [string, string[]][];
}

const MEMBER_COLUMNS = [
  'Member',
  'Name',
  'Address',
  'Files sent',
  'Bytes sent',
  'Pending',
  'Errors',
  'Last error',
  'Last error time',
  'Status',
];

const when = (ms: number): string => (ms === 0 ? '' : new Date(ms).toISOString().replace('T', ' ').slice(0, 19));

export class DistributorStats {
  readonly members = new Map<string, MemberStats>();
  archived = 0;
  waiting = 0;
  cluster = '';
  lastScan = 0;
  scanError = '';

  static from(s: DistributorSnapshot | undefined): DistributorStats {
    const out = new DistributorStats();
    for (const m of s?.members ?? []) out.members.set(m.id, { ...m });
    out.archived = s?.archived ?? 0;
    return out;
  }

  member(m: Member): MemberStats {
    let s = this.members.get(m.id);
    if (!s) {
      s = { ...m, sent: 0, bytes: 0, pending: 0, errors: 0, lastError: '', lastErrorAt: 0, retryAt: 0 };
      this.members.set(m.id, s);
    }
    s.name = m.name;
    s.address = m.address;
    s.member = m.member;
    return s;
  }

  snapshot(done: Map<string, Set<string>>): DistributorSnapshot {
    return {
      members: [...this.members.values()].map((m) => ({ ...m })),
      archived: this.archived,
      done: [...done].map(([f, ids]) => [f, [...ids]]),
    };
  }

  render(format: 'table' | 'json', dirs: { distr: string; archive: string }, now: number): string {
    const status = (m: MemberStats): string =>
      m.retryAt > now ? `retry in ${Math.ceil((m.retryAt - now) / 1000)} s` : 'ok';
    const members = [...this.members.values()].sort((a, b) => a.member - b.member || a.id.localeCompare(b.id));
    const head = {
      Cluster: this.cluster,
      'Distr dir': dirs.distr,
      'Archive dir': dirs.archive,
      'Files waiting': this.waiting,
      'Files archived': this.archived,
      'Last scan': when(this.lastScan),
      'Scan error': this.scanError,
    };
    const rows = members.map(
      (m) =>
        [
          m.member,
          m.name,
          m.address,
          m.sent,
          m.bytes,
          m.pending,
          m.errors,
          m.lastError,
          when(m.lastErrorAt),
          status(m),
        ] as const,
    );
    if (format === 'json')
      return pyJson({ ...head, Members: rows.map((r) => Object.fromEntries(MEMBER_COLUMNS.map((c, i) => [c, r[i]]))) });
    return (
      `\r\n\nStats: DISTRIBUTOR${formatTable(Object.keys(head), [Object.values(head)])}` +
      formatTable(MEMBER_COLUMNS, rows)
    );
  }
}
