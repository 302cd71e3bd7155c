// Node-level commands: status, name, dictionary, print/echo, connections, directories, exit node.
import { mkdirSync } from 'node:fs';
import { CommandError } from '../../../base/errors.js';
import { formatTable, pyJson } from '../../../protocols/format/table.js';
import { createWorkDirectories, dirDictionary } from '../../layout.js';
import type { CommandSpec } from '../../service.js';
import { argWords, formatOf, whereObject } from '../args.js';
import { Status } from '../../../base/status.js';
import { CONNECTION_NAMES, type ConnectionAddresses, type ConnectionName } from '../../connections.js';

export const VERSION = '0.1.0';

export const getStatus: CommandSpec = {
  words: ['get', 'status'],
  method: 'get',
  usage: 'get status [where format = json]',
  run(inv, node) {
    // EdgeLake: `<name>@<ip:port> running`; JSON {"assigned_name", "status", "profiling"} (member_cmd.py L15825-15870)
    const format = formatOf(inv, node, ['json']);
    if (inv.where && format === 'json')
      return pyJson({ assigned_name: node.identity(), status: 'running', profiling: false });
    return `${node.identity()} running`;
  },
};

export const getNodeName: CommandSpec = {
  words: ['get', 'node', 'name'],
  method: 'get',
  usage: 'get node name',
  run: (_inv, node) => node.name,
};

export const setNodeName: CommandSpec = {
  words: ['set', 'node', 'name'],
  method: 'post',
  usage: 'set node name <name>',
  run(inv, node) {
    const [name, ...extra] = argWords(inv, node);
    if (!name || extra.length > 0)
      throw new CommandError('set node name: expected one name', { code: Status.CommandStructure });
    if (!/^[\w.\-]+$/.test(name))
      throw new CommandError(`set node name: '${name}' has characters a node name cannot have`, {
        code: Status.CommandStructure,
      });
    node.setName(name);
    return '';
  },
};

export const getVersion: CommandSpec = {
  words: ['get', 'version'],
  method: 'get',
  usage: 'get version',
  run: () => `edgelake-rt Version: ${VERSION} (EdgeLake 1.4 command and wire compatible)`,
};

export const getDictionary: CommandSpec = {
  words: ['get', 'dictionary'],
  method: 'get',
  usage: 'get dictionary [where format = json]',
  run(inv, node) {
    const entries = node.dict.displayEntries();
    if (formatOf(inv, node) === 'json') return pyJson(Object.fromEntries(entries));
    return formatTable(['Key', 'Value'], entries);
  },
};

const printLike = (word: 'print' | 'echo'): CommandSpec => ({
  words: [word],
  method: 'any',
  usage: `${word} <text>`,
  run(inv, node) {
    return inv.tokens
      .slice(1)
      .map((t) => (t.kind === 'word' ? node.resolve(t.text) : t.kind === 'group' ? `(${t.text})` : t.text))
      .join(' ');
  },
});

export const getConnections: CommandSpec = {
  words: ['get', 'connections'],
  method: 'get',
  usage: 'get connections [where format = json]',
  run(inv, node) {
    // EdgeLake net_utils.py L1326-1400: rows TCP, REST, Messaging with external/internal/bind addresses.
    const get = (k: ConnectionName): ConnectionAddresses =>
      node.connections.get(k) ?? { external: 'Not declared', internal: 'Not declared', bind: 'Not declared' };
    if (formatOf(inv, node) === 'json') {
      // EdgeLake's keys: external, local, bind (net_utils.get_connections).
      return pyJson(
        Object.fromEntries(
          CONNECTION_NAMES.map((k) => {
            const c = get(k);
            return [k, { external: c.external, local: c.internal, bind: c.bind }];
          }),
        ),
      );
    }
    return formatTable(
      ['Type', 'External Address', 'Internal Address', 'Bind Address'],
      CONNECTION_NAMES.map((k) => {
        const c = get(k);
        return [k, c.external, c.internal, c.bind];
      }),
    );
  },
};

export const createWorkDirs: CommandSpec = {
  words: ['create', 'work', 'directories'],
  method: 'post',
  usage: 'create work directories',
  run(_inv, node) {
    createWorkDirectories(node.dict.get('edgelake_path') ?? node.root);
    return '';
  },
};

const setHome = (words: string[]): CommandSpec => ({
  words,
  method: 'post',
  usage: `${words.join(' ')} <path>`,
  run(inv, node) {
    const [path] = argWords(inv, node);
    if (!path) throw new CommandError(`${words.join(' ')}: expected a path`, { code: Status.CommandStructure });
    mkdirSync(path, { recursive: true, mode: 0o700 });
    // EdgeLake: every directory key of the dictionary follows the new home.
    for (const [k, v] of Object.entries(dirDictionary(path))) node.dict.set(k, v);
    return '';
  },
});

export const exitNode: CommandSpec = {
  words: ['exit', 'node'],
  method: 'post',
  usage: 'exit node',
  run(_inv, node) {
    node.requestStop('exit node');
    return '';
  },
};

export const exitAll: CommandSpec = {
  words: ['exit', 'all'],
  method: 'post',
  usage: 'exit all',
  async run(_inv, node) {
    // EdgeLake raises the global exit flag: every service stops, the node process stays.
    for (const d of [...node.services()].reverse())
      for (const i of node.instances(d.kind)) await node.stopService(i.id, 'exit all');
    return '';
  },
};

export const getEnv: CommandSpec = {
  words: ['get', 'env', 'var'],
  method: 'get',
  usage: 'get env var <name>',
  run(inv, node) {
    const [name] = argWords(inv, node);
    if (!name) throw new CommandError('get env var: expected a name', { code: Status.CommandStructure });
    return node.resolve(`$${name}`);
  },
};

export const nodeCommands: CommandSpec[] = [
  getStatus,
  getNodeName,
  setNodeName,
  getVersion,
  getDictionary,
  printLike('print'),
  printLike('echo'),
  getConnections,
  createWorkDirs,
  setHome(['set', 'anylog', 'home']),
  setHome(['set', 'edgelake', 'home']),
  exitNode,
  exitAll,
  getEnv,
  {
    words: ['get', 'dictionary', 'value'],
    method: 'get',
    usage: 'get dictionary value where key = <name>',
    run(inv, node) {
      const key = whereObject(inv, node)['key'];
      if (typeof key !== 'string')
        throw new CommandError("get dictionary value: expected 'where key = <name>'", {
          code: Status.CommandStructure,
        });
      return node.dict.get(key) ?? '';
    },
  },
];
