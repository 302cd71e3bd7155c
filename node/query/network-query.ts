// A network query from this node (EdgeLake member_cmd.run_client L3256+ with `sql`, job_instance, the
// system_query consolidation): the statement is parsed and planned here (protocols/sql/plan.ts) with the
// column names and types of the table policy's `create`; every operator gets the statement as the user wrote
// it (each rewrites it into the remote query itself, as EdgeLake's operators do), answers its rows by
// position, and the rows of all operators are consolidated with the plan's local query (consolidate.ts).
//   options forwarded to the operators: extend, committed, include (theirs to apply); kept here: format, stat
//   output: {"Query":[..],"Statistics":[{"Count","Time","Nodes"}]} (golden rest_network_sql_query.txt) or a
//   table; a failed operator with `subset = true` is named in Statistics ("Errors": [{"node","code","error"}])
import { assertNever, CommandError, errorMessage, PeerError } from '../../base/errors.js';
import { Status } from '../../base/status.js';
import { formatTable, pyJson, type Cell } from '../../protocols/format/table.js';
import { listOption, parseSqlCommand, type SqlCommand } from '../../protocols/sql/command.js';
import { columnsOfCreate } from '../../protocols/sql/create.js';
import { planQuery, type QueryPlan } from '../../protocols/sql/plan.js';
import { parseSelect } from '../../protocols/sql/select.js';
import { resolveTimes } from '../../protocols/sql/time.js';
import type { Target } from '../../peer/destinations.js';
import type { Outcome, PeerNetwork } from '../../peer/network.js';
import { Consolidation, type Consolidated } from './consolidate.js';

export interface NetworkQuery {
  cmd: SqlCommand;
  format: OutputFormat;
  stat: boolean;
  plan: QueryPlan;
  table: string;
}

/** The forwarded options' text (values as written). */
function forwarded(cmd: SqlCommand): string {
  const parts: string[] = ['format = json'];
  const extend = listOption(cmd.options.get('extend'));
  // EdgeLake's form (member_cmd.get_generic_query): one `key = value` pair per value of a list.
  for (const e of extend) parts.push(/\s/.test(e) ? `extend = "${e.replace(/"/g, '')}"` : `extend = ${e}`);
  for (const t of listOption(cmd.options.get('include'))) parts.push(`include = ${t}`);
  const committed = cmd.options.get('committed');
  if (typeof committed === 'string') parts.push(`committed = ${committed}`);
  return parts.join(' and ');
}

/** What the operators are sent: EdgeLake sends the statement as one word, spaces as TAB (tcp_sql_query). */
export function wireText(q: NetworkQuery): string {
  return `sql ${q.cmd.dbms} ${forwarded(q.cmd)} ${q.cmd.query.replace(/[ \r\n]/g, '\t')}`;
}

const NAME = /^[\w$]+$/;

/**
 * Parses and plans `sql <dbms> [options] <query>`. `policyCreate` gives the table policy's `create` statement,
 * if the metadata has one. Throws EdgeLake's 134 for a statement it cannot read.
 */
export async function prepareQuery(
  text: string,
  resolve: (w: string) => string,
  policyCreate: (dbms: string, table: string) => Promise<string | undefined>,
): Promise<NetworkQuery> {
  const raw = parseSqlCommand(text);
  // now() and date() are this node's instant, the same for every operator (EdgeLake: get_generic_query).
  const cmd: SqlCommand = { ...raw, dbms: resolve(raw.dbms), query: resolveTimes(raw.query, new Date()) };
  const format = String(cmd.options.get('format') ?? 'json').toLowerCase();
  if (!FORMATS.includes(format))
    throw new CommandError(`run client: sql format must be one of ${FORMATS.join(', ')} (got ${format})`, {
      code: Status.CommandStructure,
    });
  const statText = String(cmd.options.get('stat') ?? 'true').toLowerCase();
  if (statText !== 'true' && statText !== 'false')
    throw new CommandError(`run client: sql stat must be true or false (got ${statText})`, {
      code: Status.CommandStructure,
    });
  const sel = parseSelect(cmd.query);
  const table = sel.table.replace(/^[\w$]+\./, '');
  const create = NAME.test(cmd.dbms) && NAME.test(table) ? await policyCreate(cmd.dbms, table) : undefined;
  const columns = create ? columnsOfCreate(create) : undefined;
  const plan = planQuery(sel, {
    engine: 'sqlite',
    localTable: 'query',
    ...(columns && columns.size > 0 ? { columns } : {}),
    extend: listOption(cmd.options.get('extend')),
  });
  return { cmd, format: format as OutputFormat, stat: statText === 'true', plan, table };
}

/** One row of an answer: EdgeLake's positional keys in order, an edgelake-rt row's values in order. */
function rowValues(r: Record<string, unknown>, rt: boolean): unknown[] {
  if (rt) return Object.values(r);
  const out: unknown[] = [];
  for (const [k, v] of Object.entries(r)) if (/^\d+$/.test(k)) out[Number(k)] = v;
  return out;
}

/**
 * The plan of a `select *` without the table's metadata: its columns are what the first answer has (an
 * edgelake-rt operator names them; an EdgeLake one only numbers them).
 */
function starPlan(plan: QueryPlan, first: Record<string, unknown>, rt: boolean): QueryPlan {
  const names = rt ? Object.keys(first) : rowValues(first, false).map((_, i) => String(i));
  const ext = plan.extend.length;
  const cols = names.slice(ext).map((name) => ({ name, type: '' }));
  return { ...plan, create: [...plan.create, ...cols], titles: [...plan.titles, ...cols.map((c) => c.name)] };
}

/** A `select *` whose columns are not known yet (no table policy). */
function needsColumns(plan: QueryPlan): boolean {
  return plan.star && plan.create.length === plan.extend.length;
}

/** One operator's answer for the second pass: its JSON texts, and whether an edgelake-rt node sent it. */
export interface RowsPart {
  rows: string[];
  rt: boolean;
}

/** The answers that are rows, for the second pass. */
function rowsParts(outcomes: readonly Outcome[]): RowsPart[] {
  return outcomes.flatMap((o) => (o.kind === 'rows' ? [{ rows: o.rows, rt: o.rt }] : []));
}

/** The rows of one operator's JSON answer (`{"Query": [{...}, ...]}`); a malformed answer is the peer's error. */
function answerRows(text: string): Record<string, unknown>[] {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (err) {
    throw new PeerError(`run client: an operator's answer is not JSON: ${errorMessage(err)}`, { code: Status.Network });
  }
  // No `Query` (another kind of answer, as before): no rows.
  const rows = obj !== null && typeof obj === 'object' ? (obj as { Query?: unknown }).Query : undefined;
  if (rows === undefined) return [];
  if (!Array.isArray(rows) || !rows.every((r) => r !== null && typeof r === 'object' && !Array.isArray(r)))
    throw new PeerError(`run client: an operator's answer is not a query result: ${text.slice(0, 120)}`, {
      code: Status.Network,
    });
  return rows as Record<string, unknown>[];
}

/**
 * Consolidates the answers of the operators: a pure step (no node state), run by a query worker
 * (node/query.ts `consolidateInPool`), never on the node's thread.
 */
export function consolidate(queryPlan: QueryPlan, parts: readonly RowsPart[]): Consolidated {
  let plan = queryPlan;
  const parsed: { rows: unknown[][]; rt: boolean }[] = [];
  for (const o of parts) {
    const rows: unknown[][] = [];
    for (const text of o.rows) {
      for (const r of answerRows(text)) {
        if (needsColumns(plan)) plan = starPlan(plan, r, o.rt);
        rows.push(rowValues(r, o.rt));
      }
    }
    parsed.push({ rows, rt: o.rt });
  }
  if (needsColumns(plan)) return { columns: plan.titles, rows: [] };
  const c = new Consolidation(plan);
  try {
    for (const p of parsed) c.add(p.rows, !p.rt);
  } catch (err) {
    c.close();
    throw err;
  }
  return c.finish();
}

export interface NodeFailure {
  node: string;
  code: number;
  error: string;
}

function hms(ms: number): string {
  const s = Math.floor(ms / 1000);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${two(Math.floor(s / 3600))}:${two(Math.floor((s % 3600) / 60))}:${two(s % 60)}`;
}

function toCell(v: unknown): Cell {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') return pyJson(v);
  return v as Cell;
}

export type OutputFormat = 'json' | 'json:list' | 'json:output' | 'table';
const FORMATS: readonly string[] = ['json', 'json:list', 'json:output', 'table'];

/**
 * EdgeLake's network query reply (output_data.OutputManager):
 *   json          {"Query":[<row>,..],\n"Statistics":[{..}]}      (rest_network_sql_query.txt)
 *   json:list     [<row>,..]  then \n{"Statistics":[{..}]}
 *   json:output   <row> per line, then {"Statistics":[{..}]}
 *   table         EdgeLake's text table
 * `stat = false` leaves the statistics out.
 */
export function formatResult(
  r: Consolidated,
  format: OutputFormat,
  stat: boolean,
  nodes: number,
  elapsedMs: number,
  failures: readonly NodeFailure[],
): string {
  if (format === 'table')
    return formatTable(
      r.columns,
      r.rows.map((row) => row.map(toCell)),
    );
  const rows = r.rows.map((row) => JSON.stringify(Object.fromEntries(r.columns.map((c, i) => [c, row[i] ?? null]))));
  const errors = failures.length > 0 ? `,"Errors":${JSON.stringify(failures)}` : '';
  const stats = `"Statistics":[{"Count": ${r.rows.length},"Time":"${hms(elapsedMs)}","Nodes": ${nodes}${errors}}]`;
  switch (format) {
    case 'json':
      return stat ? `{"Query":[${rows.join(',')}],\n${stats}}` : `{"Query":[${rows.join(',')}]}`;
    case 'json:list':
      return `[${rows.join(',')}]${stat ? `\n{${stats}}` : ''}`;
    case 'json:output':
      return [...rows, ...(stat ? [`{${stats}}`] : [])].join('\n');
    default:
      return assertNever(format, 'output format');
  }
}

/** EdgeLake's codes from 1000 up are not errors (process_status.NON_ERROR_RET_VALUE): 1006 is an empty set. */
const NON_ERROR = 1000;

/** An answer that is an empty set (an EdgeLake operator answers no rows with error 1006, Empty_data_set). */
function isEmptySet(o: Outcome): boolean {
  return o.kind === 'text' && o.error >= NON_ERROR;
}

/** A failed operator: `failed` (not reached, timed out) or a query error it answered. */
export function failureOf(o: Outcome): NodeFailure | undefined {
  if (isEmptySet(o)) return undefined;
  if (o.kind === 'failed') return { node: o.target.label, code: o.code, error: o.reason };
  if (o.kind === 'text' && o.error !== 0) return { node: o.target.label, code: o.error, error: o.text.trim() };
  if (o.kind === 'text') return { node: o.target.label, code: Status.Network, error: `not a query answer: ${o.text}` };
  return undefined;
}

/**
 * Sends the query to the operators (each entry: the candidates of one cluster, best first; the next one is
 * tried when one cannot be reached) and consolidates the answers. Without `subset`, a failed operator fails
 * the query, naming it.
 */
export async function runNetworkQuery(
  peers: PeerNetwork,
  q: NetworkQuery,
  clusters: readonly (readonly Target[])[],
  opts: {
    timeoutMs: number;
    subset: boolean;
    onTimeout?: () => void;
    /** Runs the second pass (`consolidate`) where queries run: node/query.ts `consolidateInPool`. */
    consolidate: (plan: QueryPlan, parts: RowsPart[]) => Promise<Consolidated>;
  },
): Promise<string> {
  const t0 = performance.now();
  const wire = wireText(q);
  const finals: Outcome[] = [];
  let round = clusters.map((c) => ({ candidates: c, at: 0 }));
  // Bounded: each round moves every failed cluster to its next candidate.
  while (round.length > 0) {
    const outcomes = await peers.request(
      round.map((r) => r.candidates[r.at]!),
      wire,
      { timeoutMs: opts.timeoutMs },
    );
    const next: typeof round = [];
    outcomes.forEach((o, i) => {
      const r = round[i]!;
      // Not reached: another operator of the same cluster holds the same data (EdgeLake: metadata.get_operators).
      if (o.kind === 'failed' && r.at + 1 < r.candidates.length) next.push({ ...r, at: r.at + 1 });
      else finals.push(o);
    });
    round = next;
  }
  // EdgeLake 26 (Time Out): some peer did not answer in time (the node's query_timeouts_total).
  if (finals.some((o) => o.kind === 'failed' && o.code === Status.Timeout)) opts.onTimeout?.();
  const failures = finals.map(failureOf).filter((f): f is NodeFailure => f !== undefined);
  if (failures.length > 0 && (!opts.subset || failures.length === finals.length)) {
    const f = failures[0]!;
    const queryError = finals.find((o) => o.kind === 'text' && o.error !== 0 && !isEmptySet(o));
    if (queryError && queryError.kind === 'text')
      throw new CommandError(
        `run client: query failed on [From Node ${queryError.target.label}] ${queryError.text.trim()}`,
        {
          code: queryError.error,
        },
      );
    const head = finals.length > 1 ? `${failures.length} of ${finals.length} peers failed: ` : '';
    throw new PeerError(`run client: ${head}${failures.map((x) => `${x.node} ${x.error}`).join('; ')}`, {
      code: f.code,
    });
  }
  const result = await opts.consolidate(q.plan, rowsParts(finals));
  return formatResult(result, q.format, q.stat, clusters.length, performance.now() - t0, failures);
}
