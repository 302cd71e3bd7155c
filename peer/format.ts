// How `run client` shows the answers (EdgeLake job_instance.get_nodes_print_message L365-397):
//   text answer   "\r\n[From Node <ip:port>] <text>"           (<= 120 characters, one line)
//                 "\r\n[From Node <ip:port>]\r\n<text>"        (longer, or several lines)
//   JSON answers  {"<ip:port>" : <json>, ...}                   (generic flag 2)
//   both          {"<ip:port>" : <json>, ...,"messages" : "<the text answers>"}
// A query (`sql`) answers with rows that are joined into EdgeLake's query reply (rest_network_sql_query.txt):
//   {"Query":[<row>,...],\n"Statistics":[{"Count": <rows>,"Time":"HH:MM:SS","Nodes": <peers>}]}
// EdgeLake operators send each row as {"Query":[{"0":"<text>","1":"<text>"}]}: columns by position, values as
// text (member_cmd.query_row_by_row; the query node's make_insert_row needs exactly that). The query node puts
// them back under the projection's names, with types from its metadata; without metadata here, a value that
// is a canonical number ("1.5", not "007") becomes a number. edgelake-rt peers answering an edgelake-rt node
// send names and typed values (peer/wire.ts), so nothing is guessed between edgelake-rt nodes.
// Not done here (EdgeLake's query node does it in its system_query dbms): ordering, grouping or aggregating the
// rows of several peers together; they are concatenated in peer order. `select *` to EdgeLake keeps the
// positional names ("0", "1", ..), which only its metadata could resolve.
import { formatTable, pyJson, type Cell } from '../protocols/format/table.js';
import type { Outcome } from './network.js';

/** The `[From Node ...]` text of all answers, EdgeLake's way. */
export function formatAnswers(outcomes: readonly Outcome[]): string {
  const json: string[] = [];
  let text = '';
  for (const o of outcomes) {
    const label = o.target.label;
    const body = o.kind === 'text' ? o.text : o.kind === 'failed' ? `Error: ${o.reason}` : `(${o.rows.length} rows)`;
    if (o.kind === 'text' && o.json && o.error === 0) {
      json.push(`"${label}" : ${body}`);
      continue;
    }
    text +=
      body.length <= 120 && !body.includes('\n')
        ? `\r\n[From Node ${label}] ${body}`
        : `\r\n[From Node ${label}]\r\n${body}`;
  }
  if (json.length === 0) return text;
  return text ? `{${json.join(',')},"messages" : ${JSON.stringify(text)}}` : `{${json.join(',')}}`;
}

const CANONICAL_NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

/** A value of an EdgeLake row (text): a canonical number becomes a number, an empty text null. */
function edgeLakeValue(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  if (v === '') return null;
  return CANONICAL_NUMBER.test(v) && Number.isFinite(Number(v)) ? Number(v) : v;
}

/** The names of a select's projection (`a`, `t.b` -> `b`, `x as y` -> `y`, else the expression text). */
export function projectionNames(query: string): string[] {
  const m = /^\s*select\s+(?:distinct\s+)?([\s\S]*?)\s+from\s/i.exec(query);
  if (!m) return [];
  const names: string[] = [];
  let depth = 0;
  let cur = '';
  let quote = '';
  for (const c of m[1]!) {
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      names.push(cur.trim());
      cur = '';
      continue;
    }
    cur += c;
  }
  names.push(cur.trim());
  return names.map((e) => {
    const alias = /\s+as\s+("?)([\w$]+)\1$/i.exec(e);
    if (alias) return alias[2]!;
    const col = /^(?:[\w$]+\.)?([\w$]+)$/.exec(e);
    return col ? col[1]! : e;
  });
}

interface RowsResult {
  columns: string[];
  rows: Record<string, unknown>[];
}

/** The rows of every peer as objects: EdgeLake's positional keys renamed to the projection's names. */
export function collectRows(outcomes: readonly Outcome[], query: string): RowsResult {
  // `select *`: the names are in the peer's metadata, not in the query; EdgeLake's positions are kept.
  const projection = projectionNames(query);
  const names = projection.some((n) => n === '*' || n.endsWith('.*')) ? [] : projection;
  const rows: Record<string, unknown>[] = [];
  let columns: string[] = [];
  for (const o of outcomes) {
    if (o.kind !== 'rows') continue;
    for (const text of o.rows) {
      const parsed = JSON.parse(text) as { Query?: Record<string, unknown>[] };
      for (const r of parsed.Query ?? []) {
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(r)) {
          const pos = /^\d+$/.test(k) ? Number(k) : -1;
          const name = pos >= 0 && names[pos] !== undefined && !o.rt ? names[pos]! : k;
          out[name] = o.rt ? v : edgeLakeValue(v);
        }
        if (columns.length === 0) columns = Object.keys(out);
        rows.push(out);
      }
    }
  }
  return { columns, rows };
}

function hms(ms: number): string {
  const s = Math.floor(ms / 1000);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${two(Math.floor(s / 3600))}:${two(Math.floor((s % 3600) / 60))}:${two(s % 60)}`;
}

/** EdgeLake's network query reply, JSON (the default) or a table. */
export function formatQuery(result: RowsResult, nodes: number, elapsedMs: number, format: string): string {
  if (format === 'table') {
    return formatTable(
      result.columns,
      result.rows.map((r) => result.columns.map((c) => toCell(r[c]))),
    );
  }
  const rows = result.rows.map((r) => JSON.stringify(r)).join(',');
  return `{"Query":[${rows}],\n"Statistics":[{"Count": ${result.rows.length},"Time":"${hms(elapsedMs)}","Nodes": ${nodes}}]}`;
}

function toCell(v: unknown): Cell {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') return pyJson(v);
  return v as Cell;
}
