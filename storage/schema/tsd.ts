// almgm.tsd_info and tsd_<member>: EdgeLake's record of every ingested file (dbms/db_info.py
// tsd_create_local_table L1736-1755, create_member_tsd L1762-1781). The text is EdgeLake's, including
// the double space in "file_hash VARCHAR  NOT NULL" of tsd_info; on SQLite it is lowered and SERIAL
// rewritten (sqlite_dbms.py L786), which reproduces sqlite_master of a real node
// (spec/golden/operator_sqlite_dump.txt). IF NOT EXISTS replaces EdgeLake's is_table_exists() test.
import { DbmsError } from '../../base/errors.js';
import type { Engine } from '../dbms/types.js';

export const TSD_DBMS = 'almgm';
export const TSD_INFO = 'tsd_info';

const COLUMNS = (fileId: string, hashGap: string): string =>
  `file_id ${fileId},dbms_name VARCHAR NOT NULL,table_name VARCHAR NOT NULL,source VARCHAR NOT NULL,` +
  `file_hash VARCHAR${hashGap}NOT NULL,instructions VARCHAR NOT NULL,file_time TIMESTAMP NOT NULL,rows INT,` +
  `status1 VARCHAR,status2 VARCHAR`;

function forEngine(statements: string[], engine: Engine): string[] {
  if (engine === 'psql') return statements;
  return statements.map((s) => s.toLowerCase().replace(' serial primary key ', ' integer primary key autoincrement '));
}

/** CREATE TABLE tsd_info and its two indexes (file_hash unique: a known hash is a duplicate file, code 86). */
export function tsdInfoStatements(engine: Engine): string[] {
  return forEngine(
    [
      `CREATE TABLE IF NOT EXISTS tsd_info (${COLUMNS('SERIAL PRIMARY KEY NOT NULL', '  ')})`,
      'CREATE UNIQUE INDEX IF NOT EXISTS hash_index ON tsd_info(file_hash)',
      'CREATE INDEX IF NOT EXISTS time_index ON tsd_info(file_time)',
    ],
    engine,
  );
}

/** The table for files that cluster member `member` ingested first: file ids are the member's. */
export function tsdMemberStatements(member: number, engine: Engine): string[] {
  if (!Number.isSafeInteger(member) || member < 0)
    throw new DbmsError(`tsd member must be a non-negative integer (got ${member})`);
  const t = `tsd_${member}`;
  return forEngine(
    [
      `CREATE TABLE IF NOT EXISTS ${t} (${COLUMNS('INT PRIMARY KEY NOT NULL', ' ')})`,
      `CREATE UNIQUE INDEX IF NOT EXISTS hash_index_${member} ON ${t}(file_hash)`,
      `CREATE INDEX IF NOT EXISTS time_index_${member} ON ${t}(file_time)`,
    ],
    engine,
  );
}

/** `tsd_info.file_time` as EdgeLake stores it: `YYYY-MM-DD HH:MM:SS.ffffff` UTC (db_info.py L1662). */
export function tsdFileTime(d: Date): string {
  return `${d.toISOString().replace('T', ' ').slice(0, 23)}000`;
}
