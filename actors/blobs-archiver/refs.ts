// The JSON files of bwatch_dir (EdgeLake alarchiver.py load_and_test_json, utils_io.read_json_strings):
// named like a watch_dir file, `<dbms>.<table>[.<source>.<hash>.<mapping policy>].json`, holding rows
// as one JSON object per line (EdgeLake), or a JSON array, or one object. Each row names its blob in the
// `file` attribute; the blob waits in blobs_dir as `<dbms>.<table>.<file>`.
// EdgeLake drops a line that is not JSON and goes on; here the whole file goes to the error directory
// with the line named, so no row is lost silently. A mapping policy's own hash column is not read
// (policies are not consulted by this service): the column is always `file`, EdgeLake's default.
import { ProtocolError } from '../../base/errors.js';
import { FILE_NAME_ERROR } from '../../protocols/files/names.js';

/** EdgeLake process_status.ERR_wrong_json_structure. */
export const JSON_STRUCTURE = 6;
export const FILE_COLUMN = 'file';
const MAX_ID = 255;

export type Row = Record<string, unknown>;

const isRow = (v: unknown): v is Row => typeof v === 'object' && v !== null && !Array.isArray(v);

export function parseRows(text: string): Row[] {
  const body = text.trim();
  if (body === '') throw new ProtocolError('the JSON file has no rows', { code: JSON_STRUCTURE });
  let whole: unknown;
  let wholeOk = true;
  try {
    whole = JSON.parse(body);
  } catch {
    wholeOk = false; // not one JSON value: read it line by line below
  }
  if (wholeOk) {
    const rows = Array.isArray(whole) ? whole : [whole];
    rows.forEach((r, i) => {
      if (!isRow(r)) throw new ProtocolError(`row ${i + 1} is not a JSON object`, { code: JSON_STRUCTURE });
    });
    if (rows.length === 0) throw new ProtocolError('the JSON file has no rows', { code: JSON_STRUCTURE });
    return rows as Row[];
  }
  const rows: Row[] = [];
  body.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (err) {
      throw new ProtocolError(`line ${i + 1} is not JSON: ${(err as Error).message}`, { code: JSON_STRUCTURE });
    }
    if (!isRow(v)) throw new ProtocolError(`line ${i + 1} is not a JSON object`, { code: JSON_STRUCTURE });
    rows.push(v);
  });
  return rows;
}

/** A file id can only be the last section of a file name: no separators, no `..`. */
export function checkFileId(id: string, where: string): string {
  if (id === '' || id.length > MAX_ID || /[/\\\u0000]/.test(id) || id === '.' || id === '..')
    throw new ProtocolError(`${where}: ${JSON.stringify(id)} cannot be a blob file id`, { code: JSON_STRUCTURE });
  return id;
}

/** The blob ids the rows name, in first-seen order, each once (EdgeLake: "Missing 'file' attribute"). */
export function blobIds(rows: readonly Row[], fileName: string): string[] {
  const ids = new Set<string>();
  rows.forEach((r, i) => {
    const v = r[FILE_COLUMN];
    if (typeof v !== 'string' && typeof v !== 'number')
      throw new ProtocolError(`Missing '${FILE_COLUMN}' attribute in line ${i + 1} with file: '${fileName}'`, {
        code: JSON_STRUCTURE,
      });
    ids.add(checkFileId(String(v), `line ${i + 1}`));
  });
  return [...ids];
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** dbms and table end up as SQL names (the operator's tables): letters, digits and `_`. */
export function checkNames(dbms: string, table: string, fileName: string): void {
  for (const [what, v] of [
    ['dbms', dbms],
    ['table', table],
  ] as const) {
    if (!NAME.test(v))
      throw new ProtocolError(
        `file name ${JSON.stringify(fileName)}: ${what} ${JSON.stringify(v)} is not a name (letters, digits, _)`,
        { code: FILE_NAME_ERROR },
      );
  }
}

/**
 * A blob dropped alone in bwatch_dir: `<dbms>.<table>.<file id>`, EdgeLake's `file store` rule
 * ("needs to start with [dbms name].[table name].[file name]").
 */
export function standaloneName(fileName: string): { dbms: string; table: string; id: string } {
  const parts = fileName.split('.');
  if (parts.length < 3 || parts.slice(2).join('.') === '')
    throw new ProtocolError(
      `Blobs file name in the wrong format, needs to start with [dbms name].[table name].[file name] and is: '${fileName}'`,
      { code: FILE_NAME_ERROR },
    );
  const [dbms, table] = parts as [string, string];
  checkNames(dbms, table, fileName);
  return { dbms, table, id: checkFileId(parts.slice(2).join('.'), fileName) };
}
