// `get blobs archiver` (EdgeLake alarchiver.py get_archiver L333-366): one row for the JSON files
// ("Source JSON") and one per dbms.table for their blobs, with success and error counts, the last
// error (EdgeLake's status text), the last file and the last message. Kept on the main thread between
// worker restarts (node.stash), like the scheduler's tables.
import { formatTable, pyJson } from '../../protocols/format/table.js';

export interface Counter {
  success: number;
  error: number;
  lastError: number;
  lastFile: string;
  lastMessage: string;
}

export interface StatsSnapshot {
  processed: Counter;
  blobs: Record<string, Counter>;
}

const STATUS_TEXT: Record<number, string> = {
  1: 'Unrecognized Command',
  3: 'Error Process Failure',
  6: 'Error in JSON Structure',
  10: 'DBMS not open',
  12: 'File does not exists',
  44: 'File move process failed',
  48: 'File write failed',
  119: 'Error with file name structure',
};

const counter = (): Counter => ({ success: 0, error: 0, lastError: 0, lastFile: '', lastMessage: '' });

export class ArchiverStats {
  private constructor(private readonly s: StatsSnapshot) {}

  static from(snap: StatsSnapshot | undefined): ArchiverStats {
    return new ArchiverStats(snap ?? { processed: counter(), blobs: {} });
  }

  snapshot(): StatsSnapshot {
    return this.s;
  }

  fileDone(name: string): void {
    this.s.processed.success++;
    this.s.processed.lastFile = name;
  }

  fileFailed(name: string, code: number, message: string): void {
    const c = this.s.processed;
    c.error++;
    c.lastError = code;
    c.lastFile = name;
    c.lastMessage = message;
  }

  blob(key: string, id: string, failure?: { code: number; message: string }): void {
    const c = (this.s.blobs[key] ??= counter());
    c.lastFile = id;
    if (!failure) c.success++;
    else {
      c.error++;
      c.lastError = failure.code;
      c.lastMessage = failure.message;
    }
  }

  render(format: 'table' | 'json'): string {
    const rows: [string, Counter][] = [['Source JSON', this.s.processed], ...Object.entries(this.s.blobs)];
    const text = (code: number): string => (code === 0 ? '' : (STATUS_TEXT[code] ?? `Error ${code}`));
    if (format === 'json')
      return pyJson(
        rows.map(([name, c]) => ({
          'Table/File': name,
          Success: c.success,
          Error: c.error,
          'Last Error': text(c.lastError),
          'Last File': c.lastFile,
          'Last Message': c.lastMessage,
        })),
      );
    return formatTable(
      ['Table/File', 'Success', 'Error', 'Last Error', 'Last File', 'Last Message'],
      rows.map(([name, c]) => [name, c.success, c.error, text(c.lastError), c.lastFile, c.lastMessage]),
    );
  }
}
