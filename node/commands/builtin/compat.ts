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
// function, the MCP server, `get private key`; `id` beyond what node/auth builds) answer error 237 "Not Supported in this Version", which `on error goto|call` catches.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { hostname, networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { CommandError, errorMessage } from '../../../base/errors.js';
import { Status } from '../../../base/status.js';
import { evalPython, substitutePython } from '../../../protocols/command/python-expr.js';
import { blockchainGet } from '../../../protocols/policy/query.js';
import { completePolicy } from '../../../protocols/policy/id.js';
import { prepareInsert } from '../../../protocols/policy/insert.js';
import { jsonDumps } from '../../../protocols/policy/pyrepr.js';
import { isDict, parseJson, type PyDict, type PyValue } from '../../../protocols/policy/pyvalue.js';
import { PARTITIONS } from '../../notices.js';
import { defineSetting } from '../../settings.js';
import type { CommandSpec, Invocation, NodeApi } from '../../service.js';
import { argWords, whereObject, structure } from '../args.js';
import { restCommands } from './rest-client.js';
import { jsonObjects, tableCommands } from './tables.js';
import { partitionCommands } from './partitions.js';
import { ledgerOf, nodeAddress, policyFrom, restText } from './blockchain.js';

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
  ...tableCommands,
  ...restCommands,
  ...partitionCommands,
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
