// almgm.tsd_info upkeep (`update_tsd_info = true`; EdgeLake dbms/db_info.py L1617-1781): a row per
// ingested file (and, here, per applied journal batch: EdgeLake's streamer writes those as files),
// inserted when the operator takes the file (rows 0, its file_id becomes the file's tsd row id and
// the rows' tsd_id), then updated with the row count. A hash already there is a duplicate file (86).
// Files another cluster member ingested first (replicated by the HA distributor or pulled by the consumer,
// actors/data-distributor, actors/data-consumer) are kept in tsd_<member> under that member's file id.
// A hash is unique across all these tables: a file is in the databases once, however it arrived.
// tsd_info lives in another database than the rows, so it is written in its own transactions.
import { DbmsError, errorMessage } from '../../base/errors.js';
import { TSD_DBMS, TSD_INFO, tsdFileTime, tsdInfoStatements, tsdMemberStatements } from '../../storage/schema/tsd.js';
import type { Catalog } from './catalog.js';
import { Status } from '../../base/status.js';

export const DUPLICATE_FILE = 86;

/** PostgreSQL's `$n` placeholders, as `?` for SQLite. */
const ph = (engine: 'sqlite' | 'psql', sql: string): string => (engine === 'sqlite' ? sql.replace(/\$\d+/g, '?') : sql);

export const memberTable = (member: number): string => `tsd_${member}`;
const MEMBER_TABLE = /^tsd_\d+$/;

/** Where a hash is recorded: the TSD table, the file id there and its row count (0 while being ingested). */
export interface TsdEntry {
  table: string;
  fileId: number;
  rows: number;
}

export interface ReplicaFile {
  dbms: string;
  table: string;
  source: string;
  hash: string;
  instructions: string;
  /** `tsd_info.file_time` of the member that took the file first (from the name's YYMMDDHHMMSS). */
  fileTime: string;
}

const isUnique = (err: unknown): boolean => /unique|duplicate/i.test(errorMessage(err));

export class TsdInfo {
  private ready = false;
  /** The tsd_<member> tables (this operator is the only one creating them). */
  private members: Set<string> | undefined;

  constructor(private readonly catalog: Catalog) {}

  private async conn() {
    const c = await this.catalog.open(TSD_DBMS);
    if (!c)
      throw new DbmsError(`update_tsd_info needs dbms '${TSD_DBMS}' connected`, {
        code: Status.DbmsNotOpened,
        retriable: true,
      });
    if (!this.ready) {
      await c.adapter.execDDL(tsdInfoStatements(c.adapter.engine));
      this.members = new Set((await c.adapter.listTables()).filter((t) => MEMBER_TABLE.test(t)));
      this.ready = true;
    }
    return c;
  }

  /** The table, file id and rows of `hash` in tsd_info or any tsd_<member>; undefined when no file has it. */
  async find(hash: string): Promise<TsdEntry | undefined> {
    const c = await this.conn();
    const tables = [TSD_INFO, ...[...this.members!].sort()];
    const sql = tables.map((t) => `SELECT '${t}', file_id, rows FROM ${t} WHERE file_hash = ?`).join(' UNION ALL ');
    const rows = await c.adapter.modify(
      c.adapter.engine === 'sqlite' ? sql : sql.replace(/\?/g, () => '$1'),
      c.adapter.engine === 'sqlite' ? tables.map(() => hash) : [hash],
    );
    const r = rows[0];
    return r ? { table: String(r[0]), fileId: Number(r[1]), rows: Number(r[2] ?? 0) } : undefined;
  }

  /** Records a file being taken; returns its file_id. Throws code 86 for a known hash (in any TSD table). */
  async begin(
    dbms: string,
    table: string,
    source: string,
    hash: string,
    instructions: string,
    at: Date,
  ): Promise<number> {
    const c = await this.conn();
    const known = this.members!.size > 0 ? await this.find(hash) : undefined;
    if (known)
      throw new DbmsError(`duplicate file: hash ${hash} is already in ${known.table}`, { code: DUPLICATE_FILE });
    try {
      const rows = await c.adapter.modify(
        ph(
          c.adapter.engine,
          'INSERT INTO tsd_info (dbms_name, table_name, source, file_hash, instructions, file_time, rows, status1, status2) VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $8) RETURNING file_id',
        ),
        [dbms, table, source, hash, instructions, tsdFileTime(at), '', ''],
      );
      return Number(rows[0]?.[0]);
    } catch (err) {
      if (isUnique(err))
        throw new DbmsError(`duplicate file: hash ${hash} is already in tsd_info`, {
          code: DUPLICATE_FILE,
          cause: err,
        });
      throw err;
    }
  }

  async finish(fileId: number, rows: number): Promise<void> {
    const c = await this.conn();
    await c.adapter.modify(ph(c.adapter.engine, 'UPDATE tsd_info SET rows = $1 WHERE file_id = $2'), [rows, fileId]);
  }

  /**
   * Records a file of cluster member `member` (its file id kept) in tsd_<member>, created on first use (EdgeLake
   * create_member_tsd). Throws code 86 when the hash or that file id is already there.
   */
  async beginReplica(member: number, fileId: number, f: ReplicaFile): Promise<void> {
    const c = await this.conn();
    const t = memberTable(member);
    if (!this.members!.has(t)) {
      await c.adapter.execDDL(tsdMemberStatements(member, c.adapter.engine));
      this.members!.add(t);
    }
    try {
      await c.adapter.modify(
        ph(
          c.adapter.engine,
          `INSERT INTO ${t} (file_id, dbms_name, table_name, source, file_hash, instructions, file_time, rows, status1, status2) VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $9)`,
        ),
        [fileId, f.dbms, f.table, f.source, f.hash, f.instructions, f.fileTime, '', ''],
      );
    } catch (err) {
      if (isUnique(err))
        throw new DbmsError(`duplicate file: hash ${f.hash} or file id ${fileId} is already in ${t}`, {
          code: DUPLICATE_FILE,
          cause: err,
        });
      throw err;
    }
  }

  async finishReplica(member: number, fileId: number, rows: number): Promise<void> {
    const c = await this.conn();
    await c.adapter.modify(ph(c.adapter.engine, `UPDATE ${memberTable(member)} SET rows = $1 WHERE file_id = $2`), [
      rows,
      fileId,
    ]);
  }

  /** A claimed file whose tsd row already exists (a restart mid-file): nothing to insert. */
  async exists(fileId: number): Promise<boolean> {
    const c = await this.conn();
    const r = await c.adapter.modify(ph(c.adapter.engine, 'SELECT 1 FROM tsd_info WHERE file_id = $1'), [fileId]);
    return r.length > 0;
  }
}

/** `YYMMDDHHMMSS` (a file name's tsd date, UTC) as tsd_info.file_time; undefined when it is not one. */
export function fileTimeOfDate(date: string): string | undefined {
  const m = /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)$/.exec(date);
  if (!m) return undefined;
  const d = new Date(
    Date.UTC(2000 + Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])),
  );
  return Number.isNaN(d.getTime()) ? undefined : tsdFileTime(d);
}
