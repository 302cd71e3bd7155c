// The disk SQLite's temporary files take in this process (issue 12: a cross join sorted by `sql` grew one temp file
// by 150-400 MB a second until the query's timeout). Nothing in SQLite 3.45 / libsql 0.5 bounds them per connection,
// as measured here: `PRAGMA temp.max_page_count` (and `max_page_count`) leaves the sorter's and a materialized
// result's files growing (they are not the temp schema's pages), `soft_heap_limit` does not stop a sort, and
// `hard_heap_limit` with `temp_store=MEMORY` does fail the query with SQLITE_NOMEM but is one limit for the whole
// process: the operator's inserts would then fail with NOMEM too, which the operator counts as a permanent failure
// (actors/operator/failures.ts). So the query's watchdog (sqlite-query.ts) reads the size of the temp files itself.
// SQLite opens them as `<tmp dir>/etilqs_<random>` and unlinks them at once; on Linux they stay visible as
// `/proc/self/fd/<n>` links ending in ` (deleted)`. A file does not say which connection opened it (the query workers
// are threads of one process): a query counts the files that were not open when it started, so a query started
// after another one's files grew does not answer for them; one that ran beside it when they were opened does.
import { existsSync, readdirSync, readlinkSync, statSync } from 'node:fs';

const FD_DIR = '/proc/self/fd';
/** SQLite's SQLITE_TEMP_FILE_PREFIX (`etilqs_`), as a deleted file's link reads. */
const TEMP_LINK = /\/etilqs_[^/]*( \(deleted\))?$/;

/** Whether this system lists a process's open files (Linux's /proc): without it, nothing is measured. */
export function canMeasureSqliteTemp(): boolean {
  return existsSync(FD_DIR);
}

/** SQLite's temporary files open in this process now: each one's size, by file (`<dev>:<inode>`). */
export function sqliteTempFiles(): Map<string, number> {
  const files = new Map<string, number>();
  for (const fd of readdirSync(FD_DIR)) {
    try {
      if (!TEMP_LINK.test(readlinkSync(`${FD_DIR}/${fd}`))) continue;
      const st = statSync(`${FD_DIR}/${fd}`);
      files.set(`${st.dev}:${st.ino}`, st.size);
    } catch (err) {
      // A descriptor closed between the listing and the look (the listing's own among them): not a temp file now.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
  }
  return files;
}

/** Bytes of the files in `now` that are not in `before`. */
export function bytesSince(before: ReadonlySet<string>, now: ReadonlyMap<string, number>): number {
  let bytes = 0;
  for (const [id, size] of now) if (!before.has(id)) bytes += size;
  return bytes;
}

/** Bytes of the SQLite temporary files open in this process now. */
export const sqliteTempBytes = (): number => bytesSince(new Set(), sqliteTempFiles());
