// `get publisher` (EdgeLake generic/stats.py get_publisher_info L407-445, publisher_stats L700-735):
//   files    `Stats: PUBLISHER FILES`, a row per dbms, table and destination: DBMS|table|Destination|Files|Errors|
//            Err Message (the dbms and table are left blank when they repeat the row above)
//   summary  Node name|Status|Operational time|Elapsed time|New files|Total files|New errors|Total errors|Pending
// EdgeLake appends the whole table again after each dbms (the output call sits inside its loop); here it is one
// table. `Pending` (files waiting in the watch directory) is edgelake-rt's.
import { formatTable, pyJson } from '../../protocols/format/table.js';

interface Row {
  dbms: string;
  table: string;
  dest: string;
  files: number;
  errors: number;
  message: string;
}

const hms = (ms: number): string => {
  const s = Math.max(0, Math.floor(ms / 1000));
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${p(Math.floor(s / 3600))}:${p(Math.floor((s % 3600) / 60))}:${p(s % 60)}`;
};

export class PublisherStats {
  private readonly rows = new Map<string, Row>();
  private readonly started = Date.now();
  private lastCall = Date.now();
  private totalFiles = 0;
  private totalErrors = 0;
  private seenFiles = 0;
  private seenErrors = 0;
  pending = 0;

  private row(dbms: string, table: string, dest: string): Row {
    const k = `${dbms}\u0000${table}\u0000${dest}`;
    let r = this.rows.get(k);
    if (!r) this.rows.set(k, (r = { dbms, table, dest, files: 0, errors: 0, message: '' }));
    return r;
  }

  ok(dbms: string, table: string, dest: string): void {
    this.row(dbms, table, dest).files++;
    this.totalFiles++;
  }

  fail(dbms: string, table: string, dest: string, message: string): void {
    const r = this.row(dbms, table, dest);
    r.errors++;
    r.message = message;
    this.totalErrors++;
  }

  files(format: 'table' | 'json'): string {
    const rows = [...this.rows.values()].sort((a, b) => a.dbms.localeCompare(b.dbms) || a.table.localeCompare(b.table));
    if (format === 'json')
      return pyJson(
        rows.map((r) => ({
          DBMS: r.dbms,
          table: r.table,
          Destination: r.dest,
          Files: r.files,
          Errors: r.errors,
          'Err Message': r.message,
        })),
      );
    let prevDbms = '';
    let prevTable = '';
    const cells = rows.map((r) => {
      const out = [
        r.dbms === prevDbms ? '' : r.dbms,
        r.dbms === prevDbms && r.table === prevTable ? '' : r.table,
        r.dest,
        r.files,
        r.errors,
        r.message,
      ];
      prevDbms = r.dbms;
      prevTable = r.table;
      return out;
    });
    return `\r\n\nStats: PUBLISHER FILES${formatTable(['DBMS', 'table', 'Destination', 'Files', 'Errors', 'Err Message'], cells)}`;
  }

  summary(node: string, format: 'table' | 'json'): string {
    const now = Date.now();
    const row = {
      'Node name': node,
      Status: 'Active',
      'Operational time': hms(now - this.started),
      'Elapsed time': hms(now - this.lastCall),
      'New files': this.totalFiles - this.seenFiles,
      'Total files': this.totalFiles,
      'New errors': this.totalErrors - this.seenErrors,
      'Total errors': this.totalErrors,
      Pending: this.pending,
    };
    this.lastCall = now;
    this.seenFiles = this.totalFiles;
    this.seenErrors = this.totalErrors;
    if (format === 'json') return pyJson(row);
    return `\r\n\nStats: PUBLISHER SUMMARY${formatTable(Object.keys(row), [Object.values(row)])}`;
  }
}
