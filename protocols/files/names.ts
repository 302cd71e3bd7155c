// EdgeLake watch_dir file names (generic/utils_io.py set_file_name_metadata L91-161; spec section 3).
//
//   json:  dbms.table[.source[.hash[.instructions[.tsd_member.tsd_row_id.tsd_date]]]].json
//   sql:   dbms.table[.partition[.source[.hash[.instructions[...]]]]].sql
//   gz:    <a json or sql name>.gz, decompressed in place and read at the next scan
//
//   segment       default  meaning
//   dbms, table   -        required, case kept
//   partition     0        sql only
//   source        0        device id
//   hash          0        md5 of "<dbms>.<table>" + file bytes (hash.ts)
//   instructions  0        mapping policy id
//   tsd_member    -        json, 8 segments: member id of the operator that took the file first, or
//                          '@' (rows already inserted by the streamer, write_immediate)
//   tsd_row_id    -        its file_id in almgm.tsd_info / tsd_<member>
//   tsd_date      -        YYMMDDHHMMSS UTC
//
// Errors, code 119 (Error_file_name_struct): fewer than 2 segments; a .json with 6, 7 or more than 8
// segments; 8 segments with a member that is neither an integer nor '@', or with row id 0. A date
// shorter than 12 characters only logs (a warning here).
// Stricter than EdgeLake, because these values end up in SQL and in table names: an empty dbms or table,
// a member that is not plain digits (EdgeLake's int() takes " 57", "+57", "-3") and a row id that is not
// a positive integer (EdgeLake splices it into an INSERT as text) are rejected, also with 119.
import { ProtocolError } from '../../base/errors.js';

// The hash segment lives in hash.ts; re-exported so one import serves the writers of file names.
export { createFileHasher, fileHash } from './hash.js';

/** EdgeLake process_status.Error_file_name_struct. */
export const FILE_NAME_ERROR = 119;

export interface TsdSegments {
  member: number | '@';
  rowId: string;
  date: string;
}

interface Common {
  /** The name as given, without any directory. */
  fileName: string;
  dbms: string;
  table: string;
  source: string;
  hash: string;
  instructions: string;
}

export interface JsonFileName extends Common {
  type: 'json';
  /** Present with 8 segments. */
  tsd?: TsdSegments;
  /** What EdgeLake only logs (a short tsd_date). */
  warnings: string[];
}

export interface SqlFileName extends Common {
  type: 'sql';
  partition: string;
  /** Segments after instructions (EdgeLake ignores them). */
  rest: string[];
}

export interface GzFileName {
  type: 'gz';
  fileName: string;
  /** The name once decompressed (the text before `.gz`). */
  inner: string;
}

export type ParsedFileName = JsonFileName | SqlFileName | GzFileName;

function fail(fileName: string, reason: string): never {
  throw new ProtocolError(`file name ${JSON.stringify(fileName)}: ${reason}`, { code: FILE_NAME_ERROR });
}

/** Splits `dir/name.type` into name and type (utils_io.py extract_path_name_type); both separators count. */
function splitName(path: string): { fileName: string; base: string; type: string } {
  const fileName = path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);
  const dot = fileName.lastIndexOf('.');
  return dot === -1
    ? { fileName, base: fileName, type: '' }
    : { fileName, base: fileName.slice(0, dot), type: fileName.slice(dot + 1) };
}

const seg = (parts: readonly string[], i: number): string => parts[i] ?? '0';

/** Parses a watch_dir file name (a directory part is ignored); a ProtocolError with code 119 otherwise. */
export function parseFileName(path: string): ParsedFileName {
  const { fileName, base, type } = splitName(path);
  if (type === 'gz') {
    if (base === '') fail(fileName, 'nothing before .gz');
    return { type: 'gz', fileName, inner: base };
  }
  if (type !== 'json' && type !== 'sql') fail(fileName, `unsupported file type "${type}" (json, sql or gz)`);
  const parts = base.split('.');
  if (parts.length < 2) fail(fileName, 'missing dbms.table section');
  if (type === 'json' && parts.length > 5 && parts.length !== 8)
    fail(fileName, `${parts.length} sections (json takes 2 to 5, or 8)`);
  const dbms = parts[0] ?? '';
  const table = parts[1] ?? '';
  if (dbms === '' || table === '') fail(fileName, 'empty dbms or table section');
  if (type === 'sql') {
    return {
      type: 'sql',
      fileName,
      dbms,
      table,
      partition: seg(parts, 2),
      source: seg(parts, 3),
      hash: seg(parts, 4),
      instructions: seg(parts, 5),
      rest: parts.slice(6),
    };
  }
  const out: JsonFileName = {
    type: 'json',
    fileName,
    dbms,
    table,
    source: seg(parts, 2),
    hash: seg(parts, 3),
    instructions: seg(parts, 4),
    warnings: [],
  };
  if (parts.length === 8) {
    const m = parts[5] ?? '';
    const rowId = parts[6] ?? '';
    const date = parts[7] ?? '';
    let member: number | '@';
    if (m === '@') member = '@';
    else if (/^\d{1,9}$/.test(m)) member = Number(m);
    else fail(fileName, `TSD member section "${m}" is neither an integer nor @`);
    if (rowId === '0' || /^0*$/.test(rowId)) fail(fileName, 'TSD member section is missing a row ID value');
    if (!/^\d{1,18}$/.test(rowId)) fail(fileName, `TSD row id "${rowId}" is not a positive integer`);
    if (date.length < 12) out.warnings.push(`time section with incorrect length: '${base}'`);
    out.tsd = { member, rowId, date };
  }
  return out;
}

export interface FileNameParts {
  dbms: string;
  table: string;
  source?: string;
  hash?: string;
  instructions?: string;
  tsd?: TsdSegments;
}

function checkSegment(value: string, what: string): string {
  if (value === '' || /[./\\]/.test(value)) {
    throw new ProtocolError(`${what} ${JSON.stringify(value)} cannot be a file name section`, {
      code: FILE_NAME_ERROR,
    });
  }
  return value;
}

/**
 * `dbms.table.source.hash.instructions.json` (what REST and the streamer write, sd L481-507), or with
 * `tsd`, the 8-section name (utils_io.py make_json_file L170-180).
 */
export function formatFileName(p: FileNameParts): string {
  const parts = [p.dbms, p.table, p.source ?? '0', p.hash ?? '0', p.instructions ?? '0'];
  if (p.tsd) parts.push(String(p.tsd.member), p.tsd.rowId, p.tsd.date);
  const what = ['dbms', 'table', 'source', 'hash', 'instructions', 'tsd member', 'tsd row id', 'tsd date'];
  return `${parts.map((s, i) => checkSegment(s, what[i] ?? 'section')).join('.')}.json`;
}

/** `YYMMDDHHMMSS` of a UTC time (utils_io.py set_time_key L204-206). */
export function dateKey(d: Date): string {
  return d.toISOString().replace(/[-:T]/g, '').slice(2, 14);
}

/** The name after the operator recorded the file in tsd_info: `...instructions.<member>.<row>.<YYMMDDHHMMSS>.json`. */
export function tsdFileName(
  name: JsonFileName,
  member: number | '@',
  rowId: number | string,
  time: Date | string,
): string {
  const date = typeof time === 'string' ? time : dateKey(time);
  return formatFileName({ ...name, tsd: { member, rowId: String(rowId), date } });
}
