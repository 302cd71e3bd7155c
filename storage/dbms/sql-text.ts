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
