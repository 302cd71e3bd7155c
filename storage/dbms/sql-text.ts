// Small SQL text helpers shared by the adapters. Identifiers are always quoted (a name from a
// payload can never end a string or start a statement); values are always bound parameters.
import { DbmsError } from '../../base/errors.js';
import { Status } from '../../base/status.js';

export function quoteIdent(name: string): string {
  if (name.length === 0 || name.length > 255 || name.includes('\u0000'))
    throw new DbmsError(`invalid SQL name ${JSON.stringify(name)}`);
  return `"${name.replace(/"/g, '""')}"`;
}

/** A JSON path for SQLite's json_extract / `->>`: `$."key"` with the key's quotes escaped. */
export function jsonPath(key: string): string {
  return `$."${key.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** A SQL string literal (only for constant text the code itself builds, never for payload values). */
export function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

const READ_ONLY = /^(select|with|values|explain)\b/i;

/**
 * Refuses anything but one read-only statement: the `sql` command reads data back; writes go
 * through the operator. Comments are stripped before the check.
 */
export function assertReadOnly(sql: string): string {
  const stripped = sql
    .replace(/--[^\n]*/g, ' ')
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .trim()
    .replace(/;\s*$/, '');
  if (!READ_ONLY.test(stripped))
    throw new DbmsError(`only SELECT queries are allowed here (got "${stripped.slice(0, 40)}")`, {
      code: Status.CommandStructure,
    });
  // A second statement after a `;` outside quotes.
  let quote: string | undefined;
  for (const c of stripped) {
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === ';') throw new DbmsError('one statement per query', { code: Status.CommandStructure });
  }
  return stripped;
}

const TS = String.raw`\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?Z?`;
const COL = String.raw`(?:"[^"]+"|[A-Za-z_][\w.]*)`;
const OP = String.raw`(?:>=|<=|<>|!=|=|>|<)`;
const COL_OP_TS = new RegExp(String.raw`(${COL})\s*(${OP})\s*'(${TS})'`, 'g');
const TS_OP_COL = new RegExp(String.raw`'(${TS})'\s*(${OP})\s*(${COL})`, 'g');
const BETWEEN = new RegExp(String.raw`(${COL})\s+(not\s+)?between\s+'(${TS})'\s+and\s+'(${TS})'`, 'gi');
const KEYWORD = /^(and|or|not|where|on|when|then|else|case|select|from|having|by)$/i;

/**
 * SQLite keeps timestamps as the text they came in (`2026-01-02T03:04:05.000000Z`), so `ts >= '2026-01-02
 * 03:04:10'` would compare text: the space sorts before `T` and every row of that day would match. Comparisons of
 * a column with a date-time literal compare instants instead, through julianday() on both sides (SQLite's date
 * functions read the `T` and space forms, any fraction and a `Z`). PostgreSQL compares timestamps natively.
 * The selected values are untouched: only the conditions change.
 */
export function sqliteTimeComparisons(sql: string): string {
  const jd = (col: string): string => `julianday(${col})`;
  return sql
    .replace(BETWEEN, (m, col: string, not: string | undefined, a: string, b: string) =>
      KEYWORD.test(col) ? m : `${jd(col)} ${not ?? ''}between julianday('${a}') and julianday('${b}')`,
    )
    .replace(COL_OP_TS, (m, col: string, op: string, ts: string) =>
      KEYWORD.test(col) ? m : `${jd(col)} ${op} julianday('${ts}')`,
    )
    .replace(TS_OP_COL, (m, ts: string, op: string, col: string) =>
      KEYWORD.test(col) ? m : `julianday('${ts}') ${op} ${jd(col)}`,
    );
}
