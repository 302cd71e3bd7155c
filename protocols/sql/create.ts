// The columns of a table policy's `create` statement (EdgeLake publishes the table's CREATE TABLE with the
// policy; its query node reads names and types from it: db_info.get_column_type, get_create_fields):
//   CREATE TABLE IF NOT EXISTS <t>(  row_id SERIAL PRIMARY KEY,  <name> <type> [...],  ... ); [CREATE INDEX ...]
// Constraint lines (PRIMARY KEY (..), UNIQUE (..), CONSTRAINT ..) are skipped; quoted names are unquoted.
import { splitTop } from './select.js';

const CONSTRAINT = /^(primary\s+key|unique|constraint|foreign\s+key|check)\b/i;

/** name (lower case) -> type (lower case, without constraints), in table order. */
export function columnsOfCreate(create: string): Map<string, string> {
  const out = new Map<string, string>();
  const open = create.indexOf('(');
  if (open < 0) return out;
  let depth = 0;
  let close = -1;
  for (let i = open; i < create.length; i++) {
    if (create[i] === '(') depth++;
    else if (create[i] === ')' && --depth === 0) {
      close = i;
      break;
    }
  }
  if (close < 0) return out;
  for (const line of splitTop(create.slice(open + 1, close))) {
    if (line === '' || CONSTRAINT.test(line)) continue;
    const m = /^("([^"]+)"|[\w$]+)\s+([\s\S]*)$/.exec(line);
    if (!m) continue;
    const name = (m[2] ?? m[1]!).toLowerCase();
    const type = m[3]!
      .replace(/\s+(not\s+null|null|default\b[\s\S]*|primary\s+key[\s\S]*|unique[\s\S]*|references[\s\S]*)$/i, '')
      .trim()
      .toLowerCase();
    out.set(name, type);
  }
  return out;
}
