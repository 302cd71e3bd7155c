// The topics of one msg client, compiled once when the actor starts (protocols/mapping): the Mapper of
// each topic, how a received topic name finds its clause, and what `get msg clients` shows of it.
// EdgeLake (mqtt_client.py L1117-1140, message_server.py L498-503) matches a received name exactly, or by
// prefix for a clause ending in `#` (local broker); here MQTT's filter rules apply (`+` one level, `#` the
// rest), which includes both.
import { ConfigError, errorMessage } from '../../base/errors.js';
import {
  chainMappers,
  compilePolicy,
  compileTopic,
  normalizeName,
  stripBringWord,
  type Mapper,
} from '../../protocols/mapping/index.js';
import type { MsgClientConfig } from './config.js';
import type { TopicInfo, TopicStats } from './messages.js';
import { topicMatches } from '../_shared/topic-filter.js';
import type { TopicConfig } from '../_shared/topic.js';
import { Status } from '../../base/status.js';

export interface TopicRuntime {
  readonly name: string;
  readonly qos: 0 | 1 | 2;
  /** Undefined when the topic's messages are only logged (`only_log`, `persist`). */
  readonly mapper: Mapper | undefined;
  readonly info: Omit<TopicInfo, 'stats'>;
  readonly stats: TopicStats;
  matches(received: string): boolean;
}

/** Python's repr of a list of strings, as EdgeLake shows bring words (`['[sensor]']`). */
function pyList(words: readonly string[]): string {
  return `[${words.map((w) => (w.includes("'") && !w.includes('"') ? `"${w}"` : `'${w.replace(/'/g, "\\'")}'`)).join(', ')}]`;
}

/** A bring's words without `bring` (EdgeLake get_cmd_bring): split on spaces outside [..] and quotes. */
function bringWords(expr: string): string[] {
  const out: string[] = [];
  let cur = '';
  let depth = 0;
  let quote = '';
  for (const ch of expr) {
    if (quote) {
      cur += ch;
      if (ch === quote) quote = '';
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      cur += ch;
    } else if (ch === '[') {
      depth++;
      cur += ch;
    } else if (ch === ']') {
      depth = Math.max(0, depth - 1);
      cur += ch;
    } else if (/\s/.test(ch) && depth === 0) {
      if (cur) out.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur) out.push(cur);
  return out;
}

/** How EdgeLake shows a mapping source: bring words as a list, `now` as `now()`, constants as given. */
function showSource(v: unknown): string {
  const text = typeof v === 'string' ? v.trim() : JSON.stringify(v);
  const expr = stripBringWord(text);
  if (expr !== undefined) return pyList(bringWords(expr));
  if (text === 'now' || text === 'now()') return 'now()';
  return text;
}

function showName(v: string | undefined): string {
  if (v === undefined) return '';
  return stripBringWord(v) !== undefined ? showSource(v) : normalizeName(v.trim());
}

function columnsOf(extra: Readonly<Record<string, unknown>>): TopicInfo['columns'] {
  const cols: TopicInfo['columns'] = [];
  for (const [key, raw] of Object.entries(extra)) {
    const dot = key.indexOf('.', 7);
    if (dot >= 0) {
      cols.push({ name: key.slice(7, dot), type: key.slice(dot + 1), fn: showSource(raw), optional: false });
    } else if (typeof raw === 'object' && raw !== null) {
      const g = raw as Record<string, unknown>;
      const type = String(g['type'] ?? '');
      cols.push({
        name: key.slice(7),
        type: stripBringWord(type) !== undefined ? `bring ${stripBringWord(type)}` : type,
        fn: showSource(g['value'] ?? ''),
        optional: String(g['optional'] ?? 'false').toLowerCase() === 'true',
      });
    }
  }
  // EdgeLake moves `now` columns first (mapping.insert(0, ..)).
  return [...cols.filter((c) => c.fn === 'now()'), ...cols.filter((c) => c.fn !== 'now()')];
}

export interface CompileDeps {
  dictionary: (name: string) => string | undefined;
  /** Mapping policies by id (`topic = (name = t and policy = id)`), fetched before compiling. */
  policies: ReadonlyMap<string, unknown>;
}

export function emptyStats(): TopicStats {
  return { success: 0, failure: 0, rows: 0, lastErrorTime: '', lastErrorCode: 0, lastReason: '' };
}

export function compileTopics(cfg: MsgClientConfig, deps: CompileDeps): TopicRuntime[] {
  const defaultQos = cfg.qos ?? 0;
  const seen = new Set<string>();
  const clauses = (cfg.topic ?? []).filter(
    (t): t is TopicConfig & { extra?: Record<string, unknown> } => t !== undefined,
  );
  return clauses.map((t, i) => {
    const where = `msg client topic[${i}] '${t.name}'`;
    if (seen.has(t.name)) throw new ConfigError(`${where}: the topic is given twice`, { code: Status.MqttInfo });
    seen.add(t.name);
    if (t.dynamic) {
      throw new ConfigError(
        `${where}: dynamic = true (policies created from the broker's namespace) is not supported`,
        {
          code: Status.MqttInfo,
        },
      );
    }
    const qos = (t.qos ?? defaultQos) as 0 | 1 | 2;
    const onlyLog = cfg.only_log || t.persist;
    let mapper: Mapper | undefined;
    try {
      if (t.policy !== undefined && t.policy.length > 0) {
        const mappers = t.policy.map((id) => {
          const policy = deps.policies.get(id);
          if (policy === undefined)
            throw new ConfigError(`mapping policy '${id}' was not found`, { code: Status.MqttInfo });
          return compilePolicy(policy, { dictionary: deps.dictionary });
        });
        mapper = chainMappers(mappers);
      } else if (!onlyLog || t.dbms !== undefined) {
        mapper = compileTopic(
          { name: t.name, dbms: t.dbms, table: t.table, extra: t.extra ?? {} },
          { dictionary: deps.dictionary },
        );
      }
    } catch (err) {
      if (err instanceof ConfigError)
        throw new ConfigError(`${where}: ${err.message}`, { code: err.code ?? Status.MqttInfo, cause: err });
      throw new ConfigError(`${where}: ${errorMessage(err)}`, { code: Status.MqttInfo, cause: err });
    }
    const info: Omit<TopicInfo, 'stats'> = {
      name: t.name,
      qos,
      dbms: showName(t.dbms),
      table: showName(t.table),
      policy: t.policy ?? [],
      dynamic: t.dynamic,
      columns: t.policy !== undefined && t.policy.length > 0 ? [] : columnsOf(t.extra ?? {}),
    };
    return {
      name: t.name,
      qos,
      mapper,
      info,
      stats: emptyStats(),
      matches: (received: string) => topicMatches(t.name, received),
    };
  });
}

/** The clause of a received topic name: an exact name first, then the first filter that matches. */
export function topicFor(topics: readonly TopicRuntime[], received: string): TopicRuntime | undefined {
  return topics.find((t) => t.name === received) ?? topics.find((t) => t.matches(received));
}

/** `[!name]` keys in the topics' bring strings: dictionary values the compile needs from the node. */
export function dictionaryNames(cfg: MsgClientConfig): string[] {
  const names = new Set<string>();
  const scan = (v: unknown): void => {
    if (typeof v === 'string') for (const m of v.matchAll(/\[!([^\]]+)\]/g)) names.add(m[1]!);
    else if (typeof v === 'object' && v !== null) Object.values(v).forEach(scan);
  };
  scan(cfg.topic);
  return [...names];
}
