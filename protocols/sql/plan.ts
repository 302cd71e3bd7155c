// EdgeLake's two-pass plan of a network query (dbms/unify_results.py make_sql_stmt L901-1350 and the functions
// it calls): every operator runs the *remote* query and answers its rows by position; the query node puts the
// rows of all operators into a local table (`create`) and runs the *local* query over it.
//   item                 remote (operator)                               local column(s)                 local (2nd pass)
//   column c [as a]      c [as a]                                        c <type>                        c [as a]
//   count(*)             count(*)                                        count_all integer               sum(count_all)
//   count(x)             count(x)                                        count_func_N integer            sum(count_func_N)
//   count(distinct x)    distinct x                                      distinct_N <type>               count(distinct distinct_N)
//   avg(x)               SUM (x) as sum_x, COUNT(x) as count_x           SUM__x numeric, COUNT__x int    SUM(CAST(SUM__x AS FLOAT))/NULLIF(SUM(COUNT__x),0)
//   min|max|sum(x)       min(x)                                          min_N <type>                    min(min_N)
//   range(x)             MIN(x), MAX(x)                                  RANGE__x_MIN, RANGE__x_MAX      abs(MAX(RANGE__x_MAX) - MIN(RANGE__x_MIN))
//   increments(u, n, c)  sqlite: strftime('<trunc>', c), (cast (strftime('<extract>', c) as decimal) / n)
//                        psql:   date_trunc('<trunc unit>', c), (extract(u FROM c)::int / n)
//                                                                        increments_N_trunc, _extract    (not shown) group by + order by both
//   other f(x)           f(x)                                            f_N <type>                      f(f_N)
// Increments come first (EdgeLake's proprietary functions), then the items in order; `extend = (@ip, @port,
// @dbms_name, @table_name)` columns come before all of them in the local table and in each operator's rows
// (member_cmd.get_extend_data), and are the first local group-by columns of a query with functions.
// Where: sent to the operators as written. Group by: remote as written (extend columns removed), local on the
// local names. Order by: remote as written (an alias replaced by its expression), local on the local names.
// Limit: remote and local (EdgeLake), except where a per-operator limit would change the answer: a query
// that orders by an aggregate, or groups without ordering. `limit N per col`: no limit in SQL; at most N rows
// per value of col, kept by the operator and again by the query node (member_cmd.process_limit).
// Rows need no second pass (`passThrough`) when there is no function, distinct, group, order or per-limit.
import { selectError, type ParsedSelect, type SelectItem } from './select.js';

export type SqlEngine = 'sqlite' | 'psql';

export interface LocalColumn {
  name: string;
  /** The type for the local table ('' when unknown: SQLite then keeps values as they come). */
  type: string;
}

export type ExtendKey = 'ip' | 'port' | 'dbms_name' | 'table_name';

export interface ExtendColumn {
  key: ExtendKey;
  title: string;
}

export interface QueryPlan {
  remote: string;
  /** The local table's columns, in the order of each operator's row values (extend columns first). */
  create: LocalColumn[];
  /** The second pass, over `localTable`. */
  local: string;
  /** The names the user sees, in output order. */
  titles: string[];
  passThrough: boolean;
  limit: number | undefined;
  perColumn: string | undefined;
  extend: ExtendColumn[];
}

export interface PlanOptions {
  /** The engine the remote query runs on (the operator's dbms). */
  engine: SqlEngine;
  /** The name of the local consolidation table. */
  localTable: string;
  /** The queried table's columns, name -> type, in table order (the table policy's `create`); needed by `*`. */
  columns?: ReadonlyMap<string, string>;
  /** `extend = (...)` entries as written (`@ip`, `@table_name as t`). */
  extend?: readonly string[];
}

// utils_sql.increment_date_types and utils_columns.trunc_str / extract_str.
const TRUNC_UNIT: Record<string, string> = {
  second: 'minute',
  minute: 'hour',
  hour: 'day',
  day: 'month',
  week: 'month',
  month: 'year',
  year: '',
};
const TRUNC_FORMAT: Record<string, string> = {
  year: '%Y-01-01 00:00:0.0',
  month: '%Y-%m-01 00:00:0.0',
  day: '%Y-%m-%d 00:00:0.0',
  hour: '%Y-%m-%d %H:00:0.0',
  minute: '%Y-%m-%d %H:%M:0.0',
  second: '%Y-%m-%d %H:%M:%S.0',
};
const EXTRACT_FORMAT: Record<string, string> = {
  year: '%Y',
  month: '%m',
  day: '%d',
  hour: '%H',
  minute: '%M',
  second: '%S',
};

const EXTEND_KEYS: readonly ExtendKey[] = ['ip', 'port', 'dbms_name', 'table_name'];
const NAME = /^[A-Za-z_][\w$]*$/;

/** `extend = (@ip, @port as p, ...)` entries (unify_results.process_extended_columns; `+key` is not supported). */
export function parseExtend(entries: readonly string[]): ExtendColumn[] {
  return entries.map((raw) => {
    const m = /^@([\w]+)(?:::\w+)?(?:\s+as\s+([\w$]+))?$/i.exec(raw.trim());
    const key = m?.[1]?.toLowerCase() as ExtendKey | undefined;
    if (!m || !key || !EXTEND_KEYS.includes(key))
      throw selectError(`extend supports ${EXTEND_KEYS.map((k) => '@' + k).join(', ')} (got '${raw.trim()}')`);
    return { key, title: m[2] ?? key };
  });
}

interface Piece {
  item: SelectItem | undefined;
  remote: string;
  create: LocalColumn[];
  /** The local expression, without alias; '' when not shown. */
  localExpr: string;
  title: string;
  isFunction: boolean;
}

const asText = (alias: string): string => (alias ? ` as ${alias}` : '');

function typeOf(columns: ReadonlyMap<string, string> | undefined, name: string): string {
  return columns?.get(name.toLowerCase()) ?? columns?.get(name) ?? '';
}

function incrementPiece(item: SelectItem, id: number, engine: SqlEngine, cols: PlanOptions['columns']): Piece {
  const parts = item.arg.split(',').map((s) => s.trim());
  const unit = parts[0]?.toLowerCase() ?? '';
  if (parts.length !== 3 || !/^\d+$/.test(parts[1]!) || !(unit in TRUNC_UNIT) || !NAME.test(parts[2]!))
    throw selectError(
      `increments expects (<second|minute|hour|day|week|month|year>, <n>, <column>) (got '${item.arg}')`,
    );
  const n = Number(parts[1]);
  if (n < 1) throw selectError('increments: the interval must be at least 1');
  const col = parts[2]!;
  const trunc = TRUNC_UNIT[unit]!;
  const name = `increments_${id}`;
  let remote: string;
  // week has no strftime extract format in EdgeLake either (extract_str): it is refused there too.
  if (engine === 'sqlite') {
    const ex = EXTRACT_FORMAT[unit];
    if (!ex) throw selectError(`increments by ${unit} is not supported on sqlite`);
    const e = `(cast (strftime('${ex}',${col}) as decimal) / ${n})`;
    remote = unit === 'year' ? e : `strftime('${TRUNC_FORMAT[trunc]}',${col}), ${e}`;
  } else {
    const e = `(extract(${unit} FROM ${col})::int / ${n})`;
    remote = unit === 'year' ? e : `date_trunc('${trunc}',${col}), ${e}`;
  }
  const create =
    unit === 'year'
      ? [{ name: `${name}_extract`, type: 'integer' }]
      : [
          { name: `${name}_trunc`, type: typeOf(cols, col) || 'timestamp' },
          { name: `${name}_extract`, type: 'integer' },
        ];
  return { item, remote, create, localExpr: '', title: '', isFunction: true };
}

function functionPiece(item: SelectItem, id: number, cols: PlanOptions['columns']): Piece {
  const f = item.func;
  const arg = item.arg;
  const title = item.alias || `${f}(${arg})`;
  const as = asText(item.alias);
  const base = { item, title, isFunction: true };
  if (f === 'count') {
    const distinct = /^distinct\s*(\(([\s\S]*)\)|([\s\S]+))$/i.exec(arg);
    if (distinct) {
      const col = (distinct[2] ?? distinct[3] ?? '').trim();
      const name = `distinct_${id}`;
      return {
        ...base,
        remote: `distinct ${col}${as}`,
        create: [{ name, type: typeOf(cols, col) }],
        localExpr: `count(distinct ${name})`,
      };
    }
    const name = arg === '*' ? 'count_all' : `count_func_${id}`;
    return {
      ...base,
      remote: `count(${arg})${as}`,
      create: [{ name, type: 'integer' }],
      localExpr: `sum(${name})`,
    };
  }
  if (f === 'avg') {
    const col = arg.replace(/\./g, '_');
    // EdgeLake's remote names are sum_<x> / count_<x> whatever the alias (avg_sql).
    return {
      ...base,
      remote: `SUM (${arg}) as sum_${col}, COUNT(${arg}) as count_${col}`,
      create: [
        { name: `SUM__${col}`, type: 'numeric' },
        { name: `COUNT__${col}`, type: 'integer' },
      ],
      localExpr: `SUM( CAST(SUM__${col} AS FLOAT)) /NULLIF(SUM(COUNT__${col}),0)`,
    };
  }
  if (f === 'range') {
    const name = `RANGE__${arg.replace(/\./g, '_')}`;
    const t = typeOf(cols, arg);
    return {
      ...base,
      remote: `MIN(${arg}), MAX(${arg})`,
      create: [
        { name: `${name}_MIN`, type: t },
        { name: `${name}_MAX`, type: t },
      ],
      localExpr: `abs(MAX (${name}_MAX ) - MIN (${name}_MIN ))`,
    };
  }
  const name = `${f}_${id}`;
  const inner = /\(([\w$.]+)\)$/.exec(arg)?.[1] ?? arg;
  return {
    ...base,
    remote: `${f}(${arg})${as}`,
    create: [{ name, type: f === 'sum' || f === 'min' || f === 'max' ? typeOf(cols, inner) : '' }],
    localExpr: `${f}(${name})`,
  };
}

function columnPiece(item: SelectItem, cols: PlanOptions['columns']): Piece {
  const name = item.expr.replace(/^[\w$]+\./, '');
  if (!NAME.test(name)) throw selectError(`unsupported projection '${item.expr}'`);
  return {
    item,
    remote: `${item.expr}${asText(item.alias)}`,
    create: [{ name, type: typeOf(cols, name) }],
    localExpr: name,
    title: item.alias || name,
    isFunction: false,
  };
}

/** An order-by or group-by expression on the local table: an item's local expression, else as written. */
function localName(expr: string, pieces: readonly Piece[], extend: readonly ExtendColumn[]): string {
  const e = expr.trim().toLowerCase();
  for (const x of extend) if (x.title.toLowerCase() === e || x.key === e) return x.key;
  for (const p of pieces) {
    if (!p.item) continue;
    if (p.item.alias && p.item.alias.toLowerCase() === e) return p.item.alias;
    if (p.item.expr.toLowerCase().replace(/\s+/g, '') === e.replace(/\s+/g, '')) return p.localExpr || expr;
  }
  return expr.trim();
}

/** The remote form of an order-by expression: an alias becomes its item's expression. */
function remoteOrderExpr(expr: string, items: readonly SelectItem[]): string {
  const e = expr.trim().toLowerCase();
  const byAlias = items.find((i) => i.alias && i.alias.toLowerCase() === e);
  if (byAlias && byAlias.func !== 'avg') return byAlias.expr;
  // avg is sent as SUM and COUNT: order by their ratio.
  const avg = items.find((i) => i.func === 'avg' && (i.alias.toLowerCase() === e || i.expr.toLowerCase() === e));
  if (avg) return `SUM(${avg.arg})/NULLIF(COUNT(${avg.arg}),0)`;
  return expr.trim();
}

/** The plan of one parsed SELECT (see the header). */
export function planQuery(sel: ParsedSelect, opts: PlanOptions): QueryPlan {
  const extend = parseExtend(opts.extend ?? []);
  const pieces: Piece[] = [];
  let id = 0;
  // EdgeLake processes its proprietary functions (increments) first, whatever their place in the projection.
  for (const item of sel.items)
    if (item.func === 'increments') pieces.push(incrementPiece(item, ++id, opts.engine, opts.columns));
  let star = false;
  for (const item of sel.items) {
    if (item.func === 'increments') continue;
    if (item.expr === '*' && !item.func) {
      star = true;
      const cols = [...(opts.columns ?? new Map<string, string>())];
      pieces.push({
        item,
        remote: '*',
        create: cols.map(([name, type]) => ({ name, type })),
        localExpr: '*',
        title: '',
        isFunction: false,
      });
      continue;
    }
    // An extended column named in the projection is the one `extend` adds (make_sql_stmt: `name_pulled in
    // query_columns`): the operator has no such column.
    const bare = item.expr.toLowerCase();
    if (!item.func && extend.some((x) => x.key === bare || x.title.toLowerCase() === bare)) continue;
    pieces.push(item.func ? functionPiece(item, ++id, opts.columns) : columnPiece(item, opts.columns));
  }
  if (star && pieces.length > 1) throw selectError("'*' with other projection items is not supported");
  const increments = pieces.filter((p) => p.item?.func === 'increments');
  const hasFunction = pieces.some((p) => p.isFunction);

  const titles: string[] = [...extend.map((x) => x.title)];
  if (star) titles.push(...pieces[0]!.create.map((c) => c.name));
  else for (const p of pieces) if (p.title) titles.push(p.title);
  const seen = new Set<string>();
  for (const t of titles) {
    if (seen.has(t.toLowerCase())) throw selectError(`Duplicate projected column names: '${t}'`);
    seen.add(t.toLowerCase());
  }

  // --- remote ---
  let remote = `select ${sel.distinct ? 'distinct ' : ''}${pieces.map((p) => p.remote).join(', ')} from ${sel.table}`;
  if (sel.where) remote += ` where ${sel.where}`;
  const extendNames = new Set(extend.flatMap((x) => [x.key, x.title.toLowerCase()]));
  const remoteGroup = sel.groupBy.filter((g) => !extendNames.has(g.toLowerCase()));
  const incrGroup = increments.flatMap((p) => p.create.map((_, i) => i + 1));
  // EdgeLake groups increments by position: they are the first remote columns.
  const groupAll = [...remoteGroup, ...incrGroup.map(String)];
  if (groupAll.length > 0) remote += ` group by ${groupAll.join(', ')}`;
  const remoteOrder = sel.orderBy.filter((o) => !extendNames.has(o.expr.toLowerCase()));
  if (remoteOrder.length > 0)
    remote += ` order by ${remoteOrder.map((o) => remoteOrderExpr(o.expr, sel.items) + (o.desc ? ' desc' : '')).join(', ')}`;
  const orderByAggregate = sel.orderBy.some((o) => {
    const l = localName(o.expr, pieces, extend).toLowerCase();
    return pieces.some((p) => p.isFunction && (p.localExpr.toLowerCase() === l || p.item?.alias.toLowerCase() === l));
  });
  const remoteLimit =
    sel.limit !== undefined &&
    sel.perColumn === undefined &&
    !orderByAggregate &&
    !(sel.groupBy.length > 0 && sel.orderBy.length === 0) &&
    !(extend.length > 0 && sel.orderBy.some((o) => extendNames.has(o.expr.toLowerCase())));
  if (remoteLimit) remote += ` limit ${sel.limit}`;

  // --- local ---
  const t = opts.localTable;
  const shown = pieces.filter((p) => p.localExpr !== '');
  const localItems = [
    ...(star ? [] : extend.map((x) => (x.title !== x.key ? `${x.key} as ${x.title}` : x.key))),
    ...shown.map((p) => (p.localExpr === '*' ? '*' : `${p.localExpr}${asText(p.item?.alias ?? '')}`)),
  ];
  let local = `select ${sel.distinct ? 'distinct ' : ''}${localItems.join(', ')} from ${t}`;
  const localGroup: string[] = [];
  if (hasFunction) localGroup.push(...extend.map((x) => x.key));
  for (const p of pieces) if (p.item?.func === 'increments') localGroup.push(...p.create.map((c) => c.name));
  for (const g of sel.groupBy) {
    const l = localName(g, pieces, extend);
    if (!localGroup.includes(l)) localGroup.push(l);
  }
  if (localGroup.length > 0) local += ` group by ${localGroup.join(', ')}`;
  const localOrder = sel.orderBy.map((o) => localName(o.expr, pieces, extend) + (o.desc ? ' desc' : ''));
  for (const p of increments) localOrder.push(...p.create.map((c) => c.name));
  if (localOrder.length > 0) local += ` order by ${localOrder.join(', ')}`;
  if (sel.limit !== undefined && sel.perColumn === undefined) local += ` limit ${sel.limit}`;

  const create: LocalColumn[] = [
    ...extend.map((x) => ({ name: x.key, type: x.key === 'port' ? 'integer' : 'varchar' })),
    ...pieces.flatMap((p) => p.create),
  ];
  const names = new Set<string>();
  for (const c of create) {
    if (names.has(c.name.toLowerCase())) throw selectError(`Duplicate column '${c.name}' in the query`);
    names.add(c.name.toLowerCase());
  }
  return {
    remote,
    create,
    local,
    titles,
    passThrough:
      !hasFunction && !sel.distinct && sel.groupBy.length === 0 && sel.orderBy.length === 0 && !sel.perColumn,
    limit: sel.limit,
    perColumn: sel.perColumn,
    extend,
  };
}
