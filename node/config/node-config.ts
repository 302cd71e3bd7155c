// node.yaml: the whole configuration of a node.
//   node:       name, root (data directory), ip, log_level
//   dbms:       connections by name: {type: sqlite|psql, ip, port, user, password, database, memory}
//   services:   per service (its `run` command's options, same schema); `true`/`{}` = defaults;
//               services that run several instances (msg_client, grpc_client) take a list
//   supervisor: strategy, intensity, period, `restart: {<service>: permanent|transient|temporary}` and
//               `startup_error: {<service>: error|retry|ignore}` (what a service that cannot start does: a node.yaml
//               service that fails never stops the node; `retry` tries again with backoff first, `ignore` keeps it
//               listed as Failed in `get processes`)
//   commands:   EdgeLake commands run in order after the services start (like a start script)
// `edgelake-rt check node.yaml` reports every error with its YAML path and line.
import { createRequire } from 'node:module';
import { dirname, isAbsolute, resolve } from 'node:path';
import { load, YAMLException } from 'js-yaml';
import type { Document, LineCounter } from 'yaml';
import { ConfigError, errorMessage } from '../../base/errors.js';
import type { ServiceDescriptor } from '../service.js';
import type { RestartType, StartupPolicy, Strategy } from '../../runtime/supervisor.js';
import { bool, int, num, oneOf, port, schema, str } from '../../runtime/config/schema.js';

export interface DbmsConfig {
  type: 'sqlite' | 'psql';
  ip?: string;
  port?: number;
  user?: string;
  password?: string;
  database?: string;
  memory: boolean;
}

export interface NodeConfig {
  name: string;
  root: string | undefined;
  ip: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  dbms: Record<string, DbmsConfig>;
  /** In file order; `options` is the raw section, validated by the service's schema. */
  services: { desc: ServiceDescriptor; options: Record<string, unknown>; path: string }[];
  supervisor: {
    strategy: Strategy;
    intensity: number;
    period: number;
    restart: Record<string, RestartType>;
    startupError: Record<string, StartupPolicy>;
  };
  /** `line` is the command's line in the file, for error messages. */
  commands: { text: string; path: string; line?: number }[];
}

const nodeSchema = schema('node', {
  name: str('edgelake-rt'),
  root: str(),
  ip: str('127.0.0.1'),
  log_level: oneOf(['debug', 'info', 'warn', 'error'] as const, 'info'),
});

export const dbmsSchema = schema('dbms', {
  type: oneOf(['sqlite', 'psql'] as const, 'sqlite'),
  ip: str(),
  port: port(),
  user: str(),
  password: str(undefined, { secret: true }),
  database: str(),
  memory: bool(false),
});

const supervisorSchema = schema('supervisor', {
  strategy: oneOf(['one_for_one', 'one_for_all', 'rest_for_one'] as const, 'one_for_one'),
  intensity: int(5, { min: 0 }),
  period: num(10),
});

const TOP_KEYS = ['node', 'dbms', 'services', 'supervisor', 'commands'];
const RESTART_TYPES = ['permanent', 'transient', 'temporary'];
const STARTUP_POLICIES = ['error', 'retry', 'ignore'];

export class NodeConfigError extends ConfigError {
  constructor(
    readonly problems: string[],
    /** The commands that were read before the errors, so `check` can report their problems too. */
    readonly commands: NodeConfig['commands'] = [],
  ) {
    super(problems.join('\n'));
  }
}

/**
 * Line numbers for YAML paths, so errors say `line 12` as well as `services.operator.x`. The node reads
 * node.yaml with js-yaml (small); the `yaml` package, which knows where each node is but costs about
 * 5 MB of the main thread's memory, is loaded only when a line is asked for (errors, `check`).
 */
class Locator {
  private doc: Document | undefined;
  private lc: LineCounter | undefined;
  private yaml: typeof import('yaml') | undefined;

  constructor(private readonly text: string) {}

  line(path: (string | number)[]): number | undefined {
    if (!this.yaml) {
      this.yaml = createRequire(import.meta.url)('yaml') as typeof import('yaml');
      this.lc = new this.yaml.LineCounter();
      this.doc = this.yaml.parseDocument(this.text, { lineCounter: this.lc, prettyErrors: false });
    }
    const { doc, lc, yaml } = { doc: this.doc!, lc: this.lc!, yaml: this.yaml };
    for (let n = path.length; n > 0; n--) {
      const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
      if (node && typeof node === 'object' && node.range) return lc.linePos(node.range[0]).line;
      // A key with a null value has no node: try the pair's key instead.
      const parent = n > 1 ? doc.getIn(path.slice(0, n - 1), true) : doc.contents;
      if (yaml.isMap(parent)) {
        const pair = parent.items.find((p) => (p.key as { value?: unknown })?.value === path[n - 1]);
        const k = pair?.key as { range?: [number, number, number] } | undefined;
        if (k?.range) return lc.linePos(k.range[0]).line;
      }
    }
    return undefined;
  }
}

/** `lines`: give each command its YAML line (for `check`; loads the yaml package). */
export function parseNodeConfig(
  text: string,
  file: string,
  services: readonly ServiceDescriptor[],
  opts: { lines?: boolean } = {},
): NodeConfig {
  const loc = new Locator(text);
  const problems: string[] = [];
  const at = (path: (string | number)[], msg: string): void => {
    const line = loc.line(path);
    problems.push(`${file}${line !== undefined ? `:${line}` : ''}: ${msg}`);
  };
  let raw: unknown;
  try {
    raw = load(text) ?? {};
  } catch (err) {
    if (!(err instanceof YAMLException)) throw err;
    throw new NodeConfigError([`${file}:${err.mark.line + 1}: YAML: ${err.reason}`]);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new NodeConfigError([`${file}: expected a mapping with keys ${TOP_KEYS.join(', ')}`]);
  const top = raw as Record<string, unknown>;
  for (const k of Object.keys(top))
    if (!TOP_KEYS.includes(k)) at([k], `${k}: unknown key (known: ${TOP_KEYS.join(', ')})`);

  const attempt = <T>(path: (string | number)[], fn: () => T): T | undefined => {
    try {
      return fn();
    } catch (err) {
      for (const line of errorMessage(err).split('\n')) {
        // Schema messages start with the dotted path; point at the deepest part we can find.
        const p = line.slice(0, line.indexOf(':')).split('.').filter(Boolean);
        const deep: (string | number)[] =
          p.length > path.length && p.slice(0, path.length).join('.') === path.join('.') ? p : path;
        at(
          deep.map((x) => (typeof x === 'string' && /^\d+$/.test(x) ? Number(x) : x)),
          line,
        );
      }
      return undefined;
    }
  };

  const node = attempt(['node'], () => nodeSchema.parse(top['node'], 'node'));
  const dbms: Record<string, DbmsConfig> = {};
  const dbmsRaw = top['dbms'] ?? {};
  if (typeof dbmsRaw !== 'object' || dbmsRaw === null || Array.isArray(dbmsRaw))
    at(['dbms'], 'dbms: expected a mapping of connection name to options');
  else {
    for (const [name, opts] of Object.entries(dbmsRaw)) {
      if (!/^[a-z_][a-z0-9_]*$/i.test(name)) at(['dbms', name], `dbms.${name}: a dbms name is letters, digits and _`);
      const d = attempt(['dbms', name], () => dbmsSchema.parse(opts, `dbms.${name}`));
      if (d) dbms[name] = d as DbmsConfig;
    }
  }

  const svc: NodeConfig['services'] = [];
  const servicesRaw = top['services'] ?? {};
  if (typeof servicesRaw !== 'object' || servicesRaw === null || Array.isArray(servicesRaw))
    at(['services'], 'services: expected a mapping of service name to options');
  else {
    for (const [key, value] of Object.entries(servicesRaw)) {
      const desc = services.find((s) => s.yaml === key);
      if (!desc) {
        at(['services', key], `services.${key}: unknown service (known: ${services.map((s) => s.yaml).join(', ')})`);
        continue;
      }
      if (value === false || value === null) continue;
      const list = desc.multi ? (Array.isArray(value) ? value : [value]) : [value];
      if (!desc.multi && Array.isArray(value)) {
        at(['services', key], `services.${key}: one ${desc.process} per node (a mapping, not a list)`);
        continue;
      }
      list.forEach((item, i) => {
        const path = desc.multi && Array.isArray(value) ? ['services', key, i] : ['services', key];
        const options = item === true ? {} : item;
        if (typeof options !== 'object' || options === null || Array.isArray(options)) {
          at(path, `${path.join('.')}: expected the service's options as a mapping (or true)`);
          return;
        }
        const ok = attempt(path, () => desc.schema.parse(options, path.join('.')));
        if (ok !== undefined) svc.push({ desc, options: options as Record<string, unknown>, path: path.join('.') });
      });
    }
  }

  // The flags and each `restart` entry are checked separately, so every error is reported at once.
  const supRaw = top['supervisor'] ?? {};
  const supIsMap = typeof supRaw === 'object' && supRaw !== null && !Array.isArray(supRaw);
  if (!supIsMap) at(['supervisor'], 'supervisor: expected a mapping (strategy, intensity, period, restart)');
  const { restart, startup_error: startupError, ...flags } = (supIsMap ? supRaw : {}) as Record<string, unknown>;
  const supFlags = attempt(['supervisor'], () => supervisorSchema.parse(flags, 'supervisor'));
  /** A `{<service>: <one of values>}` mapping under `supervisor`, every bad entry reported. */
  const perService = <T extends string>(key: string, raw: unknown, values: string[]): Record<string, T> => {
    const out: Record<string, T> = {};
    if (raw === undefined) return out;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      at(['supervisor', key], `supervisor.${key}: expected a mapping of service to ${values.join('|')}`);
      return out;
    }
    for (const [k, v] of Object.entries(raw)) {
      if (!services.some((x) => x.yaml === k)) at(['supervisor', key, k], `supervisor.${key}.${k}: unknown service`);
      else if (typeof v !== 'string' || !values.includes(v))
        at(['supervisor', key, k], `supervisor.${key}.${k}: expected ${values.join('|')} (got ${JSON.stringify(v)})`);
      else out[k] = v as T;
    }
    return out;
  };
  const restartTypes = perService<RestartType>('restart', restart, RESTART_TYPES);
  const startupPolicies = perService<StartupPolicy>('startup_error', startupError, STARTUP_POLICIES);
  const sup = supIsMap && supFlags ? { ...supFlags, restart: restartTypes, startupError: startupPolicies } : undefined;

  const commands: NodeConfig['commands'] = [];
  const cmdRaw = top['commands'] ?? [];
  if (!Array.isArray(cmdRaw)) at(['commands'], 'commands: expected a list of EdgeLake commands');
  else
    cmdRaw.forEach((c, i) => {
      if (typeof c !== 'string') at(['commands', i], `commands[${i}]: expected a command (text)`);
      else {
        const line = opts.lines ? loc.line(['commands', i]) : undefined;
        commands.push(
          line === undefined ? { text: c, path: `commands[${i}]` } : { text: c, path: `commands[${i}]`, line },
        );
      }
    });

  if (problems.length > 0 || !node || !sup) throw new NodeConfigError(problems, commands);
  let root = node.root;
  if (root !== undefined && !isAbsolute(root)) root = resolve(dirname(resolve(file)), root);
  return {
    name: node.name,
    root,
    ip: node.ip,
    logLevel: node.log_level,
    dbms,
    services: svc,
    supervisor: sup,
    commands,
  };
}
