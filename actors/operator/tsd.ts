// almgm.tsd_info upkeep (`update_tsd_info = true`; EdgeLake dbms/db_info.py L1617-1755): a row per
// ingested file (and, here, per applied journal batch: EdgeLake's streamer writes those as files),
// inserted when the operator takes the file (rows 0, its file_id becomes the file's tsd row id and
// the rows' tsd_id), then updated with the row count. A hash already there is a duplicate file (86).
// tsd_info lives in another database than the rows, so it is written in its own transactions.
import { DbmsError, errorMessage } from '../../runtime/errors.js';
import { TSD_DBMS, tsdFileTime, tsdInfoStatements } from '../../storage/schema/tsd.js';
import type { Catalog } from './catalog.js';

export const DUPLICATE_FILE = 86;

/** PostgreSQL's `$n` placeholders, as `?` for SQLite. */
const ph = (engine: 'sqlite' | 'psql', sql: string): string => (engine === 'sqlite' ? sql.replace(/\$\d+/g, '?') : sql);

export class TsdInfo {
  private ready = false;

  constructor(private readonly catalog: Catalog) {}

  private async conn() {
    const c = this.catalog.get(TSD_DBMS);
    if (!c) throw new DbmsError(`update_tsd_info needs dbms '${TSD_DBMS}' connected`, { code: 10, retriable: true });
    if (!this.ready) {
      await c.adapter.execDDL(tsdInfoStatements(c.adapter.engine));
      this.ready = true;
    }
    return c;
  }

  /** Records a file being taken; returns its file_id. Throws code 86 for a known hash. */
  async begin(dbms: string, table: string, source: string, hash: string, instructions: string, at: Date): Promise<number> {
    const c = await this.conn();
    try {
      const rows = await c.adapter.modify(
        ph(c.adapter.engine, 'INSERT INTO tsd_info (dbms_name, table_name, source, file_hash, instructions, file_time, rows, status1, status2) VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $8) RETURNING file_id'),
        [dbms, table, source, hash, instructions, tsdFileTime(at), '', ''],
      );
      return Number(rows[0]?.[0]);
    } catch (err) {
      if (/unique|duplicate/i.test(errorMessage(err))) throw new DbmsError(`duplicate file: hash ${hash} is already in tsd_info`, { code: DUPLICATE_FILE, cause: err });
      throw err;
    }
  }

  async finish(fileId: number, rows: number): Promise<void> {
    const c = await this.conn();
    await c.adapter.modify(ph(c.adapter.engine, 'UPDATE tsd_info SET rows = $1 WHERE file_id = $2'), [rows, fileId]);
  }

  /** A claimed file whose tsd row already exists (a restart mid-file): nothing to insert. */
  async exists(fileId: number): Promise<boolean> {
    const c = await this.conn();
    const r = await c.adapter.modify(ph(c.adapter.engine, 'SELECT 1 FROM tsd_info WHERE file_id = $1'), [fileId]);
    return r.length > 0;
  }
}
