// Checks a SQLite database file without SQLite: what `connect dbms` does on the main thread, so that an idle node's
// main thread never loads libsql (its `index.node` and SQLite's caches, about 7 MB of RSS: bench/README.md, memory).
// A missing file is created empty (SQLite takes a zero-length file as an empty database, and its first writer
// writes the header); an existing one must start with SQLite's database header. From SQLite's file format
// (https://www.sqlite.org/fileformat2.html, 1.3 "The Database Header"), the fields SQLite itself checks before it
// answers SQLITE_NOTADB ("file is not a database"):
//   offset 0, 16 bytes  "SQLite format 3\0"
//   offset 16, u16 BE   page size: a power of two from 512 to 32768, or 1 for 65536
//   offset 21, 22, 23   payload fractions: 64, 32, 32
// A file that passes can still be damaged further in; SQLite finds that when the file is first read. EdgeLake's
// check is its engine's connect (edge_lake/dbms/sqlite_dbms.py `connect_to_db`: open the file, one PRAGMA).
import { closeSync, openSync, readSync } from 'node:fs';
import { DbmsError, errorMessage } from '../../base/errors.js';

const MAGIC = 'SQLite format 3\u0000';
const HEADER_BYTES = 100;

/** Why `header` (a file's first bytes, all of them when it is shorter) is not a SQLite database; undefined if it is. */
export function sqliteHeaderProblem(header: Uint8Array): string | undefined {
  if (header.length === 0) return undefined;
  if (header.length < HEADER_BYTES) return 'shorter than a database header';
  if (Buffer.from(header.subarray(0, 16)).toString('latin1') !== MAGIC) return 'no SQLite header';
  const pageSize = (header[16]! << 8) | header[17]!;
  if (pageSize !== 1 && (pageSize < 512 || pageSize > 32768 || (pageSize & (pageSize - 1)) !== 0))
    return `page size ${pageSize}`;
  if (header[21] !== 64 || header[22] !== 32 || header[23] !== 32) return 'payload fractions';
  return undefined;
}

/**
 * Opens (creating it when missing) and checks the database file of dbms `name`; throws a DbmsError worded as
 * SQLite's open would fail (`sqlite <name>: cannot open <path>: file is not a database`).
 */
export function checkSqliteFile(name: string, path: string): void {
  const fail = (reason: string, cause?: unknown): DbmsError =>
    new DbmsError(`sqlite ${name}: cannot open ${path}: ${reason}`, { cause });
  let fd: number;
  try {
    // 'a+': read and write, created when missing, never truncated (what SQLite's open does to the file).
    fd = openSync(path, 'a+');
  } catch (err) {
    throw fail(errorMessage(err), err);
  }
  try {
    const header = Buffer.alloc(HEADER_BYTES);
    let n = 0;
    for (let r = 1; r > 0 && n < HEADER_BYTES; n += r) r = readSync(fd, header, n, HEADER_BYTES - n, n);
    const problem = sqliteHeaderProblem(header.subarray(0, n));
    if (problem !== undefined) throw fail('file is not a database', new Error(problem));
  } catch (err) {
    if (err instanceof DbmsError) throw err;
    throw fail(errorMessage(err), err);
  } finally {
    closeSync(fd);
  }
}
