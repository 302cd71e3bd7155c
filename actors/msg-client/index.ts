// The msg client actor (one per `run msg client`, ids `msg-client-N`): receives messages of its topics,
// maps them (the topic's Mapper, compiled once at start), and makes the rows durable through the journal
// before they are acknowledged. Where the messages come from depends on `broker`:
//   <host>   an external MQTT broker, through mqtt.js (link.ts); reconnects with jittered backoff
//   local    the node's message broker actor hands PUBLISH packets over (`msg.publish` asks)
//   rest     the REST server hands POST `command: data` bodies over (`msg.data` asks)
// The hot path (mqtt.js callbacks -> Ingest) runs outside `handle`: a mailbox hop per message would add
// a thread-local queue turn per message for nothing; connection state still changes only in `handle`.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { defineActor, type ActorContext } from '../../runtime/actor.js';
import type { TimerHandle } from '../../runtime/clock.js';
import { ConfigError, assertNever, errorMessage } from '../../base/errors.js';
import { NODE } from '../../node/messages.js';
import { RowProducer } from '../_shared/row-producer.js';
import { parseWorkerConfig, type MsgClientConfig } from './config.js';
import { Ingest } from './ingest.js';
import { MqttLink } from './link.js';
import type { LocalPublish, MsgClientIn, MsgClientInfo, PublishOutcome } from './messages.js';
import { compileTopics, dictionaryNames, type TopicRuntime } from './topics.js';
import { Status } from '../../base/status.js';

const BACKOFF_BASE_MS = 250;
const BACKOFF_CAP_MS = 30_000;
/** Local-broker dedupe marks are spread over this many buckets of device client ids (bounded key space). */
const LOCAL_MARK_BUCKETS = 16;

type Conn =
  | { status: 'connecting' }
  | { status: 'connected'; since: number }
  | { status: 'down'; reason: string; retryAt: number };

interface State {
  cfg: MsgClientConfig;
  mode: 'mqtt' | 'local' | 'rest';
  topics: TopicRuntime[];
  ingest: Ingest;
  producer: RowProducer;
  link: MqttLink | undefined;
  clientId: string;
  conn: Conn;
  attempts: number;
  retry: TimerHandle | undefined;
  granted: { topic: string; qos: number }[];
  dirs: MsgClientInfo['dirs'];
}

function brokerLabel(cfg: MsgClientConfig): string {
  return cfg.broker === 'local' || cfg.broker === 'rest' ? cfg.broker : `${cfg.broker}:${cfg.port}`;
}

/** Full jitter (AWS architecture blog): uniform in [base, min(cap, base * 2^attempt)]. */
export function backoffMs(attempt: number, random = Math.random): number {
  const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.min(attempt, 16));
  return Math.round(BACKOFF_BASE_MS + random() * Math.max(0, ceiling - BACKOFF_BASE_MS));
}

async function dictionaryOf(ctx: ActorContext<MsgClientIn>, cfg: MsgClientConfig): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const name of dictionaryNames(cfg)) {
    out.set(name, await ctx.ask(NODE, { type: 'node.dict.get', name }, 5000));
  }
  return out;
}

/** Mapping policies named by `policy = <id>` topics, through the node's `blockchain get` command. */
async function policiesOf(ctx: ActorContext<MsgClientIn>, cfg: MsgClientConfig): Promise<Map<string, unknown>> {
  const out = new Map<string, unknown>();
  for (const t of cfg.topic ?? []) {
    for (const id of t?.policy ?? []) {
      if (t === undefined || out.has(id)) continue;
      const text = `blockchain get mapping where id = ${id}`;
      let reply: string;
      try {
        reply = await ctx.ask(NODE, { type: 'node.command', text, source: ctx.self }, 10_000);
      } catch (err) {
        throw new ConfigError(`topic '${t.name}': cannot read mapping policy '${id}' (${text}): ${errorMessage(err)}`, {
          code: Status.MqttInfo,
          cause: err,
        });
      }
      let list: unknown;
      try {
        list = JSON.parse(reply);
      } catch (err) {
        throw new ConfigError(`topic '${t.name}': mapping policy '${id}' is not JSON: ${errorMessage(err)}`, {
          code: Status.MqttInfo,
          cause: err,
        });
      }
      const policy = Array.isArray(list) ? list[0] : list;
      if (policy !== undefined) out.set(id, policy);
    }
  }
  return out;
}

function connect(state: State): void {
  state.conn = { status: 'connecting' };
  state.link?.connect();
}

function info(state: State): MsgClientInfo {
  let connection: string;
  if (state.mode !== 'mqtt') connection = 'Connected to local Message Server';
  else if (state.conn.status === 'connected') connection = 'Connected';
  else if (state.conn.status === 'down') connection = `Not connected: ${state.conn.reason}`;
  else connection = state.attempts > 0 ? 'Not connected: connecting' : 'Not connected';
  const i = state.ingest;
  return {
    user: state.cfg.user ?? 'unused',
    broker: brokerLabel(state.cfg),
    connection,
    messages: i.messages,
    errors: i.errors,
    rows: i.rows,
    duplicates: i.duplicates,
    lastMessageTime: i.lastMessageTime,
    lastErrorTime: i.lastErrorTime,
    lastErrorCode: i.lastErrorCode,
    lastReason: i.lastReason,
    topics: state.topics.map((t) => ({ ...t.info, stats: { ...t.stats } })),
    dirs: state.dirs,
    clientId: state.clientId,
  };
}

async function localPublish(state: State, items: readonly LocalPublish[]): Promise<PublishOutcome[]> {
  const waits = items.map((it) =>
    state.ingest.accept(
      it.topic,
      it.payload,
      it.qos > 0 && it.messageId !== undefined
        ? {
            id: it.messageId,
            dup: it.dup,
            key: `l/${bucketOf(it.clientId)}/${it.messageId}`,
            session: `local/${it.clientId}`,
          }
        : undefined,
    ),
  );
  const settled = await Promise.allSettled(waits);
  return settled.map((s) => (s.status === 'fulfilled' ? 'stored' : 'failed'));
}

function bucketOf(clientId: string): number {
  let h = 0;
  for (let i = 0; i < clientId.length; i++) h = (h * 31 + clientId.charCodeAt(i)) >>> 0;
  return h % LOCAL_MARK_BUCKETS;
}

export default defineActor<MsgClientConfig, State, MsgClientIn>({
  kind: 'msg-client',
  config: (raw) => parseWorkerConfig(raw),
  async init(ctx, cfg) {
    const dict = await dictionaryOf(ctx, cfg);
    const policies = await policiesOf(ctx, cfg);
    const topics = compileTopics(cfg, { dictionary: (n) => dict.get(n), policies });
    const d = ctx.node.dirs;
    const dirs = {
      prep: cfg.prep_dir ?? d['prep_dir'] ?? '',
      watch: cfg.watch_dir ?? d['watch_dir'] ?? '',
      bwatch: cfg.bwatch_dir ?? d['bwatch_dir'] ?? '',
      err: cfg.err_dir ?? d['err_dir'] ?? '',
      blobs: cfg.blobs_dir ?? d['blobs_dir'] ?? '',
    };
    const mode = cfg.broker === 'local' ? 'local' : cfg.broker === 'rest' ? 'rest' : 'mqtt';
    // A persistent session needs the same client id after a restart; a clean one gets a unique id so two
    // nodes of the same name never take over each other's connection.
    const clientId =
      cfg.client_id ??
      (cfg.clean ? `${ctx.node.name}-${ctx.self}-${randomBytes(3).toString('hex')}` : `${ctx.node.name}-${ctx.self}`);
    const producer = new RowProducer(ctx);
    const label = brokerLabel(cfg);
    const ingest = new Ingest({
      producer,
      log: ctx.log,
      topics,
      session: mode === 'mqtt' ? `${label}/${clientId}` : mode,
      errDir: cfg.log_error ? dirs.err : undefined,
      rawLogFile:
        cfg.only_log || topics.some((t) => !t.mapper)
          ? join(dirs.prep, `log_${label.replace(/:/g, '_')}.dat`)
          : undefined,
      brokerName: mode === 'mqtt' ? cfg.broker : mode,
      onMessage: (topic) => ctx.metrics.inc('edgelake_rt_msg_messages_total', { client: ctx.self, topic }),
      onReject: () => ctx.metrics.inc('edgelake_rt_ingest_requests_rejected_total', { source: ctx.self }),
    });
    const state: State = {
      cfg,
      mode,
      topics,
      ingest,
      producer,
      link: undefined,
      clientId: mode === 'mqtt' ? clientId : '',
      conn: { status: 'connecting' },
      attempts: 0,
      retry: undefined,
      granted: [],
      dirs,
    };
    if (mode === 'mqtt') {
      state.link = new MqttLink({
        host: cfg.broker,
        port: cfg.port,
        clientId,
        clean: cfg.clean,
        username: cfg.user,
        password: cfg.password,
        topics: topics.map((t) => ({ name: t.name, qos: t.qos })),
        ingest,
        log: ctx.log,
        onUp: (sessionPresent) => ctx.send(ctx.self, { type: 'msg.conn.up', sessionPresent }),
        onDown: (reason) => ctx.send(ctx.self, { type: 'msg.conn.down', reason }),
        onSubscribed: (granted, error) =>
          ctx.send(
            ctx.self,
            error === undefined
              ? { type: 'msg.conn.subscribed', granted }
              : { type: 'msg.conn.subscribed', granted, error },
          ),
      });
      connect(state);
    }
    ctx.log.info('msg client started', { broker: label, topics: topics.map((t) => t.name), clientId: state.clientId });
    return state;
  },
  async handle(state, msg, ctx) {
    switch (msg.type) {
      case 'msg.info':
        return info(state);
      case 'msg.publish':
        return localPublish(state, msg.items);
      case 'msg.data': {
        const topic = msg.topic || state.topics[0]?.name || '';
        await state.ingest.accept(topic, msg.body);
        return '';
      }
      case 'msg.conn.up':
        if (state.attempts > 0)
          ctx.log.info('msg client connected', { broker: brokerLabel(state.cfg), sessionPresent: msg.sessionPresent });
        state.conn = { status: 'connected', since: ctx.clock.now() };
        state.attempts = 0;
        return undefined;
      case 'msg.conn.down': {
        if (ctx.signal.aborted) return undefined;
        const delay = backoffMs(state.attempts++);
        if (state.attempts === 1 || state.attempts % 10 === 0)
          ctx.log.warn('msg client not connected', {
            broker: brokerLabel(state.cfg),
            reason: msg.reason,
            retryMs: delay,
            attempts: state.attempts,
          });
        state.conn = { status: 'down', reason: msg.reason, retryAt: ctx.clock.now() + delay };
        state.retry?.cancel();
        state.retry = ctx.clock.setTimeout(() => ctx.send(ctx.self, { type: 'msg.conn.retry' }), delay);
        return undefined;
      }
      case 'msg.conn.retry':
        state.retry = undefined;
        if (state.conn.status === 'down') connect(state);
        return undefined;
      case 'msg.conn.subscribed':
        state.granted = msg.granted;
        if (msg.error !== undefined || msg.granted.some((g) => g.qos >= 128))
          ctx.log.warn('subscription refused by the broker', { error: msg.error ?? '', granted: msg.granted });
        return undefined;
      default:
        return assertNever(msg, 'msg client message');
    }
  },
  async stop(state, _reason, ctx) {
    state.retry?.cancel();
    // Stop receiving first: the DISCONNECT goes after the acknowledgements already written, which wait for
    // their rows (barrier-stream.ts); then let the last batch reach the journal before closing it.
    if (state.link) await state.link.end();
    await Promise.race([state.ingest.settled().catch(() => undefined), new Promise((r) => setTimeout(r, 3000))]);
    await state.producer.close();
    ctx.log.info('msg client stopped', { broker: brokerLabel(state.cfg) });
  },
});
