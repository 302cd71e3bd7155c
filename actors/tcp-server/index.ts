// The TCP server's dispatch actor (`tcp-server`): listens on the peer port, cuts each connection into
// EdgeLake messages (inbound.ts) and hands them on (dispatch.ts): answers to the node's reply registry, commands
// and `file write` transfers to the command workers (`tcp-worker-<n>`) through their rings (rings.ts), or, an
// edgelake-rt peer's duplex-marked commands, run from here and answered on their own connection (duplex.ts).
// A worker runs the command through the node and sends the answer on a new connection (worker.ts).
// A malformed connection is closed and counted; the server and every other connection go on (conns.ts).
// Backpressure: when a worker's ring is full the connection is paused until the ring has room.
// State changes only in `handle` (state.ts): socket callbacks send `tcp.conn.*` to self (self messages stay in
// this thread and are not cloned, so a socket may travel in one).
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { defineActor, type ActorContext } from '../../runtime/actor.js';
import { listenAddress } from '../../node/config/listener.js';
import { CommandError, ProtocolError, assertNever } from '../../base/errors.js';
import type { TcpConnection } from '../../peer/address.js';
import { tcpServerSchema, type TcpServerConfig } from './config.js';
import { MAX_RUNNING } from './duplex.js';
import type { InboundItem } from './inbound.js';
import type { TcpIn, TcpInfo } from './messages.js';
import { defineStash } from '../../node/stash.js';
import { AUTH_USERS, NO_AUTH } from '../../node/auth/users.js';
import { PeerVerifier } from './peer-auth.js';
import { readSetting } from '../../node/settings.js';
import { closeConn, drain, malformed, open, writeAnswer } from './conns.js';
import { onItems } from './dispatch.js';
import { workerRings } from './rings.js';
import { PERSISTENT_IDLE_MS, type State } from './state.js';

/** The port an `external_port = 0` server got, so a restarted dispatch actor listens on the same one. */
const STASH = defineStash<{ port: number }>();

function info(state: State, ctx: ActorContext<TcpIn>): TcpInfo {
  return {
    host: state.host,
    port: state.port,
    ...state.addresses,
    threads: workerRings(ctx).length,
    stats: { ...state.stats },
  };
}

export default defineActor<TcpServerConfig, State, TcpIn>({
  kind: 'tcp-server',
  config: (raw) => tcpServerSchema.parse(raw),
  async init(ctx, cfg) {
    const { host, port: asked } = listenAddress(cfg);
    // Port 0 (any): a restarted incarnation takes the port the first one got, which the peers were told.
    const kept = asked === 0 ? await STASH.get(ctx) : undefined;
    const port = kept?.port ?? asked;
    const server = createServer({ noDelay: true });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) =>
        reject(new CommandError(`TCP server cannot listen on ${host}:${port}: ${err.message}`, { cause: err })),
      );
      // EdgeLake listens with a backlog of 5; loopback benchmarks open connections far faster than that.
      server.listen({ host, port, backlog: 511 }, () => resolve());
    });
    server.on('connection', (socket) => ctx.send(ctx.self, { type: 'tcp.conn.open', socket }));
    server.on('error', (err) => ctx.log.error('TCP server error', { error: err.message }));
    const a = server.address() as AddressInfo;
    const table = await readSetting(ctx, AUTH_USERS);
    if (asked === 0) STASH.put(ctx, { port: a.port });
    const extIp = cfg.external_ip ?? cfg.internal_ip ?? a.address;
    const extPort = cfg.external_port || cfg.internal_port || a.port;
    const intIp = cfg.internal_ip ?? cfg.external_ip ?? a.address;
    const intPort = cfg.internal_port || cfg.external_port || a.port;
    // A requested port of 0 means "any": the peers must be told the real one.
    const real = (p: number, asked: number | undefined): number => (asked ? p : a.port);
    const addresses: TcpConnection = {
      external: `${extIp}:${real(extPort, cfg.external_port ?? cfg.internal_port)}`,
      internal: `${intIp}:${real(intPort, cfg.internal_port ?? cfg.external_port)}`,
      bind: `${a.address}:${a.port}`,
    };
    ctx.log.info('TCP server listening', {
      address: `${a.address}:${a.port}`,
      external: addresses.external,
      workers: workerRings(ctx).length,
    });
    return {
      cfg,
      server,
      host: a.address,
      port: a.port,
      addresses,
      conns: new Map(),
      assembly: { used: 0, max: cfg.max_assembly_mb * 1024 * 1024 },
      nextConn: 0,
      nextWorker: 0,
      workersAsked: new Set(),
      stats: {
        connections: 0,
        open: 0,
        commands: 0,
        local: 0,
        answers: 0,
        files: 0,
        malformed: 0,
        rejected: 0,
        lastMalformed: '',
        refused: {},
        lastRefused: '',
      },
      verifier: new PeerVerifier(table?.peers ?? NO_AUTH.peers, [
        addresses.external,
        addresses.internal,
        addresses.bind,
      ]),
      signing: table?.signing === true,
    };
  },
  handle(state, msg, ctx) {
    switch (msg.type) {
      case 'tcp.conn.open':
        return open(state, msg.socket, ctx);
      case 'tcp.conn.data': {
        const conn = state.conns.get(msg.conn);
        if (!conn) return undefined;
        let items: InboundItem[];
        try {
          items = conn.inbound.push(msg.chunk);
        } catch (err) {
          if (!(err instanceof ProtocolError)) throw err;
          return malformed(state, conn, err, ctx);
        }
        if (conn.inbound.persistent && conn.socket.timeout !== PERSISTENT_IDLE_MS) {
          // Once: the socket re-arms its timer on every read and write, and setTimeout makes a new timer each call.
          conn.socket.setTimeout(PERSISTENT_IDLE_MS);
        }
        return onItems(state, conn, items, ctx);
      }
      case 'tcp.conn.end': {
        const conn = state.conns.get(msg.conn);
        if (!conn) return undefined;
        try {
          conn.inbound.end();
        } catch (err) {
          if (!(err instanceof ProtocolError)) throw err;
          return malformed(state, conn, err, ctx);
        }
        // Records still queued for a full ring keep the connection's slot until they are handed on.
        conn.ended = true;
        if (conn.outbox.length === 0) closeConn(state, conn, undefined, ctx);
        return undefined;
      }
      case 'tcp.conn.error': {
        const conn = state.conns.get(msg.conn);
        if (!conn) return undefined;
        if (conn.inbound.midMessage)
          return malformed(state, conn, new ProtocolError(`connection failed mid-message: ${msg.error}`), ctx);
        return closeConn(state, conn, msg.error, ctx);
      }
      case 'tcp.conn.timeout': {
        const conn = state.conns.get(msg.conn);
        if (!conn) return undefined;
        if (conn.inbound.midMessage) {
          return malformed(
            state,
            conn,
            new ProtocolError(`no complete message within ${state.cfg.message_timeout} s (truncated)`),
            ctx,
          );
        }
        return closeConn(state, conn, 'idle', ctx);
      }
      case 'tcp.conn.space': {
        const conn = state.conns.get(msg.conn);
        if (!conn) return undefined;
        conn.waiting = false;
        drain(state, conn, ctx);
        if (conn.waiting) return undefined;
        if (conn.ended) closeConn(state, conn, undefined, ctx);
        else if (!conn.throttled) conn.socket.resume();
        return undefined;
      }
      case 'tcp.conn.answered': {
        const conn = state.conns.get(msg.conn);
        if (!conn) return undefined;
        conn.running--;
        if (msg.blocks) writeAnswer(conn, msg.blocks);
        if (conn.throttled && conn.running < MAX_RUNNING) {
          conn.throttled = false;
          if (!conn.waiting) conn.socket.resume();
        }
        return undefined;
      }
      case 'auth.users':
        // Open connections too: each next message is checked against the new policy.
        state.verifier.setPolicy(msg.table.peers);
        state.signing = msg.table.signing === true;
        return undefined;
      case 'tcp.info':
        return info(state, ctx);
      case 'tcp.worker.unstarted':
        state.workersAsked.delete(msg.worker);
        return undefined;
      default:
        return assertNever(msg, 'tcp-server message');
    }
  },
  async stop(state) {
    for (const c of state.conns.values()) c.socket.destroy();
    await new Promise<void>((r) => state.server.close(() => r()));
  },
});
