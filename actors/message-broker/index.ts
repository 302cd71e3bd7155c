// The message broker actor: an MQTT broker (aedes on a node:net server) inside the node, so devices publish
// straight to it (EdgeLake `run message broker`, message_server.py). It is a full broker: MQTT clients may
// also subscribe to it. PUBLISH packets whose topic matches a `broker = local` msg client are handed to
// that client (handoff.ts) *before* aedes acknowledges them: aedes sends the PUBACK of a QoS 1 message
// (and the PUBREC of a QoS 2 one) only after `authorizePublish` calls back, and that waits for the msg
// client's answer, which comes when the rows are durable. If the rows could not be stored, the callback
// gets an error and aedes closes that device's connection without acknowledging: the device resends.
// A message that does not map is acknowledged (the msg client counts it; resending would not help).
// Deviation from EdgeLake: EdgeLake acknowledged QoS 1 before processing the message, and did not forward
// publishes to MQTT subscribers of its broker.
// aedes callbacks update the counters and the hand-off queues directly (as the REST server's request
// handlers do): a mailbox turn per PUBLISH would only add latency; routes change only in `handle`.
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Aedes, type Client, type PublishPacket } from 'aedes';
import { defineActor, type ActorContext } from '../../runtime/actor.js';
import { listenAddress } from '../../node/config/listener.js';
import { CommandError, assertNever, errorMessage } from '../../base/errors.js';
import { msgSinkAt, readLocalRoutes, type LocalPublish } from '../_shared/msg-routes.js';
import { topicMatches } from '../_shared/topic-filter.js';
import { messageBrokerSchema, type MessageBrokerConfig } from './config.js';
import { Handoff } from './handoff.js';
import type { BrokerIn, BrokerInfo, LocalRoutes } from './messages.js';
import { BrokerStats, NOT_STORED, UNREGISTERED_TOPIC } from './stats.js';
import { AUTH_USERS, Authenticator } from '../../node/auth/users.js';
import { readSetting } from '../../node/settings.js';
import { Status } from '../../base/status.js';

const ASK_TIMEOUT_MS = 30_000;

interface State {
  cfg: MessageBrokerConfig;
  server: Server;
  broker: Aedes;
  stats: BrokerStats;
  handoff: Handoff;
  /** Mutable holder: aedes callbacks read the current routes. */
  routes: { list: { filter: string; target: string }[] };
  /** The node's user table (replaced on `auth.users`): with user authentication on, CONNECT needs a user. */
  auth: Authenticator;
}

function routeList(routes: LocalRoutes | undefined): { filter: string; target: string }[] {
  return Object.entries(routes ?? {}).flatMap(([target, filters]) => filters.map((filter) => ({ filter, target })));
}

function ipOf(client: Client | null): string {
  const conn = client?.conn as { remoteAddress?: string } | undefined;
  return conn?.remoteAddress ?? 'internal';
}

/** The msg clients a topic goes to: each client once, whatever number of its filters match. */
function targetsOf(routes: State['routes'], topic: string): string[] {
  const out = new Set<string>();
  for (const r of routes.list) if (topicMatches(r.filter, topic)) out.add(r.target);
  return [...out];
}

function authorizePublish(
  ctx: ActorContext,
  s: { stats: BrokerStats; handoff: Handoff; routes: State['routes'] },
  client: Client | null,
  packet: PublishPacket,
  done: (err?: Error | null) => void,
): void {
  if (packet.topic.startsWith('$SYS')) return done(new Error('$SYS topic is reserved'));
  const ip = ipOf(client);
  const targets = targetsOf(s.routes, packet.topic);
  if (targets.length === 0) {
    // Still a publish for this broker's own MQTT subscribers; EdgeLake records it as an error.
    s.stats.count('PUBLISH', ip, UNREGISTERED_TOPIC, packet.topic);
    return done(null);
  }
  const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
  const item: LocalPublish = {
    topic: packet.topic,
    payload,
    qos: packet.qos,
    clientId: client?.id ?? '',
    dup: packet.dup,
    ...(packet.qos > 0 && packet.messageId !== undefined ? { messageId: packet.messageId } : {}),
  };
  Promise.all(targets.map((t) => s.handoff.submit(t, item))).then(
    (outcomes) => {
      if (outcomes.every((o) => o === 'stored')) {
        s.stats.count('PUBLISH', ip);
        done(null);
      } else {
        s.stats.count('PUBLISH', ip, NOT_STORED, packet.topic);
        done(new Error(`rows of a message on '${packet.topic}' were not stored`));
      }
    },
    (err: unknown) => {
      ctx.log.error('publish handoff failed', { topic: packet.topic, error: errorMessage(err) });
      done(err instanceof Error ? err : new Error(String(err)));
    },
  );
}

export default defineActor<MessageBrokerConfig, State, BrokerIn>({
  kind: 'message-broker',
  config: (raw) => messageBrokerSchema.parse(raw),
  async init(ctx, cfg) {
    const stats = new BrokerStats();
    const routes: State['routes'] = { list: routeList(await readLocalRoutes(ctx)) };
    const handoff = new Handoff((target, items) =>
      ctx.ask(msgSinkAt(target), { type: 'msg.publish', items }, ASK_TIMEOUT_MS).catch((err: unknown) => {
        ctx.log.warn('msg client did not take publishes', {
          client: target,
          count: items.length,
          error: errorMessage(err),
        });
        throw err;
      }),
    );
    const shared = { stats, handoff, routes };
    const auth = new Authenticator(await readSetting(ctx, AUTH_USERS));
    const broker = await Aedes.createBroker({
      // AnyLog: the broker checks users when user authentication is on (the same users as REST).
      authenticate: (client, username, password, done) => {
        if (!auth.enabled) return done(null, true);
        auth.check(username, password?.toString('utf8')).then(
          (user) => {
            if (user) return done(null, true);
            auth.refused++;
            stats.count('CONNECT', ipOf(client), Status.AuthenticationFailed, 'bad user name or password');
            // aedes answers CONNACK 4 (bad user name or password) for returnCode 4.
            const err = Object.assign(new Error('bad user name or password'), { returnCode: 4 as const });
            done(err, false);
          },
          (err: unknown) => {
            // scrypt itself failed: refuse (never let an internal error let a client in), and say why.
            ctx.log.error('MQTT user check failed', { error: errorMessage(err) });
            done(Object.assign(new Error('user check failed'), { returnCode: 3 as const }), false);
          },
        );
      },
      authorizePublish: (client, packet, done) => authorizePublish(ctx, shared, client, packet, done),
    });
    broker.on('client', (c) => stats.count('CONNECT', ipOf(c)));
    broker.on('subscribe', (_subs, c) => stats.count('SUBSCRIBE', ipOf(c)));
    broker.on('clientError', (c, err) => ctx.log.debug('MQTT client error', { client: c.id, error: err.message }));
    broker.on('connectionError', (c, err) => stats.count('CONNECT', ipOf(c), 2, err.message));
    const server = createServer((socket) => {
      // One bad client fails alone: aedes handles its protocol errors; socket errors end that socket.
      socket.on('error', (err) => ctx.log.debug('MQTT socket error', { error: err.message }));
      broker.handle(socket);
    });
    const { host, port } = listenAddress(cfg);
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) =>
        reject(new CommandError(`Message Broker cannot listen on ${host}:${port}: ${err.message}`, { cause: err })),
      );
      server.listen(port, host, () => resolve());
    });
    const a = server.address() as AddressInfo;
    ctx.log.info('message broker listening', { address: `${a.address}:${a.port}`, routes: routes.list.length });
    return { cfg, server, broker, stats, handoff, routes, auth };
  },
  handle(state, msg) {
    switch (msg.type) {
      case 'broker.info': {
        const a = state.server.address() as AddressInfo;
        return {
          address: a.address,
          port: a.port,
          threads: state.cfg.threads,
          clients: state.broker.connectedClients,
          handedOver: state.handoff.handedOver,
          inFlight: state.handoff.inFlight(),
        } satisfies BrokerInfo;
      }
      case 'broker.stats':
        return state.stats.show();
      case 'broker.routes':
        state.routes.list = routeList(msg.routes);
        return undefined;
      case 'auth.users':
        state.auth.replace(msg.table);
        return undefined;
      default:
        return assertNever(msg, 'message broker message');
    }
  },
  async stop(state) {
    await new Promise<void>((resolve) => {
      state.broker.close();
      state.server.close(() => resolve());
    });
    state.handoff.failAll();
  },
});
