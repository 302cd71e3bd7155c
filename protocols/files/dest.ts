// Where a processed or failed watch_dir file goes, by name (generic/utils_io.py):
//
//   error    err_dir/<name minus .type>.err_<code>.<unique epoch s>.<type>   file_to_dir L1953-1977
//   archive  archive_dir/YY/MM/DD/<name>.gz                                 archive_file L2459-2500
//            (YYMMDD from the 12 digits before .json, else the file's mtime, UTC; get_archive_date L2545-2583)
//   backup   bkup_dir/<name>.<epoch>.gz compressed, bkup_dir/<name minus .type>.<epoch>.<type> not
//                                                                             manipulate_file L2003-2050
// Paths come back relative to their directory, with '/' separators.
import { ProtocolError } from '../../base/errors.js';
import { FILE_NAME_ERROR, dateKey } from './names.js';

function splitType(fileName: string): { base: string; type: string } {
  const dot = fileName.lastIndexOf('.');
  if (dot <= 0 || dot === fileName.length - 1 || /[/\\]/.test(fileName)) {
    throw new ProtocolError(`not a file name with a type: ${JSON.stringify(fileName)}`, { code: FILE_NAME_ERROR });
  }
  return { base: fileName.slice(0, dot), type: fileName.slice(dot + 1) };
}

/**
 * EdgeLake's get_unique_time_string: epoch seconds, bumped by one when a second name is asked for
 * in the same second (or the clock went back), so two failures never get the same name.
 * One per operator; `now` is injectable for tests.
 */
export function createUniqueEpoch(now: () => number = Date.now): () => number {
  let last = 0;
  return () => {
    const t = Math.floor(now() / 1000);
    last = t <= last ? last + 1 : t;
    return last;
  };
}

/** `<name minus .type>.err_<code>.<epoch>.<type>`, e.g. `testdb.bad.0.h.0.57.2.d.err_67.1732417597.json`. */
export function errorFileName(fileName: string, code: number, epoch: number): string {
  const { base, type } = splitType(fileName);
  return `${base}.err_${code}.${epoch}.${type}`;
}

/**
 * YYMMDD for the archive: the 12 characters before `.json` when they are digits that look like a
 * date and time (month 1-12, day 1-31, hour <= 24, minute and second <= 60: EdgeLake's own test),
 * else the modification time, UTC.
 */
export function archiveDateKey(fileName: string, mtime: Date): string {
  const { base } = splitType(fileName);
  if (base.length >= 12) {
    const d = base.slice(-12);
    if (/^\d{12}$/.test(d)) {
      const [mo, dd, hh, mi, ss] = [2, 4, 6, 8, 10].map((i) => Number(d.slice(i, i + 2)));
      if (
        mo !== undefined &&
        dd !== undefined &&
        mo >= 1 &&
        mo <= 12 &&
        dd >= 1 &&
        dd <= 31 &&
        (hh ?? 99) <= 24 &&
        (mi ?? 99) <= 60 &&
        (ss ?? 99) <= 60
      ) {
        return d;
      }
    }
  }
  return dateKey(mtime);
}

/** `YY/MM/DD/<name>.gz`, e.g. `26/11/24/testdb.readings.0.<md5>.0.57.1.261124030637.json.gz`. */
export function archivePath(fileName: string, mtime: Date): string {
  const d = archiveDateKey(fileName, mtime);
  return `${d.slice(0, 2)}/${d.slice(2, 4)}/${d.slice(4, 6)}/${fileName}.gz`;
}

/** archive_json = false (or archive_sql): `<name>.<epoch>.gz` when compressed, `<base>.<epoch>.<type>` when moved. */
export function bkupFileName(fileName: string, epoch: number, compressed: boolean): string {
  const { base, type } = splitType(fileName);
  return compressed ? `${fileName}.${epoch}.gz` : `${base}.${epoch}.${type}`;
}
