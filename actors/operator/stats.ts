// The operator's statistics, shaped like EdgeLake's (generic/stats.py L61-520): per dbms.table
// counters for JSON files, SQL files and inserts; the last errors; a summary; the configuration.
// `get operator [topic] [where format = json]` prints them.
import { formatTable, pyJson, type Cell } from '../../protocols/format/table.js';
import type { OperatorTopic } from './messages.js';
import type { TableRetry } from './retry.js';

interface FileStat {
  files: number;
  immediate: number;
  last: number;
}

interface InsertStat {
  first: number;
  last: number;
  batches: number;
  immediate: number;
  rows: number;
  dbmsSeconds: number;
}

interface ErrorStat {
  counter: number;
  at: number;
  dbms: string;
  table: string;
  code: number;
  text: string;
}

const epoch = (ms: number): number => Math.floor(ms / 1000);
const hms = (ms: number): string => {
  const s = Math.max(0, Math.floor(ms / 1000));
  return `${String(Math.floor(s / 3600)).padStart(2, '0')}:${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
};
const local = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);

export class OperatorStats {
  readonly startedAt = Date.now();
  private readonly json = new Map<string, FileStat>();
  private readonly sql = new Map<string, FileStat>();
  private readonly inserts = new Map<string, InsertStat>();
  private readonly errors = new Map<'JSON Errors' | 'SQL Errors', ErrorStat>();
  private newRows = 0;
  private newErrors = 0;
  private processingMs = 0;

  file(kind: 'json' | 'sql', dbms: string, table: string, immediate: boolean): void {
    const m = kind === 'json' ? this.json : this.sql;
    const k = `${dbms}\u0000${table}`;
    const s = m.get(k) ?? { files: 0, immediate: 0, last: 0 };
    if (immediate) s.immediate++;
    else s.files++;
    s.last = Date.now();
    m.set(k, s);
  }

  insert(dbms: string, table: string, rows: number, ms: number, immediate: boolean): void {
    const k = `${dbms}\u0000${table}`;
    const now = Date.now();
    const s = this.inserts.get(k) ?? { first: now, last: now, batches: 0, immediate: 0, rows: 0, dbmsSeconds: 0 };
    s.last = now;
    if (immediate) s.immediate++;
    else s.batches++;
    s.rows += rows;
    s.dbmsSeconds += ms / 1000;
    this.inserts.set(k, s);
    this.newRows += rows;
    this.processingMs += ms;
  }

  error(kind: 'JSON Errors' | 'SQL Errors', dbms: string, table: string, code: number, text: string): void {
    const s = this.errors.get(kind) ?? { counter: 0, at: 0, dbms: '', table: '', code: 0, text: '' };
    s.counter++;
    Object.assign(s, { at: Date.now(), dbms, table, code, text });
    this.errors.set(kind, s);
    this.newErrors++;
  }

  totalRows(): number {
    return this.newRows;
  }

  private perTable<T>(m: Map<string, T>, row: (s: T) => Cell[]): Cell[][] {
    let prev = '';
    return [...m].map(([k, s]) => {
      const [dbms, table] = k.split('\u0000') as [string, string];
      const first = dbms === prev ? '' : dbms;
      prev = dbms;
      return [first, table, ...row(s)];
    });
  }

  topic(
    t: OperatorTopic,
    cfg: {
      node: string;
      active: boolean;
      member: string;
      policy: string;
      cluster: string;
      /** Tables whose batches wait in the journal for a retry (retry.ts). */
      retries?: readonly TableRetry[];
    },
  ): { json: unknown; text: string } {
    const now = Date.now();
    switch (t) {
      case 'json':
      case 'sql': {
        const m = t === 'json' ? this.json : this.sql;
        const cols = ['DBMS', 'Table', 'Files', 'Immediate', 'Timestamp (epoch)', 'Elapsed_time (HH:MM:SS)'];
        const rows = this.perTable(m, (s) => [s.files, s.immediate, epoch(s.last), hms(now - s.last)]);
        return {
          json: obj(m, (s) => ({ Files: s.files, Immediate: s.immediate, 'Timestamp (epoch)': epoch(s.last) })),
          text: rows.length ? formatTable(cols, rows) : '\r\n',
        };
      }
      case 'inserts': {
        const cols = [
          'DBMS',
          'Table',
          'First insert',
          'Last insert',
          'Batch inserts',
          'Immediate inserts',
          'DBMS Seconds',
        ];
        const rows = this.perTable(this.inserts, (s) => [
          local(s.first),
          local(s.last),
          s.batches,
          s.immediate,
          s.dbmsSeconds.toFixed(3),
        ]);
        const j = obj(this.inserts, (s) => ({
          'First insert': local(s.first),
          'Last insert': local(s.last),
          'Batch inserts': s.batches,
          'Immediate inserts': s.immediate,
          Rows: s.rows,
          'DBMS Seconds': Number(s.dbmsSeconds.toFixed(3)),
        }));
        return { json: j, text: rows.length ? formatTable(cols, rows) : '\r\n' };
      }
      case 'error': {
        const list = (['JSON Errors', 'SQL Errors'] as const).map((type) => {
          const s = this.errors.get(type);
          return {
            Type: type,
            Counter: s?.counter ?? 0,
            Timestamp: s ? local(s.at) : '',
            'Elapsed time': s ? hms(now - s.at) : '',
            'Dbms name': s?.dbms ?? '',
            'Table name': s?.table ?? '',
            'Last error': s?.code ?? 0,
            'Last error text': s?.text ?? '',
          };
        });
        return {
          json: list,
          text: formatTable(
            Object.keys(list[0]!),
            list.map((x) => Object.values(x)),
          ),
        };
      }
      case 'summary': {
        const up = now - this.startedAt;
        const s = {
          'Node name': cfg.node,
          Status: cfg.active ? 'Active' : 'Not Active',
          'Operational time': hms(up),
          'Processing time': hms(this.processingMs),
          'Elapsed time': hms(up),
          'New rows': this.newRows,
          'Total rows': this.newRows,
          'New errors': this.newErrors,
          'Total errors': this.newErrors,
          'Avg. rows/sec': up > 0 ? Math.round((this.newRows / up) * 1000) : 0,
        };
        return { json: s, text: formatTable(Object.keys(s), [Object.values(s)]) };
      }
      case 'retry': {
        // Not in EdgeLake (its operator has no retries): which tables wait, why and until when.
        const list = (cfg.retries ?? []).map((r) => ({
          'Dbms name': r.dbms,
          'Table name': r.table,
          Kind: r.kind,
          Attempts: r.attempts,
          'Failing since': local(r.since),
          'Next attempt (ms)': Math.max(0, r.nextAt - now),
          'Last error': r.lastError,
        }));
        const cols = [
          'Dbms name',
          'Table name',
          'Kind',
          'Attempts',
          'Failing since',
          'Next attempt (ms)',
          'Last error',
        ];
        return {
          json: list,
          text: list.length
            ? formatTable(
                cols,
                list.map((x) => Object.values(x)),
              )
            : '\r\nNo table waits for a retry\r\n',
        };
      }
      case 'config': {
        const c = {
          Status: cfg.active ? 'Active' : 'Not Active',
          'Operational time': hms(now - this.startedAt),
          Timestamp: local(this.startedAt),
          Member: cfg.member,
          Policy: cfg.policy,
          Cluster: cfg.cluster,
        };
        return { json: c, text: formatTable(Object.keys(c), [Object.values(c)]) };
      }
    }
  }
}

function obj<T>(m: Map<string, T>, f: (s: T) => Record<string, unknown>): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [k, s] of m) {
    const [dbms, table] = k.split('\u0000') as [string, string];
    (out[dbms] ??= {})[table] = f(s);
  }
  return out;
}

export function renderTopics(
  stats: OperatorStats,
  topics: OperatorTopic[],
  format: 'table' | 'json',
  cfg: Parameters<OperatorStats['topic']>[1],
): string {
  if (format === 'json') {
    const parts = topics.map((t) => stats.topic(t, cfg).json);
    return pyJson(parts.length === 1 ? parts[0] : parts);
  }
  return topics.map((t) => `\r\n\nStats: OPERATOR ${t.toUpperCase()}${stats.topic(t, cfg).text}`).join('');
}
