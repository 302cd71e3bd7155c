// REST statistics for `get rest calls` (EdgeLake http_server.py L2166-2222): per caller (the
// User-Agent product, `AnyLog-V1` when none) and call (get/post/put), counts, last error, times.
import { formatTable } from '../../protocols/format/table.js';

interface CallStat {
  processed: number;
  errors: number;
  lastError: string;
  first: string;
  last: string;
  lastClient: string;
}

const stamp = (d: Date): string => d.toISOString().slice(0, 19).replace('T', ' ');

export class RestStats {
  private readonly byCaller = new Map<string, Map<string, CallStat>>();
  /** Rows accepted per dbms.table, by mode, for `get streaming`. */
  readonly putFiles = new Map<string, { files: number; rows: number }>();
  readonly streamed = new Map<string, { calls: number; rows: number }>();

  record(caller: string | undefined, call: string, error: string | undefined, client: string): void {
    const c = caller ?? 'AnyLog-V1';
    let calls = this.byCaller.get(c);
    if (!calls) this.byCaller.set(c, (calls = new Map()));
    const now = stamp(new Date());
    let s = calls.get(call);
    if (!s) calls.set(call, (s = { processed: 0, errors: 0, lastError: '', first: now, last: '', lastClient: '' }));
    s.processed++;
    s.last = now;
    s.lastClient = client;
    if (error !== undefined) {
      s.errors++;
      s.lastError = error;
    }
  }

  countFile(key: string, rows: number): void {
    const s = this.putFiles.get(key) ?? { files: 0, rows: 0 };
    s.files++;
    s.rows += rows;
    this.putFiles.set(key, s);
  }

  countStreamed(key: string, rows: number): void {
    const s = this.streamed.get(key) ?? { calls: 0, rows: 0 };
    s.calls++;
    s.rows += rows;
    this.streamed.set(key, s);
  }

  show(connection: string): string {
    const rows: (string | number)[][] = [];
    for (const [caller, calls] of this.byCaller) {
      let first = true;
      for (const [call, s] of calls) {
        rows.push([first ? caller : '', call, s.processed, s.errors, s.lastError, s.first, s.last, s.lastClient]);
        first = false;
      }
    }
    return formatTable(
      ['Caller', 'Call', 'Processed', 'Errors', 'Last Error', 'First Call', 'Last Call', 'Last Caller'],
      rows,
      {
        header: `Statistics for REST calls using ${connection}`,
      },
    );
  }
}
