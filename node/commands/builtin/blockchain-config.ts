// Building policies and configuring a node from one (EdgeLake cmd/member_cmd.py, generic/params.py):
//   set policy <var> [k][k2] = <value> [and ...]     protocols/policy/build.ts on the JSON text `<var>` holds
//   config from policy where id = <id>               (L496-700) the policy's `ip`/`port`/`local_ip`/`local_port`
//        start or reconfigure the TCP server, `rest_ip`/`rest_port` the REST server, `broker_ip`/`broker_port` the
//        message broker (a server already listening there is left alone); then each command of its `script` list
//        runs in order, and the first one that fails ends it (error naming the line, the policy and the command)
//   get config policies                              the policies applied and their result
import { CommandError, EdgeRtError, errorMessage } from '../../../base/errors.js';
import { formatTable } from '../../../protocols/format/table.js';
import { applySetPolicy, parseSetPolicy, typedResolver } from '../../../protocols/policy/build.js';
import { policyInner } from '../../../protocols/policy/id.js';
import { selectPolicies } from '../../../protocols/policy/query.js';
import { parseQuery } from '../../../protocols/policy/query-parse.js';
import { pyStr } from '../../../protocols/policy/pyrepr.js';
import type { PyDict } from '../../../protocols/policy/pyvalue.js';
import type { RunEnv } from '../../../protocols/command/interpreter.js';
import { withNodeDefaults, type CommandSpec, type NodeApi } from '../../service.js';
import { ledgerOf, nodeAddress, restText } from './blockchain.js';
import { Status } from '../../../base/status.js';
import { defineSetting } from '../../settings.js';

const setPolicy: CommandSpec = {
  words: ['set', 'policy'],
  method: 'post',
  usage: 'set policy <var> [<key>][<key>] = <value> [and [<key>] = <value> ...]',
  run(inv, node) {
    const sp = parseSetPolicy(restText(inv, 2));
    const resolve = typedResolver((w) => node.resolve(w));
    node.dict.set(sp.name, applySetPolicy(sp.name, node.dict.get(sp.name) ?? '', sp.words, resolve));
    return '';
  },
};

/** A policy value as EdgeLake reads it for a server (get_value_if_available: `!x` resolved). */
function field(inner: PyDict, key: string, node: NodeApi): string {
  const v = inner.get(key);
  if (v === undefined || v === null) return '';
  return typeof v === 'string' ? node.resolve(v) : pyStr(v);
}

function portOf(text: string, what: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n > 65535)
    throw new CommandError(`The ${what} value '${text}' is not an int`, { code: Status.WrongPortValue });
  return n;
}

function bindOf(inner: PyDict, key: string, dflt: boolean, node: NodeApi): boolean {
  if (!inner.has(key)) return dflt;
  const v = inner.get(key);
  return v === true || (typeof v === 'string' && node.resolve(v) === 'true');
}

type Listener = {
  external_ip: string;
  external_port: number;
  internal_ip: string;
  internal_port: number;
  bind: boolean;
  threads?: number;
};

const SAME_KEYS = ['external_ip', 'external_port', 'internal_ip', 'internal_port', 'bind'] as const;

/** Starts `kind` with these addresses, or restarts it when it listens elsewhere (EdgeLake is_new_connections). */
async function listen(node: NodeApi, kind: string, want: Listener, env: RunEnv): Promise<void> {
  const desc = node.service(kind);
  if (!desc)
    throw new CommandError(`config from policy: no '${kind}' service in this node`, { code: Status.CommandStructure });
  const raw: Record<string, unknown> = Object.fromEntries(Object.entries(want).map(([k, v]) => [k, String(v)]));
  const cur = node.instances(kind)[0];
  if (cur) {
    const parsed = desc.schema.parse(withNodeDefaults(desc, node, raw), `config from policy: ${kind}`);
    if (SAME_KEYS.every((k) => parsed[k] === cur.config[k])) return;
    await node.stopService(cur.id, 'config from policy: reconfigure');
  }
  await node.startService(desc, raw, env);
}

function threadsOf(inner: PyDict, key: string, node: NodeApi): { threads?: number } {
  const t = field(inner, key, node);
  if (t === '') return {};
  if (!/^\d+$/.test(t))
    throw new CommandError(`config from policy: '${key}' is not a number of threads ('${t}')`, {
      code: Status.CommandStructure,
    });
  return { threads: Number(t) };
}

async function configServers(node: NodeApi, inner: PyDict, id: string, env: RunEnv): Promise<void> {
  const ip = field(inner, 'ip', node);
  const port = field(inner, 'port', node);
  const localIp = field(inner, 'local_ip', node);
  let localPort = field(inner, 'local_port', node);
  if ((ip && port) || (localIp && localPort)) {
    const bind = bindOf(inner, 'tcp_bind', ip === '' || localIp === '', node);
    if (!bind && !localPort) localPort = port;
    const ext = portOf(port || localPort, 'Port');
    const int = localPort ? portOf(localPort, 'Local Port') : ext;
    await listen(
      node,
      'tcp-server',
      {
        external_ip: ip || localIp,
        external_port: ext,
        internal_ip: localIp || ip,
        internal_port: int,
        bind,
        ...threadsOf(inner, 'tcp_threads', node),
      },
      env,
    );
  }
  for (const [kind, prefix, label] of [
    ['rest-server', 'rest', 'REST Server'],
    ['message-broker', 'broker', 'Message Broker'],
  ] as const) {
    const p = field(inner, `${prefix}_port`, node);
    if (!p) continue;
    const own = field(inner, `${prefix}_ip`, node);
    if (!own && !ip)
      throw new CommandError(`Missing IP to configure ${label} using policy ${id}`, { code: Status.CommandStructure });
    const n = portOf(p, `${label} Port`);
    const addr = own || ip;
    const bind = bindOf(inner, `${prefix}_bind`, own !== '', node);
    await listen(
      node,
      kind,
      {
        external_ip: addr,
        external_port: n,
        internal_ip: addr,
        internal_port: n,
        bind,
        ...threadsOf(inner, `${prefix === 'broker' ? 'msg' : prefix}_threads`, node),
      },
      env,
    );
  }
}

/** The `script` of a config policy: a list, or EdgeLake's `[a, b]` text form. */
function scriptOf(inner: PyDict, id: string): string[] {
  const s = inner.get('script');
  if (s === undefined) return [];
  if (typeof s === 'string' && s.startsWith('[') && s.endsWith(']')) return s.slice(1, -1).split(',');
  if (Array.isArray(s) && s.every((x) => typeof x === 'string')) return s as string[];
  throw new CommandError(`Wrong script structure in config policy ${id}`, { code: Status.WrongPolicyStructure });
}

interface Applied {
  name: string;
  error: number;
  message: string;
}

const CONFIG_SETTINGS = defineSetting<Map<string, Applied>>('node.config-policies');

function record(node: NodeApi, id: string, a: Applied): void {
  const m = node.settings.get(CONFIG_SETTINGS) ?? new Map<string, Applied>();
  m.set(id, a);
  node.settings.set(CONFIG_SETTINGS, m);
}

const configFromPolicy: CommandSpec = {
  words: ['config', 'from', 'policy'],
  method: 'post',
  usage: 'config from policy where id = <policy id>',
  rawWhere: true,
  async run(inv, node) {
    const text = restText(inv, 3);
    if (!/^where\s/i.test(text))
      throw new CommandError(`Missing where condition in 'config from policy' command`, {
        code: Status.CommandStructure,
      });
    const list = selectPolicies(parseQuery(`* ${text}`), ledgerOf(node).policies(), {
      resolve: (w) => node.resolve(w),
      node: nodeAddress(node),
    });
    if (list.length === 0)
      throw new CommandError(`config from policy: no policy ${text}`, { code: Status.NeededPolicyNotAvailable });
    if (list.length !== 1)
      throw new CommandError(`config from policy: ${list.length} policies ${text}`, { code: Status.NonUniquePolicy });
    const inner = policyInner(list[0]);
    if (!inner)
      throw new CommandError('config from policy: wrong policy structure', { code: Status.WrongPolicyStructure });
    if (!inner.has('id'))
      throw new CommandError('config from policy: the policy has no id', { code: Status.MissingIdInPolicy });
    const id = pyStr(inner.get('id')!);
    const name = inner.has('name') ? pyStr(inner.get('name')!) : '';
    const fail = (err: unknown): never => {
      const code = err instanceof EdgeRtError && err.code !== undefined ? err.code : Status.ProcessFailure;
      record(node, id, { name, error: code, message: errorMessage(err) });
      throw err;
    };
    await configServers(node, inner, id, inv.env).catch(fail);
    const script = (() => {
      try {
        return scriptOf(inner, id);
      } catch (err) {
        return fail(err);
      }
    })();
    for (const [i, entry] of script.entries()) {
      let cmd = entry.trim();
      if (cmd.length > 1 && cmd.startsWith("'") && cmd.endsWith("'")) cmd = cmd.slice(1, -1);
      if (cmd === '') continue;
      try {
        await node.command(cmd, inv.env);
      } catch (err) {
        const code = err instanceof EdgeRtError && err.code !== undefined ? err.code : Status.ProcessFailure;
        fail(
          new CommandError(
            `Wrong format in script line ${i + 1} of policy: ${id} command: '${cmd}': ${errorMessage(err)}`,
            { code, cause: err },
          ),
        );
      }
    }
    record(node, id, { name, error: 0, message: '' });
    node.log.info('configured from policy', { id, commands: script.length });
    return '';
  },
};

const getConfigPolicies: CommandSpec = {
  words: ['get', 'config', 'policies'],
  method: 'get',
  usage: 'get config policies',
  run(_inv, node) {
    const m = node.settings.get(CONFIG_SETTINGS) ?? new Map<string, Applied>();
    return formatTable(
      ['Policy ID', 'Policy_name', 'Error', 'Message'],
      [...m].map(([id, a]) => [id, a.name, a.error, a.message]),
    );
  },
};

export const blockchainConfigCommands: CommandSpec[] = [setPolicy, configFromPolicy, getConfigPolicies];
