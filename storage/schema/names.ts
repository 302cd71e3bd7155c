// Column and table names: EdgeLake's normalisation of JSON keys (generic/utils_data.py L30-44
// translate table + reset_str_chars L294; suggest_create_table.py L63 strips the key first, L258-261
// prefixes all-digit names with '_'), and the SQL side: which names are safe, and how they are quoted.
//
// Characters at or above U+0100: EdgeLake keeps them. So do we (letters of any script stay readable),
// with one exception: invisible ones (controls, format characters such as U+200B/U+202E, separators,
// lone surrogates) become `0x%04x` like the Latin-1 symbols do, so a name never hides characters.
// EdgeLake cannot create such columns at all: the published `create` replaces every character above
// '~' with a space (create_table.py L212 via utils_data.replace_string_chars), so this changes no
// table EdgeLake could have made. Any name that is not a plain lower-case identifier is double-quoted.
import { DbmsError } from '../../base/errors.js';
import type { Engine } from '../dbms/types.js';
import { pyStrip } from './python.js';

/** The longest name accepted (code units): the adapters' quoteIdent limit (storage/dbms/sql-text.ts). */
export const MAX_NAME_LENGTH = 255;

const INVISIBLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Zs}\p{Zl}\p{Zp}]/u;

function mapChar(ch: string): string {
  const cp = ch.codePointAt(0) ?? 0;
  if (cp >= 0x61 && cp <= 0x7a) return ch; // a-z
  if (cp >= 0x30 && cp <= 0x39) return ch; // 0-9
  if (cp >= 0x41 && cp <= 0x5a) return ch.toLowerCase(); // A-Z
  if ('_ -./\\:'.includes(ch)) return '_';
  if (cp < 256) return `0x${cp.toString(16).padStart(2, '0')}`;
  if (INVISIBLE.test(ch)) return `0x${cp.toString(16).padStart(4, '0')}`;
  return ch;
}

/** EdgeLake `reset_str_chars`: the character translation alone (no strip, no digit prefix). */
export function resetStrChars(s: string): string {
  let out = '';
  // for..of walks code points; a lone surrogate comes through as one unit and is mapped above.
  for (const ch of s) out += mapChar(ch);
  return out;
}

/**
 * The column name EdgeLake gives a JSON key: strip, translate, and `_` before an all-digit name.
 * Returns undefined when nothing usable is left (EdgeLake skips an empty name; L101).
 */
export function normalizeColumnName(key: string): string | undefined {
  const n = resetStrChars(pyStrip(key));
  if (n === '') return undefined;
  return /^\p{Nd}+$/u.test(n) ? `_${n}` : n;
}

/**
 * Table names the engines keep for themselves (SQLite `sqlite_*`, PostgreSQL `pg_*`) or edgelake-rt
 * does (`_edgelake_rt_*`, storage/dbms/types.ts): rows for them are refused at every ingest door
 * (4xx on REST), since no insert into them can ever succeed, or should.
 */
export function isReservedTableName(name: string): boolean {
  return /^(sqlite_|pg_|_edgelake_rt_)/i.test(name);
}

export const reservedTableMessage = (name: string): string =>
  `table name '${name}' is reserved (sqlite_*, pg_* and _edgelake_rt_* belong to the database engines)`;

/** The same for a table (or dbms) name; it throws a DbmsError when the result is not a safe identifier. */
export function normalizeTableName(name: string): string {
  const n = normalizeColumnName(name);
  if (n === undefined || !isSafeIdentifier(n)) {
    throw new DbmsError(`table name ${JSON.stringify(name)} cannot be made a safe SQL name`);
  }
  return n;
}

/**
 * A name that normalisation produced and that can be quoted safely: non-empty, at most
 * MAX_NAME_LENGTH, only a-z 0-9 _ and visible characters from U+0100 up. (A leading digit is fine:
 * such a name is always quoted, see sqlName; EdgeLake writes it bare and the CREATE fails.)
 */
export function isSafeIdentifier(name: string): boolean {
  if (name.length === 0 || name.length > MAX_NAME_LENGTH) return false;
  for (const ch of name) {
    const cp = ch.codePointAt(0) ?? 0;
    const ascii = (cp >= 0x61 && cp <= 0x7a) || (cp >= 0x30 && cp <= 0x39) || cp === 0x5f;
    if (!ascii && (cp < 256 || INVISIBLE.test(ch))) return false;
  }
  return true;
}

// Words that fail as bare column or table names: PostgreSQL 15 pg_get_keywords() categories R and T,
// and the SQLite keywords that failed `create table`/`create index`/`insert`/`select` in libsql here.
const RESERVED = new Set(
  (
    'add all alter analyse analyze and any array as asc asymmetric authorization autoincrement between binary both ' +
    'case cast check collate collation column commit concurrently constraint create cross current_catalog ' +
    'current_date current_role current_schema current_time current_timestamp current_user default deferrable ' +
    'delete desc distinct do drop else end escape except exists false fetch for foreign freeze from full grant ' +
    'group having ilike in index initially inner insert intersect into is isnull join lateral leading left like ' +
    'limit localtime localtimestamp natural not nothing notnull null offset on only or order outer overlaps ' +
    'placing primary raise references returning right select session_user set similar some symmetric table ' +
    'tablesample then to trailing transaction true union unique update user using values variadic verbose when ' +
    'where window with'
  ).split(' '),
);

/** A name that both engines take bare: lower-case ASCII identifier, not a reserved word. */
export function isPlainIdentifier(name: string): boolean {
  return /^[a-z_][a-z0-9_]*$/.test(name) && !RESERVED.has(name);
}

/** Always quoted: `"name"`. Throws a DbmsError for a name that is not a safe identifier. */
export function quoteIdent(name: string, engine: Engine): string {
  if (!isSafeIdentifier(name)) {
    throw new DbmsError(`unsafe SQL name ${JSON.stringify(name)} (${engine})`);
  }
  // Both engines use standard SQL quoting; a safe name holds no '"' (it maps to 0x22), so none to double.
  return `"${name}"`;
}

/** The name as EdgeLake writes it when it is plain, quoted otherwise (keeps EdgeLake's DDL text byte for byte). */
export function sqlName(name: string, engine: Engine): string {
  return isPlainIdentifier(name) ? name : quoteIdent(name, engine);
}
