// What a signed peer's `sql` command reads, as its permissions must see it (node/auth/permissions.ts checks
// each dbms.table). EdgeLake's dialect reads one table (protocols/sql/select.ts), plus the `include = ..` ones;
// but the WHERE is passed on as written, so a subquery there (`where v in (select v from other)`) reads a table
// no check named. A statement with a subquery therefore needs the whole dbms (table `*`); one that is not a
// select of that dialect, or names its dbms or table by anything but a plain name (`sql !d ..`: the variable
// resolves after the check), is refused.
import { CommandError } from '../../base/errors.js';
import { listOption, parseSqlCommand } from '../../protocols/sql/command.js';
import { parseSelect } from '../../protocols/sql/select.js';
import { resolveTimes } from '../../protocols/sql/time.js';

export interface SqlPart {
  dbms: string;
  /** `*`: any table of the dbms (the statement has a subquery). */
  table: string;
}

export type SqlScope = { ok: true; parts: SqlPart[] } | { ok: false; why: string };

const PLAIN = /^\w+$/;

export function sqlScope(text: string): SqlScope {
  let dbms: string;
  let query: string;
  let table: string;
  let include: string[];
  try {
    const q = parseSqlCommand(text);
    dbms = q.dbms;
    query = q.query;
    include = listOption(q.options.get('include'));
    table = parseSelect(resolveTimes(q.query, new Date())).table;
  } catch (err) {
    if (!(err instanceof CommandError)) throw err;
    return { ok: false, why: `the statement is not one select of one table (${err.message})` };
  }
  const parts: SqlPart[] = [
    { dbms, table },
    ...include.map((e) => {
      const dot = e.indexOf('.');
      return dot < 0 ? { dbms, table: e } : { dbms: e.slice(0, dot), table: e.slice(dot + 1) };
    }),
  ];
  for (const p of parts)
    if (!PLAIN.test(p.dbms) || !PLAIN.test(p.table))
      return { ok: false, why: `'${p.dbms}.${p.table}' is not a plain dbms and table name` };
  // The first `select` is the statement's own; any other (quoted or not) may read another table.
  if ((query.match(/select/gi) ?? []).length > 1) parts.push({ dbms, table: '*' });
  return { ok: true, parts };
}
