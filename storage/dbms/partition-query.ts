// A query on a partitioned table reads its partitions too. EdgeLake's operator puts a partitioned table's rows into
// `par_<table>_...` tables (storage/schema/partitions.ts) and leaves the parent empty; EdgeLake's own local `sql`
// reads the parent as named (only a network query is split per partition: partitions.py `partition_query`), so it
// answers with no rows. Here a table named after FROM or JOIN that has partition tables becomes
//   (SELECT <parent's columns> FROM <table> UNION ALL SELECT <same> FROM par_<table>_... ...) AS <table>
// on both engines, so every query form (aggregates, WHERE, joins) sees all rows. A partition that lacks a column
// the parent has (widened later, no rows since) gives NULL for it.
import { quoteIdent } from '../schema/names.js';
import { partitionParent } from '../schema/partitions.js';
import type { QueryConnection } from './query.js';
import type { Engine } from './types.js';

/** Words after a table name that are not its alias. */
const NOT_ALIAS = new Set([
  'where',
  'group',
  'order',
  'limit',
  'join',
  'inner',
  'left',
  'right',
  'full',
  'cross',
  'natural',
  'on',
  'using',
  'union',
  'having',
  'window',
  'offset',
  'except',
  'intersect',
  'fetch',
  'for',
]);

interface Word {
  text: string;
  start: number;
  end: number;
}

/** The bare words of `sql` outside strings, quoted names and comments, and the characters right after each. */
function words(sql: string): Word[] {
  const out: Word[] = [];
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i]!;
    if (ch === "'" || ch === '"' || ch === '`') {
      const close = sql.indexOf(ch, i + 1);
      i = close < 0 ? sql.length : close + 1;
      // A quoted name is a word too (it is never replaced: it may differ in case), so FROM "t" keeps its place.
      out.push({ text: '', start: i, end: i });
    } else if (ch === '-' && sql[i + 1] === '-') {
      const nl = sql.indexOf('\n', i);
      i = nl < 0 ? sql.length : nl + 1;
    } else if (ch === '/' && sql[i + 1] === '*') {
      const close = sql.indexOf('*/', i + 2);
      i = close < 0 ? sql.length : close + 2;
    } else if (/[A-Za-z_]/.test(ch)) {
      let j = i + 1;
      while (j < sql.length && /[A-Za-z0-9_$]/.test(sql[j]!)) j++;
      out.push({ text: sql.slice(i, j), start: i, end: j });
      i = j;
    } else {
      if (!/\s/.test(ch)) out.push({ text: ch, start: i, end: i + 1 });
      i++;
    }
  }
  return out;
}

/**
 * How the rewrite reads the catalog: on SQLite the query's own connection, with values bound and outside the sandbox
 * (sqlite-query.ts: about 10 us a query); elsewhere sandboxed queries (`sandboxedCatalog`).
 */
export interface CatalogRead {
  /** The tables named `par_...` or one of `names`. */
  tables(names: readonly string[]): Promise<string[]>;
  /** A table's columns, in order. */
  columns(table: string): Promise<string[]>;
}

/** A CatalogRead through the connection's sandboxed `run` (PostgreSQL: one round trip per call). */
export function sandboxedCatalog(conn: QueryConnection, engine: Engine, timeoutMs: number): CatalogRead {
  return {
    async tables(names) {
      // `run` binds no parameters: the names are plain identifiers (withPartitions checks), which hold no quote.
      const list = names.map((n) => `'${n}'`).join(', ');
      const sql =
        engine === 'psql'
          ? `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND (table_name LIKE 'par\\_%' OR table_name IN (${list}))`
          : `SELECT name FROM sqlite_master WHERE type = 'table' AND (name LIKE 'par\\_%' ESCAPE '\\' OR name IN (${list}))`;
      return ((await conn.run(sql, timeoutMs)).rows as [string][]).map(([t]) => t);
    },
    async columns(table) {
      return (await conn.run(`SELECT * FROM ${quoteIdent(table, engine)} LIMIT 0`, timeoutMs)).columns;
    },
  };
}

/** Each table's columns in order, for the parents named in `names` that have partition tables, and those partitions. */
async function catalog(read: CatalogRead, names: readonly string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  const all = await read.tables(names);
  const wanted = new Set(names.filter((n) => all.includes(n) && all.some((t) => partitionParent(t) === n)));
  if (wanted.size === 0) return out;
  for (const t of all) {
    if (!wanted.has(t) && !wanted.has(partitionParent(t) ?? '')) continue;
    out.set(t, await read.columns(t));
  }
  return out;
}

/**
 * `sql` with every partitioned table after FROM or JOIN read together with its partitions; `sql` itself when the
 * tables it names have none. Costs one catalog read (and one per table of a partitioned one).
 */
export async function withPartitions(read: CatalogRead, engine: Engine, sql: string): Promise<string> {
  const ws = words(sql);
  const targets: number[] = [];
  for (let k = 1; k < ws.length; k++) {
    const prev = ws[k - 1]!.text.toLowerCase();
    const w = ws[k]!;
    if ((prev !== 'from' && prev !== 'join') || w.text === '' || /^(select|lateral)$/i.test(w.text)) continue;
    if (ws[k + 1]?.text === '.' || ws[k + 1]?.text === '(') continue; // schema.table, a table function
    targets.push(k);
  }
  if (targets.length === 0) return sql;
  const named = [...new Set(targets.map((k) => ws[k]!.text.toLowerCase()))].filter((n) => /^[a-z_][a-z0-9_]*$/.test(n));
  if (named.length === 0) return sql;
  const tables = await catalog(read, named);
  const parts = new Map<string, string[]>();
  for (const t of tables.keys()) {
    const parent = partitionParent(t);
    if (parent !== undefined && tables.has(parent) && named.includes(parent))
      parts.set(parent, [...(parts.get(parent) ?? []), t]);
  }
  if (parts.size === 0) return sql;
  let out = '';
  let at = 0;
  for (const k of targets) {
    const w = ws[k]!;
    const name = w.text.toLowerCase();
    const pars = parts.get(name);
    if (!pars) continue;
    const cols = tables.get(name)!;
    const select = (t: string): string => {
      const have = new Set(tables.get(t));
      const list = cols.map((c) => (have.has(c) ? quoteIdent(c, engine) : `NULL AS ${quoteIdent(c, engine)}`));
      return `SELECT ${list.join(', ')} FROM ${quoteIdent(t, engine)}`;
    };
    const next = ws[k + 1];
    const aliased =
      next !== undefined &&
      (next.text === '' || /^[A-Za-z_]/.test(next.text)) &&
      !NOT_ALIAS.has(next.text.toLowerCase());
    const sub = `(${[name, ...pars.sort()].map(select).join(' UNION ALL ')})`;
    out += sql.slice(at, w.start) + (aliased ? sub : `${sub} AS ${quoteIdent(name, engine)}`);
    at = w.end;
  }
  return out + sql.slice(at);
}
