// Commands EdgeLake's deployment scripts (EdgeLake/deployment-scripts node-deployment/*.al) use, each as EdgeLake
// 1.4 answers it (edge_lake/cmd/member_cmd.py unless said otherwise):
//   set echo queue on|off             `set_echo_queue`       recorded; replies go to the console either way
//   set debug on|off|interactive      `set_debug_options`    recorded (no step debugger here)
//   trace level = <n> [<command>]     `_trace_level`         recorded
//   set exception traceback on|off    `set_traceback`        recorded
//   set internal ip with <nic>|default `set_internal_ip`     !ip = the IPv4 address of that interface
//   set cli on|off                    node_info.py `set_cli` recorded (the console is `edgelake-rt console`)
//   reset error log                   `reset_logged_data`
//   set servers ping                  `set_servers_ping`     the task of system scheduler 0 ("Metadata Ping")
//   get hostname                      net_utils.py `get_local_host_name`
//   file test <path>                  `file_test_exists`     True | False
//   from <json> bring ...             `_execute_from`        the bring of blockchain get over that JSON
//   python <expr>                     `_python`              a safe expression subset (protocols/command/python-expr.ts)
//   json <text> [test|<key>]          `_to_json`             the JSON text if it is an object, else ''
//   info table <dbms> <table> exists  `_info_table_view`     true | false
//   create table <t> where dbms = <d> `_create_table`        ledger@blockchain, tsd_info@almgm, else a table policy
//   create policy <type> [with defaults] [where ...]  `create_policy` (members/policies.py add_policy_defaults)
//   blockchain prepare policy !var    `blockchain_prep`      adds id and date, writes the variable back
//   rest get|put|post|delete where url = ..   `_rest_client` (tcpip/http_client.py) an outgoing HTTP call
//   delete archive where days = <n>   `_delete_archive`      archived files older than n days
//   system <cmd>                      `_system`              only when the node was started with
//                                     EDGELAKE_RT_ALLOW_SYSTEM=true in its environment (it runs a shell)
//   partition <dbms> <table>|* using <column> by [<n>] <unit>  `_partition_data` the operator lands the rows in
//                                     par_ tables (actors/operator/partition.ts); `get partitions` lists them
//   drop partition [name|*] where dbms = .. and table = .. [and keep = n]  `_drop_partition` the oldest partitions
// Platform commands this runtime does not carry (video, OPC-UA/PLC, blockchain platforms, buckets, import
// function, the MCP server, node keys: `id ...`, `get private key`) answer error 237 "Not Supported in this Version", which `on error goto|call` catches.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { hostname, networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { CommandError, errorMessage } from '../../../base/errors.js';
import { Status } from '../../../base/status.js';
import { evalPython, substitutePython } from '../../../protocols/command/python-expr.js';
import { formatTable } from '../../../protocols/format/table.js';
import { blockchainGet } from '../../../protocols/policy/query.js';
import { completePolicy, policyInner } from '../../../protocols/policy/id.js';
import { prepareInsert } from '../../../protocols/policy/insert.js';
import { jsonDumps } from '../../../protocols/policy/pyrepr.js';
import { isDict, parseJson, type PyDict, type PyValue } from '../../../protocols/policy/pyvalue.js';
import { tsdInfoStatements } from '../../../storage/schema/tsd.js';
import { isSafeIdentifier, normalizeColumnName } from '../../../storage/schema/names.js';
import { parseInterval, partitionParent } from '../../../storage/schema/partitions.js';
import { dbmsNoticeTo, PARTITIONS } from '../../notices.js';
import { defineSetting } from '../../settings.js';
import type { CommandSpec, Invocation, NodeApi } from '../../service.js';
import { argWords, whereObject } from '../args.js';
import { ledgerOf, nodeAddress, policyFrom, queryLedger, restText } from './blockchain.js';

const structure = (msg: string): CommandError => new CommandError(msg, { code: Status.CommandStructure });

/** Switches EdgeLake keeps per node; recorded so `get` commands and tests can see them. */
export const ECHO_QUEUE = defineSetting<boolean>('node.echo_queue');
export const DEBUG_MODE = defineSetting<string>('node.debug');
export const TRACE_LEVEL = defineSetting<number>('node.trace_level');
export const TRACEBACK = defineSetting<boolean>('node.exception_traceback');
export const CLI_ON = defineSetting<boolean>('node.cli');

export { PARTITIONS };

const onOff = (inv: Invocation, node: NodeApi, what: string): boolean => {
  const [v, extra] = argWords(inv, node);
  if ((v !== 'on' && v !== 'off') || extra !== undefined) throw structure(`${what}: expected on|off`);
  return v === 'on';
};

const switchCmd = (words: string[], apply: (on: boolean, node: NodeApi) => void): CommandSpec => ({
  words,
  method: 'post',
  usage: `${words.join(' ')} on|off`,
  run(inv, node) {
    apply(onOff(inv, node, words.join(' ')), node);
    return '';
  },
});

/** A value that may be a `!var`/`$VAR` word, a JSON text or a quoted string: the text. */
function textArg(inv: Invocation, node: NodeApi, at: number): string {
  const t = inv.tokens[at];
  if (!t) return '';
  return t.kind === 'word' ? node.resolve(t.text) : t.text;
}

/** Object keys sorted as in the text; a top-level object that is not a policy still answers bring. */
function jsonObjects(text: string, what: string): PyValue[] {
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

const notSupported = (words: string[], what: string): CommandSpec => ({
  words,
  ...(words.length === 1 ? { minWords: 2 } : {}),
  method: 'any',
  usage: `${words.join(' ')} ...`,
  run() {
    throw new CommandError(`${words.join(' ')}: ${what} is not supported by edgelake-rt`, {
      code: Status.NotSupported,
    });
  },
});

/** The IPv4 address of a network interface (EdgeLake: tcpip_server.set_local_ip_method). */
function nicAddress(name: string): string | undefined {
  for (const a of networkInterfaces()[name] ?? []) if (a.family === 'IPv4') return a.address;
  return undefined;
}

const SYSTEM_ALLOWED = (): boolean => process.env['EDGELAKE_RT_ALLOW_SYSTEM'] === 'true';

/** Files under `dir` modified before `before` (ms), up to `limit` entries. */
function oldFiles(dir: string, before: number, limit = 100_000): string[] {
  const out: string[] = [];
  const walk = (d: string, depth: number): void => {
    if (depth > 8 || out.length >= limit) return;
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return; // an archive directory that is not there yet has nothing to delete
    }
    for (const n of names) {
      const p = join(d, n);
      const st = statSync(p, { throwIfNoEntry: false });
      if (!st) continue;
      if (st.isDirectory()) walk(p, depth + 1);
      else if (st.mtimeMs < before) out.push(p);
      if (out.length >= limit) return;
    }
  };
  walk(dir, 0);
  return out;
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

async function tableExists(node: NodeApi, dbms: string, table: string): Promise<boolean> {
  return (await node.dbms.reader(dbms).listTables()).includes(table.toLowerCase());
}

/** The HTTP verbs of `rest` and the keys each takes besides url (tcpip/http_client.py keywords_*). */
const REST_KEYS: Record<string, string[]> = {
  get: [
    'user',
    'password',
    'type',
    'details',
    'command',
    'destination',
    'User-Agent',
    'subset',
    'validate',
    'Authorization',
    'Accept',
    'Cache-Control',
    'X-Vault-Token',
    'Content-Type',
  ],
  put: ['user', 'password', 'dbms', 'table', 'type', 'mode', 'body'],
  post: ['headers', 'user', 'password', 'dbms', 'table', 'type', 'mode', 'body'],
  delete: ['user', 'password'],
};

async function restCall(verb: string, opts: Record<string, unknown>, node: NodeApi): Promise<string> {
  const url = opts['url'];
  if (typeof url !== 'string' || !/^https?:\/\//i.test(url))
    throw structure(`rest ${verb}: expected 'where url = http(s)://...'`);
  const headers: Record<string, string> = {};
  let body: string | undefined;
  for (const [k, v] of Object.entries(opts)) {
    if (k === 'url') continue;
    if (!REST_KEYS[verb]!.includes(k)) throw structure(`rest ${verb}: unknown option '${k}'`);
    const text = String(v);
    if (k === 'body') body = text;
    else if (k === 'headers') {
      try {
        for (const [hk, hv] of Object.entries(JSON.parse(text) as Record<string, unknown>)) headers[hk] = String(hv);
      } catch (err) {
        throw structure(`rest ${verb}: headers must be a JSON object (${errorMessage(err)})`);
      }
    } else if (k === 'user' || k === 'password') continue;
    else headers[k] = text;
  }
  if (typeof opts['user'] === 'string')
    headers['Authorization'] =
      `Basic ${Buffer.from(`${opts['user']}:${String(opts['password'] ?? '')}`).toString('base64')}`;
  const timeoutSec = Number(node.dict.get('rest_timeout') ?? '') || 20;
  let res: Response;
  try {
    res = await fetch(url, {
      method: verb.toUpperCase(),
      headers,
      ...(body !== undefined ? { body } : {}),
      signal: AbortSignal.timeout(Math.min(timeoutSec, 60) * 1000),
    });
  } catch (err) {
    throw new CommandError(`rest ${verb} ${url}: ${errorMessage(err)}`, { code: Status.Network, cause: err });
  }
  const text = await res.text();
  if (!res.ok)
    throw new CommandError(`rest ${verb} ${url}: HTTP ${res.status} ${text.slice(0, 200)}`, { code: Status.Network });
  return text;
}

export const compatCommands: CommandSpec[] = [
  switchCmd(['set', 'echo', 'queue'], (on, node) => node.settings.set(ECHO_QUEUE, on)),
  switchCmd(['set', 'exception', 'traceback'], (on, node) => node.settings.set(TRACEBACK, on)),
  switchCmd(['set', 'cli'], (on, node) => node.settings.set(CLI_ON, on)),
  {
    words: ['set', 'debug'],
    method: 'post',
    usage: 'set debug on|off|interactive',
    run(inv, node) {
      const [v, extra] = argWords(inv, node);
      if (!v || !['on', 'off', 'interactive'].includes(v) || extra !== undefined)
        throw structure('set debug: expected on|off|interactive');
      node.settings.set(DEBUG_MODE, v);
      return '';
    },
  },
  {
    words: ['trace', 'level'],
    method: 'post',
    usage: 'trace level = <0-3> [<command>]',
    run(inv, node) {
      const [eq, lvl] = inv.args;
      const n = lvl ? Number(textArg(inv, node, inv.tokens.indexOf(lvl))) : NaN;
      if (eq?.text !== '=' || !Number.isInteger(n) || n < 0 || n > 3)
        throw structure('trace level: expected trace level = <0-3> [command]');
      node.settings.set(TRACE_LEVEL, n);
      return '';
    },
  },
  {
    words: ['set', 'internal', 'ip', 'with'],
    method: 'post',
    usage: 'set internal ip with <interface name>|default',
    run(inv, node) {
      const [nic, extra] = argWords(inv, node);
      if (!nic || extra !== undefined) throw structure('set internal ip with: expected one interface name');
      const ip = nic === 'default' ? node.dict.get('external_ip') : nicAddress(nic);
      if (!ip)
        throw new CommandError(`set internal ip: no IPv4 address on interface '${nic}'`, {
          code: Status.ProcessFailure,
        });
      node.dict.set('ip', ip);
      return '';
    },
  },
  {
    words: ['set', 'servers', 'ping'],
    method: 'post',
    usage: 'set servers ping',
    // EdgeLake `set_servers_ping` sends `event metadata_ping` to the servers metadata.get_failed_servers() lists.
    // This node keeps no such list (a peer send retries and reports on its own), so there is nobody to ping;
    // the command exists so that system scheduler 0's "Metadata Ping" task runs as on EdgeLake.
    run: () => '',
  },
  {
    words: ['reset', 'error', 'log'],
    method: 'post',
    usage: 'reset error log',
    // Errors go to the node's structured log (base/log.ts), which keeps no separate error list to reset.
    run: () => '',
  },
  {
    words: ['get', 'hostname'],
    method: 'get',
    usage: 'get hostname',
    run: () => hostname(),
  },
  {
    words: ['file', 'test'],
    method: 'get',
    usage: 'file test <path>',
    run(inv, node) {
      const path = restText(inv, 2);
      if (path === '') throw structure('file test: expected a path');
      const resolved = node.resolve(path.replace(/^["']|["']$/g, ''));
      return resolved !== '' && existsSync(resolved) ? 'True' : 'False';
    },
  },
  {
    words: ['from'],
    minWords: 2,
    method: 'get',
    usage: 'from <json>|!var bring ...',
    rawWhere: true,
    run(inv, node) {
      const src = inv.tokens[1];
      const bring = inv.tokens[2];
      if (!src || !bring || bring.kind !== 'word' || !bring.text.toLowerCase().startsWith('bring'))
        throw structure("from: expected 'from <json> bring ...'");
      const text = src.kind === 'word' ? node.resolve(src.text) : src.text;
      if (text.trim() === '')
        throw new CommandError(`Error in command 'from': variable '${src.text}' not assigned with value`, {
          code: Status.WrongJsonStructure,
        });
      const objects = jsonObjects(text, "Error in command 'from'");
      return blockchainGet(`* ${inv.text.slice(bring.pos)}`, objects, {
        resolve: (w) => node.resolve(w),
        node: nodeAddress(node),
      });
    },
  },
  {
    words: ['python'],
    minWords: 2,
    method: 'get',
    usage: 'python <expression>',
    run(inv, node) {
      const expr = restText(inv, 1);
      if (expr === '') throw structure('python: expected an expression');
      return evalPython(substitutePython(expr, (w) => node.resolve(w)));
    },
  },
  {
    words: ['json'],
    minWords: 2,
    method: 'get',
    usage: 'json <json object>|!var [test|<key>]',
    run(inv, node) {
      const [, src, opt, extra] = inv.tokens;
      if (!src || extra) throw structure('json: expected json <object> [test]');
      const text = src.kind === 'word' ? node.resolve(src.text) : src.text;
      let v: PyValue | undefined;
      try {
        v = parseJson(text);
      } catch {
        v = undefined; // not JSON: EdgeLake answers '' (or false with `test`)
      }
      const isObject = v !== undefined && isDict(v);
      if (!opt) return isObject ? text : '';
      if (opt.text === 'test') return isObject ? 'true' : 'false';
      if (!isObject) return '';
      return blockchainGet(`* bring ${opt.text}`, [v!], { resolve: (w) => node.resolve(w) });
    },
  },
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
  {
    words: ['create', 'policy'],
    method: 'any',
    usage: 'create policy <type> [with defaults] [where key = value and ...]',
    run(inv, node) {
      const [typeTok, w1, w2] = inv.args;
      if (!typeTok || typeTok.kind !== 'word') throw structure('create policy: expected a policy type');
      const withDefaults = w1?.text === 'with';
      if (withDefaults && w2?.text !== 'defaults') throw structure("Missing 'defaults' in 'create policy' command");
      if (inv.args.length > (withDefaults ? 3 : 1)) throw structure("Missing 'where' in 'create policy' command");
      const type = node.resolve(typeTok.text).toLowerCase();
      const inner: PyDict = new Map();
      for (const [k, v] of Object.entries(whereObject(inv, node)))
        inner.set(k, Array.isArray(v) ? String(v[0]) : String(v));
      if (withDefaults) {
        // members/policies.py `default_values_`: addresses and EdgeLake's ports by node type.
        const ports: Record<string, [number, number]> = {
          master: [32048, 32049],
          operator: [32148, 32149],
          query: [32348, 32349],
          publisher: [32248, 32249],
        };
        const p = ports[type];
        if (p) {
          const add = (k: string, v: PyValue): void => void (inner.has(k) ? undefined : inner.set(k, v));
          add('ip', (node.dict.get('external_ip') ?? '').toLowerCase());
          add('internal_ip', (node.dict.get('ip') ?? '').toLowerCase());
          add('port', p[0]);
          add('rest_port', p[1]);
        }
      }
      let policy: PyDict = new Map([[type, inner]]);
      // With defaults EdgeLake also runs process_new_policy: id and date, checked against the ledger.
      if (withDefaults) policy = prepareInsert(policy, ledgerOf(node).policies(), { now: new Date() });
      return jsonDumps(policy);
    },
  },
  {
    words: ['blockchain', 'prepare', 'policy'],
    method: 'post',
    usage: 'blockchain prepare policy !var',
    run(inv, node) {
      const t = inv.args[0];
      if (!t || inv.args.length !== 1) throw structure('blockchain prepare policy: expected a policy or !var');
      const text = t.kind === 'word' ? node.resolve(t.text) : t.text;
      const policy = policyFrom(text, node, 'blockchain prepare policy');
      // EdgeLake's blockchain_prep is add_json_id_date only: the checks against the ledger come at insert.
      const prepared = completePolicy(policy, new Date());
      const out = jsonDumps(prepared);
      // EdgeLake writes the prepared policy back into the variable it came from.
      if (t.kind === 'word' && t.text.startsWith('!')) node.dict.set(t.text.slice(1), out);
      return '';
    },
  },
  ...(['get', 'put', 'post', 'delete'] as const).map((verb): CommandSpec => ({
    words: ['rest', verb],
    method: 'post',
    usage: `rest ${verb} where url = <url> [and ...]`,
    run(inv, node) {
      if (!inv.where) throw structure("Missing 'where' keyword in 'rest' command");
      return restCall(verb, whereObject(inv, node), node);
    },
  })),
  {
    words: ['delete', 'archive'],
    method: 'post',
    usage: 'delete archive where days = <n>',
    run(inv, node) {
      const days = Number(whereObject(inv, node)['days']);
      if (!Number.isInteger(days) || days < 0) throw structure("delete archive: expected 'where days = <n>'");
      const dir = node.dict.get('archive_dir');
      if (!dir)
        throw new CommandError('delete archive: !archive_dir is not set', { code: Status.MissingConfiguration });
      const files = oldFiles(dir, Date.now() - days * 86_400_000);
      for (const f of files) rmSync(f, { force: true });
      return '';
    },
  },
  {
    words: ['system'],
    minWords: 2,
    method: 'post',
    usage: 'system <shell command>',
    run(inv) {
      if (!SYSTEM_ALLOWED())
        throw new CommandError(
          'system: shell commands are off (start the node with EDGELAKE_RT_ALLOW_SYSTEM=true to allow them)',
          { code: Status.NotSupported },
        );
      const cmd = restText(inv, 1);
      if (cmd === '') throw structure('system: expected a command');
      return new Promise((resolve, reject) => {
        execFile('/bin/sh', ['-c', cmd], { timeout: 30_000, maxBuffer: 1 << 20 }, (err, stdout) => {
          if (err)
            reject(new CommandError(`system: ${errorMessage(err)}`, { code: Status.ProcessFailure, cause: err }));
          else resolve(stdout.trimEnd());
        });
      });
    },
  },
  {
    words: ['partition'],
    minWords: 2,
    method: 'post',
    usage: 'partition <dbms> <table>|* using <column> by [<n>] year|month|day|hour (weeks: 7n days)',
    run(inv, node) {
      // EdgeLake: member_cmd.py `_partition_data` (the interval as two words or one quoted text).
      const w = argWords(inv, node);
      const [dbms, table, using, column, by, ...interval] = w;
      const iv = interval.join(' ');
      const col = column === undefined ? undefined : normalizeColumnName(column);
      if (!dbms || !table || using !== 'using' || !col || !isSafeIdentifier(col) || by !== 'by' || !parseInterval(iv))
        throw structure('partition: expected partition <dbms> <table> using <column> by [<n>] year|month|day|hour');
      const list = (node.settings.get(PARTITIONS) ?? []).filter((p) => !(p.dbms === dbms && p.table === table));
      list.push({ dbms, table, column: col, interval: iv });
      node.settings.set(PARTITIONS, list);
      // A running operator splits the rows it lands from now on (actors/operator/partition.ts).
      for (const i of node.instances('operator')) node.send(dbmsNoticeTo(i.id), { type: 'operator.partitions', list });
      return '';
    },
  },
  {
    words: ['get', 'partitions'],
    method: 'get',
    usage: 'get partitions',
    run(_inv, node) {
      const list = node.settings.get(PARTITIONS) ?? [];
      return formatTable(
        ['DBMS', 'Table', 'Column', 'Interval'],
        list.map((p) => [p.dbms, p.table, p.column, p.interval]),
      );
    },
  },
  {
    words: ['drop', 'partition'],
    method: 'post',
    usage: 'drop partition [<name>|*] where dbms = <dbms> and table = <table>|* [and keep = <n>]',
    // EdgeLake: member_cmd.py `_drop_partition` and `drop_table_partition`: without a name, the oldest partition
    // (with `keep = n`: the oldest ones until n are left); a table with one partition keeps it. Partition names
    // sort by their date key (zero-padded), so the oldest sort first.
    async run(inv, node) {
      const o = whereObject(inv, node);
      const dbms = o['dbms'];
      const table = o['table'];
      const keep = o['keep'] === undefined ? undefined : Number(o['keep']);
      if (
        typeof dbms !== 'string' ||
        typeof table !== 'string' ||
        (keep !== undefined && !(Number.isInteger(keep) && keep >= 0))
      )
        throw structure("drop partition: expected 'where dbms = .. and table = .. [and keep = n]'");
      if (!node.dbms.has(dbms)) return ''; // nothing partitioned in a database this node does not keep
      const [named] = argWords(inv, node);
      const byTable = new Map<string, string[]>();
      for (const t of await node.dbms.reader(dbms).listTables()) {
        const parent = partitionParent(t);
        if (parent === undefined || !isSafeIdentifier(t) || (table !== '*' && parent !== table.toLowerCase())) continue;
        if (named !== undefined && named !== '*' && t !== named) continue;
        byTable.set(parent, [...(byTable.get(parent) ?? []), t]);
      }
      const drop: string[] = [];
      for (const list of byTable.values()) {
        list.sort();
        if (named !== undefined) drop.push(...list);
        else if (list.length > 1) drop.push(...list.slice(0, keep ? Math.max(0, list.length - keep) : 1));
      }
      if (drop.length > 0)
        await node.dbms.ddl(
          dbms,
          // A safe identifier holds no '"' (storage/schema/names.ts): quoted as is.
          drop.map((t) => `DROP TABLE IF EXISTS "${t}"`),
        );
      // A running operator forgets the partition tables it knew (a late row recreates its partition).
      if (drop.length > 0)
        for (const i of node.instances('operator'))
          node.send(dbmsNoticeTo(i.id), { type: 'operator.partitions', list: node.settings.get(PARTITIONS) ?? [] });
      return '';
    },
  },
  notSupported(['video'], 'video streaming'),
  notSupported(['set', 'function', 'params'], 'video functions (func_references.py)'),
  notSupported(['run', 'mcp', 'server'], 'the MCP server'),
  notSupported(['id'], 'node keys and signing (authentication)'),
  notSupported(['get', 'private', 'key'], 'node keys and signing (authentication)'),
  notSupported(['run', 'video', 'stream'], 'video streaming'),
  notSupported(['run', 'opcua', 'client'], 'OPC-UA'),
  notSupported(['run', 'plc', 'client'], 'the PLC client'),
  notSupported(['get', 'opcua'], 'OPC-UA'),
  notSupported(['bucket'], 'bucket storage'),
  notSupported(['import', 'function'], 'import function'),
  notSupported(['blockchain', 'connect'], 'a blockchain platform'),
  notSupported(['blockchain', 'set', 'account'], 'a blockchain platform'),
  notSupported(['blockchain', 'deploy', 'contract'], 'a blockchain platform'),
  notSupported(['get', 'platforms'], 'a blockchain platform'),
];

/**
 * A node whose `blockchain` database has EdgeLake's `ledger` table keeps its policies there too, as EdgeLake's
 * master does (dbms/db_info.py `blockchain_create_local_table`, blockchain_insert_entry): rows are added for new
 * policies and removed for dropped ones, keyed by policy_id. Called after `create table ledger` and after each
 * command that changes the metadata. Values are bound, never spliced.
 */
export async function mirrorLedger(node: NodeApi): Promise<void> {
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
    if (!ids.has(id)) statements.push({ sql: `DELETE FROM ledger WHERE policy_id = ${p(1)}`, params: [id] });
  if (statements.length > 0) await node.dbms.write('blockchain', statements);
}
