// Tables a script creates or asks about (EdgeLake: member_cmd.py `_create_table`, `_info_table_view`): `info table`,
// `create table` (EdgeLake's `ledger` in dbms blockchain, kept as a mirror of the metadata; `tsd_info` in almgm; a
// user table from its table policy's `create`).
import { CommandError, errorMessage } from '../../../base/errors.js';
import { Status } from '../../../base/status.js';
import { formatTable } from '../../../protocols/format/table.js';
import { policyInner } from '../../../protocols/policy/id.js';
import { jsonDumps } from '../../../protocols/policy/pyrepr.js';
import { parseJson, parsePolicy, type PyValue } from '../../../protocols/policy/pyvalue.js';
import { tsdInfoStatements } from '../../../storage/schema/tsd.js';
import type { CommandSpec, NodeApi } from '../../service.js';
import { argWords, structure, whereObject } from '../args.js';
import { ledgerOf, queryLedger } from './blockchain.js';

/** Object keys sorted as in the text; a top-level object that is not a policy still answers bring. */
export function jsonObjects(text: string, what: string): PyValue[] {
  let v: PyValue;
  try {
    v = parseJson(text);
  } catch (err) {
    throw new CommandError(`${what}: unable to retrieve JSON from the string (${errorMessage(err)})`, {
      code: Status.WrongJsonStructure,
      cause: err,
    });
  }
  return Array.isArray(v) ? v : [v];
}

/** EdgeLake's ledger table (dbms/db_info.py `blockchain_create_local_table`), in the engine's dialect. */
function ledgerStatements(engine: 'sqlite' | 'psql'): string[] {
  const create =
    'CREATE TABLE IF NOT EXISTS ledger (sequence_id SERIAL PRIMARY KEY,policy_type VARCHAR NOT NULL,' +
    'policy_id VARCHAR NOT NULL,company_name VARCHAR,date TIMESTAMP NOT NULL DEFAULT NOW(),host VARCHAR NOT NULL,' +
    'status VARCHAR,policy VARCHAR)';
  const idx = [
    'CREATE UNIQUE INDEX IF NOT EXISTS hash_index ON ledger(policy_id)',
    'CREATE INDEX IF NOT EXISTS time_index ON ledger(date)',
  ];
  if (engine === 'psql') return [create, ...idx];
  // sqlite_dbms.py `modify_sql_create`: lower case, SERIAL and NOW() rewritten.
  return [
    create
      .toLowerCase()
      .replace(' serial primary key,', ' integer primary key autoincrement,')
      .replace(' timestamp not null default now()', ' timestamp not null default current_timestamp'),
    ...idx,
  ];
}

export async function tableExists(node: NodeApi, dbms: string, table: string): Promise<boolean> {
  return (await node.dbms.reader(dbms).listTables()).includes(table.toLowerCase());
}

export const tableCommands: CommandSpec[] = [
  {
    words: ['info', 'table'],
    method: 'get',
    usage: 'info table <dbms> <table> exists|columns',
    async run(inv, node) {
      const [dbms, table, what, extra] = argWords(inv, node);
      if (!dbms || !table || !what || extra !== undefined)
        throw structure('info table: expected <dbms> <table> exists');
      if (!node.dbms.has(dbms))
        throw new CommandError(`Logical DBMS '${dbms}' not connected`, { code: Status.DbmsNotOpened });
      if (what === 'exists') return (await tableExists(node, dbms, table)) ? 'true' : 'false';
      if (what === 'columns') {
        const cols = await node.dbms.reader(dbms).describe(table);
        if (!cols) throw new CommandError(`Table '${dbms}.${table}' not found`, { code: Status.DbmsName });
        return formatTable(
          ['Column', 'Type'],
          cols.map((c) => [c.name, c.type]),
        );
      }
      throw structure(`Type of info not recognized: ${what}`);
    },
  },
  {
    words: ['create', 'table'],
    method: 'post',
    usage: 'create table <name> where dbms = <dbms>',
    async run(inv, node) {
      const [table, extra] = argWords(inv, node);
      const dbms = whereObject(inv, node)['dbms'];
      if (!table || extra !== undefined || typeof dbms !== 'string')
        throw structure("create table: expected 'create table <name> where dbms = <dbms>'");
      const engine = node.dbms.list().find((d) => d.name === dbms)?.config.type;
      if (!engine) throw new CommandError(`dbms '${dbms}' is not connected`, { code: Status.DbmsNotOpened });
      if (dbms === 'blockchain' && table === 'ledger') {
        await node.dbms.ddl(dbms, ledgerStatements(engine));
        await mirrorLedger(node);
        return '';
      }
      if (dbms === 'almgm' && table === 'tsd_info') {
        await node.dbms.ddl(dbms, tsdInfoStatements(engine));
        return '';
      }
      // A user table: the `create` statement of its table policy.
      const found = queryLedger(node, `table where dbms = ${dbms} and name = ${table} bring.json`);
      const list = found === '' ? [] : jsonObjects(found, 'create table');
      const inner = list.length === 1 ? policyInner(list[0]) : undefined;
      const create = inner?.get('create');
      if (typeof create !== 'string')
        throw new CommandError(
          `Failed to create a table from blockchain data for table '${table}' and dbms '${dbms}'`,
          { code: Status.ProcessFailure },
        );
      await node.dbms.ddl(dbms, [create.replace(/\|/g, '"')]);
      return '';
    },
  },
];

/** The ids of the node's live policies. */
export function policyIds(node: NodeApi): Set<string> {
  const out = new Set<string>();
  for (const p of ledgerOf(node).policies()) {
    const id = policyInner(p)?.get('id');
    if (typeof id === 'string') out.add(id);
  }
  return out;
}

/**
 * A node whose `blockchain` database has EdgeLake's `ledger` table keeps its policies there too, as EdgeLake's
 * master does (dbms/db_info.py `blockchain_create_local_table`, blockchain_insert_entry): rows are added for new
 * policies and removed for dropped ones, keyed by policy_id. Called after `create table ledger` and after each
 * command that changes the metadata. With `dropped` (the ids a command removed), only those rows are deleted: a
 * row another writer put in the table (a master sharing it) stays. Values are bound, never spliced.
 */
export async function mirrorLedger(node: NodeApi, dropped?: ReadonlySet<string>): Promise<void> {
  const entry = node.dbms.list().find((d) => d.name === 'blockchain');
  if (!entry || !node.metadata || !(await tableExists(node, 'blockchain', 'ledger'))) return;
  const reader = node.dbms.reader('blockchain');
  const have = new Set((await reader.select('SELECT policy_id FROM ledger')).rows.map((r) => String(r[0])));
  const policies = ledgerOf(node).policies();
  const ids = new Set<string>();
  const p = (i: number): string => (entry.config.type === 'psql' ? `$${i}` : '?');
  const statements: { sql: string; params: unknown[] }[] = [];
  const host = node.dict.get('ip') ?? '';
  for (const pol of policies) {
    const inner = policyInner(pol);
    const type = [...pol.keys()][0];
    const id = inner?.get('id');
    if (!inner || type === undefined || typeof id !== 'string') continue;
    ids.add(id);
    if (have.has(id)) continue;
    const company = inner.get('company');
    const date = inner.get('date');
    statements.push({
      sql:
        'INSERT INTO ledger (policy_type, policy_id, company_name, date, host, status, policy) ' +
        `VALUES (${[1, 2, 3, 4, 5, 6, 7].map(p).join(', ')})`,
      params: [
        type,
        id,
        typeof company === 'string' ? company : null,
        typeof date === 'string' ? date.replace('T', ' ').replace(/Z$/, '') : new Date().toISOString(),
        host,
        'active',
        jsonDumps(pol),
      ],
    });
  }
  for (const id of have)
    if (!ids.has(id) && (dropped === undefined || dropped.has(id)))
      statements.push({ sql: `DELETE FROM ledger WHERE policy_id = ${p(1)}`, params: [id] });
  if (statements.length > 0) await node.dbms.write('blockchain', statements);
}

/** Whether dbms `blockchain` is connected and has the `ledger` table (what `dest = dbms` and `source = dbms` need). */
export async function hasLedgerTable(node: NodeApi): Promise<boolean> {
  return node.dbms.has('blockchain') && (await tableExists(node, 'blockchain', 'ledger'));
}

/** What `ledgerFromTable` changed, and the policy ids the table held (the next call's `seen`). */
export interface TableSync {
  changed: boolean;
  seen: string[];
}

/**
 * A master whose ledger table is the source (`run blockchain sync where source = dbms and dest = file`, EdgeLake
 * bsync.py `master_synchronizer`: the table, `SELECT host, policy FROM ledger order by date`, becomes the ledger
 * file and the metadata). Taken as a change since the last look (`seen`, the ids the table held then): a row that
 * another writer added is added to the ledger, a row removed since is dropped from it. A policy this node added or
 * dropped itself and whose table row is not written yet is left alone, so a command that changes the metadata
 * while this runs is never undone. With no `seen` (the first look), every row the ledger lacks is added.
 * Throws when the table is not there.
 */
export async function ledgerFromTable(node: NodeApi, seen?: readonly string[]): Promise<TableSync> {
  if (!(await hasLedgerTable(node)))
    throw new CommandError("Table 'ledger' in 'blockchain' dbms not available", { code: Status.ProcessFailure });
  const rows = (
    await node.dbms.reader('blockchain').select('SELECT policy_id, policy FROM ledger ORDER BY date, sequence_id')
  ).rows.map((r) => ({ id: String(r[0] ?? ''), line: String(r[1] ?? '') }));
  const ledger = ledgerOf(node);
  const before = new Set(seen ?? []);
  const now = new Set(rows.map((r) => r.id));
  let changed = false;
  for (const r of rows) {
    if (r.line.trim() === '' || before.has(r.id) || ledger.byId(r.id)) continue;
    changed = ledger.push(parsePolicy(r.line), new Date()) !== 'duplicate' || changed;
  }
  const gone = [...before].filter((id) => !now.has(id) && ledger.byId(id));
  if (gone.length > 0) {
    ledger.drop(gone);
    changed = true;
  }
  return { changed, seen: [...now] };
}
