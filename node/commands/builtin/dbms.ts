// Database commands (EdgeLake cmd/member_cmd.py: connect dbms L309-345, get databases L17249,
// get tables L16972, get columns L16607, sql):
//   connect dbms <name> where type = sqlite|psql [and ip, port, user, password, database, memory]
//   disconnect dbms <name>
//   get databases [where format = json]
//   get tables where dbms = <name> [and format = json]
//   get columns where dbms = <name> and table = <t> [and format = json]
//   sql <dbms> [format = json|table] [and timeout = <seconds>] "select ..."
//       read-only and sandboxed, run in the Query Pool (node/query.ts), never on this thread; `timeout` overrides
//       the pool's default for this query; `destination` is REST's
import { CommandError, DbmsError, EdgeRtError } from '../../../base/errors.js';
import { formatTable, pyJson, type Cell } from '../../../protocols/format/table.js';
import { dbmsSchema } from '../../config/node-config.js';
import { isInternalTable, type ConnectionConfig } from '../../../storage/dbms/types.js';
import type { CommandSpec, NodeApi } from '../../service.js';
import { argWords, formatOf, whereObject } from '../args.js';
import { optionsObject, parseWhere } from '../../../protocols/command/where.js';
import { Status } from '../../../base/status.js';
import { dbmsNoticeTo } from '../../notices.js';
import { timedQuery } from '../../metrics/query.js';
import { runQuery } from '../../query.js';
import type { DispatchEnv } from '../dispatcher.js';

/**
 * Time kept, when the caller waits a known time, for the node's grace past a query's timeout (node/query.ts, 1 s) and
 * the answer's way back.
 */
const ANSWER_MARGIN_MS = 2000;

const OPERATOR = 'operator';

export async function connectDbms(node: NodeApi, name: string, raw: Record<string, unknown>): Promise<void> {
  const cfg = dbmsSchema.parse(raw, `connect dbms ${name}`);
  const config: ConnectionConfig = { type: cfg.type, memory: cfg.memory };
  if (cfg.ip !== undefined) config.ip = cfg.ip;
  if (cfg.port !== undefined) config.port = cfg.port;
  if (cfg.user !== undefined) config.user = cfg.user;
  if (cfg.password !== undefined) config.password = cfg.password;
  if (cfg.database !== undefined) config.database = cfg.database;
  await node.dbms.connect(name, config);
  // A running operator opens its own connection now; one that starts later asks for the list.
  for (const i of node.instances(OPERATOR))
    node.send(dbmsNoticeTo(i.id), {
      type: 'operator.dbms',
      name,
      config: node.dbms.list().find((d) => d.name === name)!.config,
    });
}

const connect: CommandSpec = {
  words: ['connect', 'dbms'],
  method: 'post',
  usage:
    'connect dbms <name> where type = sqlite|psql [and ip = .. and port = .. and user = .. and password = .. and database = .. and memory = true]',
  async run(inv, node) {
    const [name, extra] = argWords(inv, node);
    if (!name || extra !== undefined || !inv.where)
      throw new CommandError("Wrong command format: 'connect dbms <name> where type = ...'", {
        code: Status.CommandStructure,
      });
    await connectDbms(node, name, whereObject(inv, node));
    return '';
  },
};

const disconnect: CommandSpec = {
  words: ['disconnect', 'dbms'],
  method: 'post',
  usage: 'disconnect dbms <name>',
  async run(inv, node) {
    const [name] = argWords(inv, node);
    if (!name) throw new CommandError('disconnect dbms: expected a name', { code: Status.CommandStructure });
    if (!(await node.dbms.disconnect(name)))
      throw new DbmsError(`dbms '${name}' is not connected`, { code: Status.DbmsNotOpened });
    for (const i of node.instances(OPERATOR)) node.send(dbmsNoticeTo(i.id), { type: 'operator.dbms.disconnect', name });
    return '';
  },
};

const getDatabases: CommandSpec = {
  words: ['get', 'databases'],
  method: 'get',
  usage: 'get databases [where format = json]',
  run(inv, node) {
    const list = node.dbms.list();
    if (list.length === 0) return 'No DBMS connections found\r\n';
    const where = (c: ConnectionConfig): string =>
      c.type === 'psql' ? `${c.ip ?? '127.0.0.1'}:${c.port ?? 5432}` : 'Local';
    if (formatOf(inv, node) === 'json') {
      return pyJson(
        Object.fromEntries(
          list.map((d) => [
            d.name,
            {
              dbms_type: d.config.type,
              ip_port: where(d.config),
              storage: d.config.type === 'sqlite' ? (d.config.file ? 'File' : 'Persistent') : 'Persistent',
            },
          ]),
        ),
      );
    }
    return formatTable(
      ['Logical DBMS', 'Database Type', 'Owner', 'IP:Port', 'Configuration', 'Storage'],
      list.map((d) => [
        d.name,
        d.config.type,
        'user',
        where(d.config),
        d.config.type === 'sqlite' ? 'WAL, synchronous=FULL' : `database ${d.config.database ?? d.name}`,
        'Persistent',
      ]),
      { header: 'Active DBMS Connections' },
    );
  },
};

const getTables: CommandSpec = {
  words: ['get', 'tables'],
  method: 'get',
  usage: 'get tables where dbms = <name|*> [and format = json]',
  async run(inv, node) {
    const o = whereObject(inv, node);
    const format = formatOf(inv, node);
    if (typeof o['dbms'] !== 'string')
      throw new CommandError("get tables: expected 'where dbms = <name>'", { code: Status.CommandStructure });
    const names = o['dbms'] === '*' ? node.dbms.list().map((d) => d.name) : [o['dbms']];
    const rows: Cell[][] = [];
    const json: Record<string, Record<string, { local: boolean; blockchain: boolean }>> = {};
    for (const dbms of names) {
      const tables = (await node.dbms.reader(dbms).listTables()).filter((t) => !isInternalTable(t));
      json[dbms] = Object.fromEntries(tables.map((t) => [t, { local: true, blockchain: false }]));
      for (const t of tables) rows.push([dbms, t, 'V', ' ']);
    }
    if (format === 'json') return pyJson(json);
    return formatTable(['Database', 'Table name', 'Local DBMS', 'Blockchain'], rows);
  },
};

const getColumns: CommandSpec = {
  words: ['get', 'columns'],
  method: 'get',
  usage: 'get columns where dbms = <name> and table = <table> [and format = json]',
  async run(inv, node) {
    const o = whereObject(inv, node);
    const format = formatOf(inv, node, ['table', 'json', 'list']);
    const dbms = o['dbms'];
    const table = o['table'];
    if (typeof dbms !== 'string' || typeof table !== 'string')
      throw new CommandError("get columns: expected 'where dbms = <name> and table = <table>'", {
        code: Status.CommandStructure,
      });
    const cols = await node.dbms.reader(dbms).describe(table);
    if (!cols)
      throw new DbmsError(`table '${table}' does not exist in dbms '${dbms}'`, { code: Status.MissingConfiguration });
    if (format === 'json') return pyJson(Object.fromEntries(cols.map((c) => [c.name, c.type])));
    if (format === 'list') return pyJson(cols.map((c) => ({ column: c.name })));
    return formatTable(
      ['Column Name', 'Column Type'],
      cols.map((c) => [c.name, c.type]),
      { header: `Schema for DBMS: '${dbms}' and Table: '${table}'` },
    );
  },
};

/** EdgeLake's local query reply: `{"Query":[...],\n"Statistics":[...]}` (golden rest_sql_local.txt). */
export function queryJson(columns: string[], rows: unknown[][], ms: number): string {
  const objs = rows.map((r) => JSON.stringify(Object.fromEntries(columns.map((c, i) => [c, r[i]]))));
  const secs = Math.floor(ms / 1000);
  const hms = `${String(Math.floor(secs / 3600)).padStart(2, '0')}:${String(Math.floor((secs % 3600) / 60)).padStart(2, '0')}:${String(secs % 60).padStart(2, '0')}`;
  return `{"Query":[${objs.join(',')}],\n"Statistics":[{"Count": ${rows.length},"Time":"${hms}","Nodes": 0}]}`;
}

const sql: CommandSpec = {
  words: ['sql'],
  method: 'any',
  usage: 'sql <dbms> [format = json|table] [and timeout = <seconds>] "select ..."',
  // The query may come unquoted (EdgeLake peers send it so): its WHERE is SQL, not a `where` clause.
  rawWhere: true,
  async run(inv, node) {
    const toks = inv.tokens;
    const dbmsTok = toks[1];
    if (!dbmsTok) throw new CommandError('sql: expected a dbms name and a query', { code: Status.CommandStructure });
    const dbms = node.resolve(dbmsTok.text);
    // Options (`format = json and ...`) run up to the first token that starts the query.
    let i = 2;
    while (i + 2 < toks.length && toks[i]!.kind === 'word' && toks[i + 1]?.kind === 'op' && toks[i + 1]!.text === '=') {
      i += 3;
      if (toks[i]?.kind === 'word' && toks[i]!.text.toLowerCase() === 'and') i++;
    }
    const optToks = toks.slice(2, i);
    const opts = optToks.length > 0 ? optionsObject(parseWhere(optToks), (w) => node.resolve(w)) : {};
    const first = toks[i];
    if (!first) throw new CommandError('sql: missing the query', { code: Status.CommandStructure });
    const query = first.kind === 'string' && i === toks.length - 1 ? first.text : inv.text.slice(first.pos).trim();
    const format = String(opts['format'] ?? 'table').toLowerCase();
    if (format !== 'json' && format !== 'table')
      throw new CommandError(`sql: format must be json or table (got ${format})`, { code: Status.CommandStructure });
    const timeout = opts['timeout'];
    let timeoutMs: number | undefined;
    if (timeout !== undefined) {
      timeoutMs = Number(timeout) * 1000;
      if (!Number.isFinite(timeoutMs) || timeoutMs <= 0)
        throw new CommandError(`sql: timeout must be a number of seconds (got ${String(timeout)})`, {
          code: Status.CommandStructure,
        });
    }
    const env = inv.env as DispatchEnv;
    // The REST client waits this long: the query ends before (DispatchEnv `answerWithinMs`).
    if (env.answerWithinMs !== undefined)
      timeoutMs = Math.min(timeoutMs ?? Infinity, Math.max(100, env.answerWithinMs - ANSWER_MARGIN_MS));
    const call = {
      dbms,
      sql: query,
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
      // A REST client's or a peer's timeout may not pass the pool's (node/query.ts `QueryRequest`).
      ...(env.via !== undefined || env.peer !== undefined ? { fromOutside: true } : {}),
    };
    // Counted in /metrics (node/metrics/query.ts); an interrupted query (26) is a timeout there too.
    const r = await timedQuery(node.metrics, 'local', (timedOut) =>
      runQuery(node, call).catch((err: unknown) => {
        if (err instanceof EdgeRtError && err.code === Status.Timeout) timedOut();
        throw err;
      }),
    );
    if (format === 'json') return queryJson(r.columns, r.rows, r.ms);
    return formatTable(
      r.columns,
      r.rows.map((row) => row.map((v) => (v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : (v as Cell)))),
    );
  },
};

export const dbmsCommands: CommandSpec[] = [connect, disconnect, getDatabases, getTables, getColumns, sql];
