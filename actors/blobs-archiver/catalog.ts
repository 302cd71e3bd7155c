// The blobs index: one table `blobs` in the blobs dbms (default `blobs`, SQLite unless connected
// otherwise), one row per archived blob, keyed by the data dbms, table and file id the rows name
// (EdgeLake keys its blobs databases `blobs_<dbms>` the same way: table + file name, dbi L2307-2334).
//   file_id        the `file` value of the rows (EdgeLake's blob hash value), or the name's rest
//   original_name  the file as it waited: <dbms>.<table>.<file id>
//   hash_md5, hash_sha256, size   of the original bytes
//   stored_size, compressed       of the archived file (gzip when compress = true)
//   content_type   from the leading bytes, else the extension
//   archive_path   absolute path of the archived file
//   archive_date   YYMMDD (UTC) the blob was archived, EdgeLake's `date` filter
//   ref_file       the JSON file whose rows named it ('' for a blob dropped alone or `file store`)
//   archived_at    ISO time
// Written by the archiver actor on its own connection; read on the main thread (`file retrieve`,
// `get files`) through the node's read-only connection. Values are always bound parameters.
import type { DbmsAdapter, Engine } from '../../storage/dbms/types.js';

export const BLOBS_TABLE = 'blobs';

export interface BlobRecord {
  dbms: string;
  table: string;
  fileId: string;
  originalName: string;
  md5: string;
  sha256: string;
  size: number;
  storedSize: number;
  compressed: boolean;
  contentType: string;
  archivePath: string;
  archiveDate: string;
  refFile: string;
  archivedAt: string;
}

export interface BlobFilter {
  dbms?: string;
  table?: string;
  id?: string;
  /** md5 (32 hex) or sha256 (64 hex) of the original bytes. */
  hash?: string;
  /** YYMMDD */
  date?: string;
  limit?: number;
}

const COLUMNS = [
  'dbms_name',
  'table_name',
  'file_id',
  'original_name',
  'hash_md5',
  'hash_sha256',
  'size',
  'stored_size',
  'compressed',
  'content_type',
  'archive_path',
  'archive_date',
  'ref_file',
  'archived_at',
] as const;

const placeholder = (engine: Engine) => (i: number) => (engine === 'psql' ? `$${i}` : '?');

export function ddl(): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${BLOBS_TABLE} (dbms_name TEXT NOT NULL, table_name TEXT NOT NULL, file_id TEXT NOT NULL, ` +
      `original_name TEXT NOT NULL, hash_md5 TEXT NOT NULL, hash_sha256 TEXT NOT NULL, size BIGINT NOT NULL, ` +
      `stored_size BIGINT NOT NULL, compressed INTEGER NOT NULL, content_type TEXT NOT NULL, archive_path TEXT NOT NULL, ` +
      `archive_date TEXT NOT NULL, ref_file TEXT NOT NULL, archived_at TEXT NOT NULL, PRIMARY KEY (dbms_name, table_name, file_id))`,
    `CREATE INDEX IF NOT EXISTS ${BLOBS_TABLE}_md5 ON ${BLOBS_TABLE} (hash_md5)`,
    `CREATE INDEX IF NOT EXISTS ${BLOBS_TABLE}_sha256 ON ${BLOBS_TABLE} (hash_sha256)`,
    `CREATE INDEX IF NOT EXISTS ${BLOBS_TABLE}_date ON ${BLOBS_TABLE} (archive_date)`,
  ];
}

function values(r: BlobRecord): unknown[] {
  return [
    r.dbms,
    r.table,
    r.fileId,
    r.originalName,
    r.md5,
    r.sha256,
    r.size,
    r.storedSize,
    r.compressed ? 1 : 0,
    r.contentType,
    r.archivePath,
    r.archiveDate,
    r.refFile,
    r.archivedAt,
  ];
}

function record(row: readonly unknown[]): BlobRecord {
  const s = (i: number): string => String(row[i] ?? '');
  return {
    dbms: s(0),
    table: s(1),
    fileId: s(2),
    originalName: s(3),
    md5: s(4),
    sha256: s(5),
    size: Number(row[6]),
    storedSize: Number(row[7]),
    compressed: Number(row[8]) === 1,
    contentType: s(9),
    archivePath: s(10),
    archiveDate: s(11),
    refFile: s(12),
    archivedAt: s(13),
  };
}

/** A blob archived again under the same key replaces the row (the newest archive wins). */
export async function upsert(db: DbmsAdapter, r: BlobRecord): Promise<void> {
  const p = placeholder(db.engine);
  const cols = COLUMNS.join(', ');
  const vals = COLUMNS.map((_c, i) => p(i + 1)).join(', ');
  const set = COLUMNS.slice(3)
    .map((c) => `${c} = excluded.${c}`)
    .join(', ');
  await db.modify(
    `INSERT INTO ${BLOBS_TABLE} (${cols}) VALUES (${vals}) ON CONFLICT (dbms_name, table_name, file_id) DO UPDATE SET ${set}`,
    values(r),
  );
}

export async function find(db: DbmsAdapter, f: BlobFilter): Promise<BlobRecord[]> {
  const p = placeholder(db.engine);
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: (ph: string) => string, v: unknown): void => {
    params.push(v);
    where.push(sql(p(params.length)));
  };
  if (f.dbms !== undefined) add((ph) => `dbms_name = ${ph}`, f.dbms);
  if (f.table !== undefined) add((ph) => `table_name = ${ph}`, f.table);
  if (f.id !== undefined) add((ph) => `file_id = ${ph}`, f.id);
  if (f.hash !== undefined)
    add((ph) => (f.hash!.length === 64 ? `hash_sha256 = ${ph}` : `hash_md5 = ${ph}`), f.hash.toLowerCase());
  if (f.date !== undefined) add((ph) => `archive_date = ${ph}`, f.date);
  const limit = f.limit !== undefined && f.limit > 0 ? ` LIMIT ${Math.floor(f.limit)}` : '';
  const sql = `SELECT ${COLUMNS.join(', ')} FROM ${BLOBS_TABLE}${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY archived_at, dbms_name, table_name, file_id${limit}`;
  const r = await db.select(sql, params);
  return r.rows.map(record);
}

export async function findOne(
  db: DbmsAdapter,
  dbms: string,
  table: string,
  id: string,
): Promise<BlobRecord | undefined> {
  return (await find(db, { dbms, table, id, limit: 1 }))[0];
}
