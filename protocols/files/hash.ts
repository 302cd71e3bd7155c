// The hash segment of a watch_dir file name (generic/utils_io.py get_hash_value L1542-1573, called
// by add_hash_value L189 with prefix `dbms_name + '.' + table_name`): md5 over the UTF-8 prefix and
// then the file's bytes, hex. Interop vector 4: dbms testdb, table t_file and the two-line file
// `{"ts": "2024-01-01T00:00:00Z", "v": 1}\n{"ts": "2024-01-01T00:00:01Z", "v": 2}\n` (trailing
// newline included) give 424f12a43372de46df1b7d41bd78014e; without the dot, or without the final
// newline, the hash differs.
import { createHash, type Hash } from 'node:crypto';

/** md5 hex of `"<dbms>.<table>"` followed by the file bytes. */
export function fileHash(dbms: string, table: string, bytes: Uint8Array | string): string {
  return createFileHasher(dbms, table).update(bytes).digest('hex');
}

/** The same, fed in chunks (EdgeLake reads 64 KiB blocks), for files too large to hold at once. */
export function createFileHasher(dbms: string, table: string): Hash {
  return createHash('md5').update(`${dbms}.${table}`, 'utf8');
}
