// The second pass of a network query (EdgeLake: the query node's `system_query` dbms, one `query_<job>` table
// per job, filled by job_instance / utils_sql.make_insert_row, read back with the plan's local query):
// each operator's rows (by position, as protocols/sql/plan.ts lays them out) go into a table of an in-memory
// SQLite database, and the local query gives the answer. A pure step: rows in, rows out, no node state, so it
// can run wherever queries run (the query pool's workers).
// Values: an EdgeLake operator sends text ("" for NULL); a typed column's affinity makes numbers of it, and a
// column of unknown type takes a canonical number ("1.5", not "007") as a number. edgelake-rt operators send
// typed values.
import { createRequire } from 'node:module';
import type Database from 'libsql';
import { DbmsError, errorMessage } from '../../base/errors.js';
import { Status } from '../../base/status.js';
import { limitPer } from '../../protocols/sql/limit-per.js';

// libsql loads at the first consolidation, not at boot: the main thread imports this module (through
// node/query/network-query.ts) and a node that never sends a network query never needs it (bench/README.md, memory).
const requireCjs = createRequire(import.meta.url);
let databaseClass: typeof Database | undefined;
const openMemory = (): InstanceType<typeof Database> =>
  new (databaseClass ??= requireCjs('libsql') as typeof Database)(':memory:');
import type { QueryPlan } from '../../protocols/sql/plan.js';

interface Stmt {
  run(...args: unknown[]): unknown;
  raw(on?: boolean): Stmt;
  all(...args: unknown[]): unknown[];
  columns(): { name: string }[];
}
interface Db {
  prepare(sql: string): Stmt;
  exec(sql: string): void;
  close(): void;
  transaction<A extends unknown[], R>(fn: (...a: A) => R): (...a: A) => R;
}

export interface Consolidated {
  columns: string[];
  rows: unknown[][];
}

const CANONICAL_NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;
const SAFE_TYPE = /^[a-z][a-z0-9_ ]*(\(\s*\d+(\s*,\s*\d+)?\s*\))?$/i;

/** A value as the local table takes it. */
function cell(v: unknown, typed: boolean, fromEdgeLake: boolean): unknown {
  if (v === undefined || v === null) return null;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'object') return JSON.stringify(v);
  if (typeof v === 'string' && fromEdgeLake) {
    if (v === '') return null;
    if (!typed && CANONICAL_NUMBER.test(v) && Number.isFinite(Number(v))) return Number(v);
  }
  return v;
}

/** One consolidation: `add` the rows of each operator, then `finish` once. */
export class Consolidation {
  private readonly db: Db;
  private readonly insert: Stmt;
  private readonly typed: boolean[];
  private readonly width: number;
  private readonly fill: (rows: unknown[][], fromEdgeLake: boolean) => void;
  private rowsIn = 0;

  constructor(private readonly plan: QueryPlan) {
    this.db = openMemory() as unknown as Db;
    this.width = plan.create.length;
    this.typed = plan.create.map((c) => c.type !== '');
    const cols = plan.create.map((c) => `"${c.name}"${SAFE_TYPE.test(c.type) ? ' ' + c.type : ''}`).join(', ');
    try {
      this.db.exec(`create table query (${cols})`);
    } catch (err) {
      this.db.close();
      throw new DbmsError(`query consolidation: ${errorMessage(err)}`, { cause: err, code: Status.SqlFailure });
    }
    this.insert = this.db.prepare(`insert into query values (${plan.create.map(() => '?').join(', ')})`);
    this.fill = this.db.transaction((rows: unknown[][], fromEdgeLake: boolean) => {
      for (const r of rows) {
        const vals: unknown[] = new Array<unknown>(this.width);
        for (let i = 0; i < this.width; i++) vals[i] = cell(r[i], this.typed[i]!, fromEdgeLake);
        this.insert.run(...vals);
      }
    });
  }

  /** The rows of one operator, values by position. */
  add(rows: unknown[][], fromEdgeLake: boolean): void {
    if (rows.length === 0) return;
    this.fill(rows, fromEdgeLake);
    this.rowsIn += rows.length;
  }

  get received(): number {
    return this.rowsIn;
  }

  /** Runs the local query and releases the table. */
  finish(): Consolidated {
    try {
      const st = this.db.prepare(this.plan.local);
      let rows = st.raw(true).all() as unknown[][];
      if (this.plan.perColumn !== undefined && this.plan.limit !== undefined) {
        const at = this.plan.titles.findIndex((t) => t.toLowerCase() === this.plan.perColumn!.toLowerCase());
        if (at >= 0) rows = limitPer(rows, at, this.plan.limit);
      }
      return { columns: this.plan.titles, rows };
    } catch (err) {
      throw new DbmsError(`query consolidation: ${errorMessage(err)} (${this.plan.local})`, {
        cause: err,
        code: Status.SqlFailure,
      });
    } finally {
      this.db.close();
    }
  }

  /** Releases the table without a result (the query failed). */
  close(): void {
    this.db.close();
  }
}
