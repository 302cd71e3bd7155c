// EdgeLake's SELECT dialect as its parser takes it (generic/utils_sql.py format_select_sql, select_parser.py
// parse_sql, utils_sql.process_projection): one table, no joins.
//   select [distinct] <item>[, <item> ...] from <table>
//          [where <condition>] [group by <expr>[, ...]] [order by <expr> [asc|desc][, ...]]
//          [limit <n> [per <column>]] [;]
//   <item>  *  |  <column> [as <name>]  |  <function>(<args>) [as <name>]
// Functions kept by name (lower case) with their argument text: count(*), count(x), count(distinct x), avg, min,
// max, sum, range, increments(<unit>, <n>, <column>), and any other the dbms knows (passed on as written).
// Keywords are found at the top level only (outside quotes and parentheses). Anything else is EdgeLake's error
// 134, "Error in SQL Select statement".
import { CommandError } from '../../base/errors.js';
import { Status } from '../../base/status.js';

export interface SelectItem {
  /** The item as written, without its alias. */
  expr: string;
  /** `as <name>`, else ''. */
  alias: string;
  /** The function's name in lower case, '' for a column or `*`. */
  func: string;
  /** The text between the function's parentheses (trimmed). */
  arg: string;
}

export interface OrderItem {
  expr: string;
  desc: boolean;
}

export interface ParsedSelect {
  distinct: boolean;
  items: SelectItem[];
  table: string;
  /** The where condition's text, '' when none. */
  where: string;
  groupBy: string[];
  orderBy: OrderItem[];
  limit: number | undefined;
  /** `limit N per <column>`: N rows per value of the column (EdgeLake: member_cmd.process_limit). */
  perColumn: string | undefined;
}

export const selectError = (text: string): CommandError =>
  new CommandError(`Error in SQL Select statement: ${text}`, { code: Status.SelectStatement });

/** Offsets of top-level characters: `visit(i, c)` sees only those outside quotes and parentheses. */
function scanTop(text: string, visit: (i: number, c: string) => boolean | void): void {
  let depth = 0;
  let quote = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = '';
      continue;
    }
    if (c === "'" || c === '"' || c === '`') quote = c;
    else if (c === '(') depth++;
    else if (c === ')') {
      depth--;
      if (depth < 0) throw selectError(`unbalanced ')' in '${text}'`);
    } else if (depth === 0 && visit(i, c) === true) return;
  }
  if (quote) throw selectError(`unterminated quote in '${text}'`);
  if (depth !== 0) throw selectError(`unbalanced '(' in '${text}'`);
}

/** Splits at top-level commas. */
export function splitTop(text: string, sep = ','): string[] {
  const parts: string[] = [];
  let start = 0;
  scanTop(text, (i, c) => {
    if (c === sep) {
      parts.push(text.slice(start, i).trim());
      start = i + 1;
    }
  });
  parts.push(text.slice(start).trim());
  return parts;
}

interface KeywordHit {
  kw: string;
  at: number;
  end: number;
}

const KEYWORDS = ['from', 'where', 'group by', 'order by', 'limit'];

/** The top-level clause keywords in order of appearance. */
function findKeywords(text: string): KeywordHit[] {
  const hits: KeywordHit[] = [];
  const lower = text.toLowerCase();
  scanTop(text, (i) => {
    if (i > 0 && /[\w$.]/.test(text[i - 1]!)) return;
    for (const kw of KEYWORDS) {
      const words = kw.split(' ');
      const re = new RegExp(`^${words.join('\\s+')}(?![\\w$])`);
      const m = re.exec(lower.slice(i, i + 40));
      if (m) {
        hits.push({ kw, at: i, end: i + m[0].length });
        return;
      }
    }
  });
  return hits;
}

function parseItem(text: string): SelectItem {
  if (text === '') throw selectError('empty projection item');
  let expr = text;
  let alias = '';
  const as = /\s+as\s+("?)([\w$]+)\1\s*$/i.exec(text);
  if (as) {
    expr = text.slice(0, as.index).trim();
    alias = as[2]!;
  }
  const fn = /^([A-Za-z_][\w]*)\s*\(([\s\S]*)\)$/.exec(expr);
  if (fn) {
    // `f(a) + g(b)` is not one call: the first '(' must close at the end.
    let depth = 0;
    let closesAt = -1;
    const open = expr.indexOf('(');
    scanTopFrom(expr, open, (i, d) => {
      depth = d;
      if (depth === 0 && closesAt < 0) closesAt = i;
    });
    if (closesAt === expr.length - 1) return { expr, alias, func: fn[1]!.toLowerCase(), arg: fn[2]!.trim() };
  }
  return { expr, alias, func: '', arg: '' };
}

/** Calls `at(i, depth)` after each parenthesis from `open` on (quotes skipped). */
function scanTopFrom(text: string, open: number, at: (i: number, depth: number) => void): void {
  let depth = 0;
  let quote = '';
  for (let i = open; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = '';
      continue;
    }
    if (c === "'" || c === '"') quote = c;
    else if (c === '(') at(i, ++depth);
    else if (c === ')') at(i, --depth);
  }
}

function parseOrder(text: string): OrderItem[] {
  return splitTop(text).map((part) => {
    const m = /^([\s\S]*?)\s+(asc|desc)$/i.exec(part);
    if (m) return { expr: m[1]!.trim(), desc: m[2]!.toLowerCase() === 'desc' };
    if (part === '') throw selectError('empty order by item');
    return { expr: part, desc: false };
  });
}

/** Parses one SELECT statement; throws EdgeLake's error 134 for anything else. */
export function parseSelect(sql: string): ParsedSelect {
  const text = sql
    .replace(/[\t\r\n]+/g, ' ')
    .trim()
    .replace(/;\s*$/, '')
    .trim();
  const head = /^select\s+(distinct\s+)?/i.exec(text);
  if (!head) throw selectError(`not a select statement: '${text.slice(0, 60)}'`);
  const hits = findKeywords(text);
  const from = hits.find((h) => h.kw === 'from');
  if (!from) throw selectError(`missing 'from' in '${text}'`);
  const clauses = new Map<string, string>();
  const after = hits.filter((h) => h.at >= from.at);
  for (let i = 0; i < after.length; i++) {
    const h = after[i]!;
    if (clauses.has(h.kw)) throw selectError(`'${h.kw}' twice in '${text}'`);
    const next = after[i + 1];
    if (next && KEYWORDS.indexOf(next.kw) <= KEYWORDS.indexOf(h.kw))
      throw selectError(`'${next.kw}' out of place in '${text}'`);
    clauses.set(h.kw, text.slice(h.end, next ? next.at : text.length).trim());
  }
  const projection = text.slice(head[0].length, from.at).trim();
  const items = splitTop(projection).map(parseItem);
  const table = clauses.get('from')!;
  if (!/^[\w$]+(\.[\w$]+)?$/.test(table)) throw selectError(`one table name expected after 'from' (got '${table}')`);
  let limit: number | undefined;
  let perColumn: string | undefined;
  const limitText = clauses.get('limit');
  if (limitText !== undefined) {
    const m = /^(\d+)(?:\s+per\s+([\w$]+))?$/i.exec(limitText);
    if (!m) throw selectError(`limit expects a number [per <column>] (got '${limitText}')`);
    limit = Number(m[1]);
    perColumn = m[2];
  }
  const group = clauses.get('group by');
  const order = clauses.get('order by');
  for (const [kw, v] of clauses) if (v === '') throw selectError(`nothing after '${kw}'`);
  return {
    distinct: head[1] !== undefined,
    items,
    table,
    where: clauses.get('where') ?? '',
    groupBy: group === undefined ? [] : splitTop(group),
    orderBy: order === undefined ? [] : parseOrder(order),
    limit,
    perColumn,
  };
}
