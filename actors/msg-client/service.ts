// The MQTT (msg client) service on the main thread:
//   run msg client | run mqtt client where broker = .. and topic = (..) [and topic = (..)]
//   get msg clients [where id = n and detailed = true and broker = b and topic = t and statistics = true]
//   get msg brokers
//   exit mqtt [n|all], exit msg client all|pool|<n>       n = EdgeLake's subscription id
// Each `run msg client` is its own actor `msg-client-N`. EdgeLake numbers subscriptions one per topic and
// gives the client the last number (a two-topic client after a one-topic client is 0003, mq L189-196,
// L2254-2266): the node keeps that numbering here. `broker = local` clients are registered with the
// message broker actor and `broker = rest` clients with the REST server; both registrations live in the
// node's settings, so a restarted broker or REST server finds them.
import { CommandError } from '../../base/errors.js';
import { argWords, whereObject, withKeyPositions } from '../../node/commands/args.js';
import { runOptions } from '../../node/commands/builtin/services.js';
import { bool, int, schema, str } from '../../runtime/config/schema.js';
import {
  actorEntry,
  type CommandSpec,
  type NodeApi,
  type ServiceDescriptor,
  type ServiceInstance,
} from '../../node/service.js';
import { publishRoutes, type AgentRoutes, type LocalRoutes } from '../_shared/msg-routes.js';
import { KAFKA_STATUS, type KafkaStatus } from '../_shared/kafka-status.js';
import { msgClientSchema, type MsgClientConfig } from './config.js';
import { msgClientAt, type MsgClientInfo } from './messages.js';
import { showBrokers, showClients, type ShownClient } from './show.js';
import { compileTopics } from './topics.js';
import { Status } from '../../base/status.js';
import type { ConnectionName } from '../../node/connections.js';
import { defineSetting } from '../../node/settings.js';

const KIND = 'msg-client';
interface Subscriptions {
  /** The last subscription id given out (one per topic). */
  last: number;
  byActor: Record<string, number>;
}

/** EdgeLake's subscription numbering, kept for the node's life (ids are not reused after an exit). */
const SUBSCRIPTIONS_SETTING = defineSetting<Subscriptions>('msg-client.subscriptions');

function subscriptions(node: NodeApi): Subscriptions {
  let s = node.settings.get(SUBSCRIPTIONS_SETTING);
  if (!s) node.settings.set(SUBSCRIPTIONS_SETTING, (s = { last: 0, byActor: {} }));
  return s;
}

function brokerOf(cfg: MsgClientConfig): string {
  return cfg.broker === 'local' || cfg.broker === 'rest' ? cfg.broker : `${cfg.broker}:${cfg.port}`;
}

function topicNames(cfg: MsgClientConfig): string[] {
  return (cfg.topic ?? []).flatMap((t) => (t ? [t.name] : []));
}

/** Tells the message broker and the REST server which clients are theirs (after every run and exit). */
function refreshRegistrations(node: NodeApi): void {
  const routes: LocalRoutes = {};
  const agents: AgentRoutes = {};
  for (const inst of node.instances(KIND)) {
    const cfg = inst.config as MsgClientConfig;
    if (cfg.broker === 'local') routes[inst.id] = topicNames(cfg);
    const ua = cfg['user-agent'];
    if (cfg.broker === 'rest' && ua) agents[ua.split('/')[0]!.trim().toLowerCase()] = inst.id;
  }
  publishRoutes(node, routes, agents);
}

/**
 * EdgeLake rewrites a broker address that is this node's own (mc L9119-9129): the REST address becomes
 * `rest`, the message broker's address `local`.
 */
function rewriteOwnAddress(raw: Record<string, unknown>, node: NodeApi): void {
  if (typeof raw['broker'] !== 'string' || raw['broker'] === 'local' || raw['broker'] === 'rest') return;
  const addr = `${raw['broker']}:${String(raw['port'] ?? 1883)}`;
  const own = (k: ConnectionName): boolean => {
    const c = node.connections.get(k);
    return c !== undefined && (c.external === addr || c.internal === addr);
  };
  if (own('Messaging')) raw['broker'] = 'local';
  else if (own('REST')) raw['broker'] = 'rest';
  else return;
  delete raw['port'];
}

/** EdgeLake refuses a topic that another client already takes from the same broker (error 124). */
function checkTopics(cfg: MsgClientConfig, node: NodeApi): void {
  const broker = brokerOf(cfg);
  const subs = subscriptions(node);
  for (const inst of node.instances(KIND)) {
    const other = inst.config as MsgClientConfig;
    if (brokerOf(other) !== broker) continue;
    for (const name of topicNames(cfg)) {
      if (topicNames(other).includes(name)) {
        throw new CommandError(
          `MQTT Error: The Topic '${name}' was subscribed by client #${subs.byActor[inst.id] ?? 0} on this broker`,
          { code: Status.MqttInfo },
        );
      }
    }
  }
  // Compile the mappings here too, so a bad one fails the command with its reason (policies are read by the worker).
  const local = { ...cfg, topic: (cfg.topic ?? []).filter((t) => t !== undefined && (t.policy ?? []).length === 0) };
  compileTopics(local, { dictionary: (n) => node.dict.get(n), policies: new Map() });
}

function runClient(words: readonly string[]): CommandSpec {
  return {
    words: ['run', ...words],
    method: 'post',
    usage: `run ${words.join(' ')} where broker = <host>|local|rest [and port = 1883] [and user = ..] [and password = ..] [and qos = 0|1|2] [and clean = false and client_id = ..] and topic = (name = .. and dbms = .. and table = .. and column.<name>.<type> = "bring [..]") [and topic = (..)]`,
    async run(inv, node) {
      const raw = runOptions(msgClientService, inv, node);
      rewriteOwnAddress(raw, node);
      const cfg = withKeyPositions(inv.where, () => msgClientSchema.parse(raw, `run ${words.join(' ')}`));
      checkTopics(cfg, node);
      await node.startService(msgClientService, raw, inv.env);
      return '';
    },
  };
}

/** Running clients with their subscription ids, in id order. */
function clients(node: NodeApi): { inst: ServiceInstance; sub: number }[] {
  const subs = subscriptions(node);
  return node
    .instances(KIND)
    .map((inst) => ({ inst, sub: subs.byActor[inst.id] ?? 0 }))
    .sort((a, b) => a.sub - b.sub);
}

/** What a client shows while its worker does not answer (restarting after a crash). */
function unavailable(inst: ServiceInstance): MsgClientInfo {
  const cfg = inst.config as MsgClientConfig;
  return {
    user: cfg.user ?? 'unused',
    broker: brokerOf(cfg),
    connection: `Not connected: worker ${inst.status}`,
    messages: 0,
    errors: 0,
    rows: 0,
    duplicates: 0,
    lastMessageTime: '',
    lastErrorTime: '',
    lastErrorCode: 0,
    lastReason: '',
    topics: [],
    dirs: { prep: '', watch: '', bwatch: '', err: '', blobs: '' },
    clientId: '',
  };
}

/** A Kafka consumer as a subscription: EdgeLake mqtt_client.py `get_subscriptions_stat` ("Kafka Consumer"). */
function kafkaInfo(k: KafkaStatus): MsgClientInfo {
  const sum = (f: (t: KafkaStatus['topics'][number]) => number): number => k.topics.reduce((n, t) => n + f(t), 0);
  const last = (f: (t: KafkaStatus['topics'][number]) => string): string =>
    k.topics.map(f).reduce((a, b) => (b > a ? b : a), '');
  const failed = k.topics
    .filter((t) => t.lastErrorTime !== '')
    .sort((a, b) => (a.lastErrorTime < b.lastErrorTime ? 1 : -1))[0];
  return {
    user: 'unused',
    broker: k.broker,
    connection: 'Kafka Consumer',
    messages: sum((t) => t.messages),
    errors: sum((t) => t.errors),
    rows: sum((t) => t.rows),
    duplicates: sum((t) => t.skipped),
    lastMessageTime: last((t) => t.lastMessageTime),
    lastErrorTime: failed?.lastErrorTime ?? '',
    lastErrorCode: failed?.lastErrorCode ?? 0,
    lastReason: failed?.lastReason ?? '',
    topics: k.topics.map((t) => {
      const policy = t.mapping.startsWith('policy ') ? t.mapping.slice(7).split(' ') : [];
      const dot = policy.length > 0 ? -1 : t.mapping.indexOf('.');
      return {
        name: t.topic,
        qos: 0,
        dbms: dot > 0 ? t.mapping.slice(0, dot) : '',
        table: dot > 0 ? t.mapping.slice(dot + 1) : '',
        policy,
        dynamic: false,
        columns: [],
        stats: {
          success: t.success,
          failure: t.errors,
          rows: t.rows,
          lastErrorTime: t.lastErrorTime,
          lastErrorCode: t.lastErrorCode,
          lastReason: t.lastReason,
        },
      };
    }),
    dirs: { prep: '', watch: '', bwatch: '', err: '', blobs: '' },
    clientId: k.group,
  };
}

async function shown(node: NodeApi): Promise<ShownClient[]> {
  const listed = clients(node);
  const mqtt = await Promise.all(
    listed.map(async ({ inst, sub }) => {
      if (inst.status !== 'running') return { sub, info: unavailable(inst) };
      try {
        return { sub, info: await node.ask(msgClientAt(inst.id), { type: 'msg.info' }, 5000) };
      } catch (err) {
        node.log.warn('msg client did not answer msg.info', { id: inst.id, error: String(err) });
        return { sub, info: unavailable(inst) };
      }
    }),
  );
  // EdgeLake lists its Kafka consumers among the subscriptions (mqtt_client.py `show_info`); here they are
  // numbered after the msg clients.
  let next = listed.reduce((n, c) => Math.max(n, c.sub), 0);
  const kafka: ShownClient[] = [];
  for (const inst of node.instances('kafka-consumer')) {
    if (inst.status !== 'running') continue;
    try {
      kafka.push({ sub: ++next, info: kafkaInfo(await node.ask(KAFKA_STATUS, { type: 'kafka.status' }, 5000)) });
    } catch (err) {
      node.log.warn('kafka consumer did not answer kafka.status', { id: inst.id, error: String(err) });
    }
  }
  return [...mqtt, ...kafka];
}

const getOptions = schema('get msg clients', {
  id: int(undefined, { min: 0 }),
  detailed: bool(false),
  broker: str(),
  topic: str(),
  statistics: bool(false),
});

function getClients(words: readonly string[]): CommandSpec {
  return {
    words,
    method: 'get',
    usage: `${words.join(' ')} [where id = n and detailed = true and broker = ip:port and topic = t and statistics = true]`,
    async run(inv, node) {
      if (inv.args.length > 0)
        throw new CommandError(`${words.join(' ')}: unexpected '${argWords(inv, node)[0]}'`, {
          code: Status.CommandStructure,
        });
      const o = withKeyPositions(inv.where, () => getOptions.parse(whereObject(inv, node), words.join(' ')));
      return showClients(await shown(node), {
        id: o.id === 0 ? undefined : o.id,
        detailed: o.detailed,
        broker: o.broker,
        topic: o.topic,
        statistics: o.statistics,
      });
    },
  };
}

function getBrokers(words: readonly string[]): CommandSpec {
  return {
    words,
    method: 'get',
    usage: words.join(' '),
    async run(_inv, node) {
      return showBrokers(await shown(node));
    },
  };
}

function exitClients(words: readonly string[]): CommandSpec {
  return {
    words: ['exit', ...words],
    method: 'post',
    usage: `exit ${words.join(' ')} ${words[0] === 'mqtt' ? '[id|all]' : 'all|pool|<id>'}`,
    async run(inv, node) {
      const [which, extra] = argWords(inv, node);
      if (extra !== undefined)
        throw new CommandError(`exit ${words.join(' ')}: unexpected '${extra}'`, { code: Status.CommandStructure });
      if (which === undefined && words[0] !== 'mqtt')
        throw new CommandError(`Process name 'exit ${words.join(' ')}' in 'exit' command is not valid`, {
          code: Status.CommandStructure,
        });
      // EdgeLake's `exit msg client pool` ends a thread pool that edgelake-rt does not have.
      if (which === 'pool') return '';
      let targets = clients(node);
      if (which !== undefined && which !== 'all') {
        targets = targets.filter(
          ({ inst, sub }) =>
            String(sub) === which || inst.id === which || (/^\d+$/.test(which) && sub === Number(which)),
        );
        if (targets.length === 0)
          throw new CommandError(`No MQTT subscription for client: ${which}`, { code: Status.MqttWrongClientId });
      }
      const subs = subscriptions(node);
      for (const { inst } of targets) {
        await node.stopService(inst.id, `exit ${words.join(' ')}`);
        delete subs.byActor[inst.id];
      }
      refreshRegistrations(node);
      return '';
    },
  };
}

export const msgClientService: ServiceDescriptor = {
  kind: KIND,
  process: 'MQTT',
  run: [
    ['msg', 'client'],
    ['mqtt', 'client'],
  ],
  exit: ['mqtt', 'msg client'],
  yaml: 'msg_client',
  schema: msgClientSchema,
  entry: actorEntry(import.meta.url),
  multi: true,
  restart: 'permanent',
  shutdownMs: 6000,
  // init does not wait for the broker (one that is down is not a startup failure: the client starts and
  // reconnects); a mapping that does not compile is, and `run` reports it.
  startupError: 'error',
  mailboxCapacity: 1024,
  afterStart(inst, node) {
    const subs = subscriptions(node);
    subs.last += Math.max(1, topicNames(inst.config as MsgClientConfig).length);
    subs.byActor[inst.id] = subs.last;
    refreshRegistrations(node);
  },
  commands: [
    runClient(['msg', 'client']),
    runClient(['mqtt', 'client']),
    getClients(['get', 'msg', 'clients']),
    getClients(['get', 'msg', 'client']),
    getBrokers(['get', 'msg', 'brokers']),
    getBrokers(['get', 'msg', 'broker']),
    exitClients(['mqtt']),
    exitClients(['msg', 'client']),
  ],
};
