// The TCP server's dispatch actor (`tcp-server`): listens on the peer port, cuts each connection into
// EdgeLake messages (inbound.ts) and hands them on:
//   answers (`print`, `echo`, `job reply`)  -> the node's reply registry (`node.peer.reply`), where `run client`
//                                             waits for them
//   commands                                -> a command worker (`tcp-worker-<n>`) through that worker's ring;
//                                              an edgelake-rt peer's duplex-marked ones are run from here and
//                                              answered on their own connection (duplex.ts)
//   `file write` transfers                  -> one worker for the whole transfer, block by block
// A worker runs the command through the node and sends the answer on a new connection (worker.ts).
// A malformed connection is closed and counted; the server and every other connection go on.
// Backpressure: when a worker's ring is full the connection is paused until the ring has room.
// State changes only in `handle`: socket callbacks send `tcp.conn.*` to self (self messages stay in this thread
// and are not cloned, so a socket may travel in one).
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { defineActor, type ActorContext } from '../../runtime/actor.js';
import { listenAddress } from '../../node/config/listener.js';
import { CommandError, ProtocolError, assertNever, errorMessage } from '../../base/errors.js';
import { NODE } from '../../node/messages.js';
import { replyAddress, type TcpConnection } from '../../peer/address.js';
import { peerReply } from '../../peer/wire.js';
import type { Ring } from '../../runtime/ring.js';
import { encodeHeader } from '../../protocols/tcp/header.js';
import { tcpServerSchema, type TcpServerConfig } from './config.js';
import { MAX_RUNNING, answeredHere, runHere } from './duplex.js';
import { Inbound, type AssemblyBudget, type InboundItem } from './inbound.js';
import { WORKER_PREFIX, recordBytes, type TcpIn, type TcpInfo, type TcpStats, type WorkerRecord } from './messages.js';
import { defineStash } from '../../node/stash.js';
import { AUTH_USERS, NO_AUTH } from '../../node/auth/users.js';
import { PeerAuthError, PeerVerifier } from './peer-auth.js';
import { readSetting } from '../../node/settings.js';

/** The port an `external_port = 0` server got, so a restarted dispatch actor listens on the same one. */
const STASH = defineStash<{ port: number }>();

/** Commands are one block unless they carry data; anything bigger travels as a `file write` (large message). */
const MAX_COMMAND_BYTES = 512 * 1024;
const PERSISTENT_IDLE_MS = 10 * 60_000;

interface Conn {
  id: number;
  socket: Socket;
  peerIp: string;
  inbound: Inbound;
  /** Records waiting for room in a ring (the socket is paused meanwhile). */
  outbox: WorkerRecord[];
  /** The worker ring of the file transfer in progress. */
  fileRing: string | undefined;
  /** Paused until a ring has room. */
  waiting: boolean;
  /** The peer closed while records still waited for room. */
  ended: boolean;
  /** Commands of this connection run by this actor, not yet answered (duplex.ts). */
  running: number;
  /** Paused because `running` reached MAX_RUNNING. */
  throttled: boolean;
  /** Answers written in this event-loop turn go out in one system call. */
  corked: boolean;
}

interface State {
  cfg: TcpServerConfig;
  server: Server;
  host: string;
  port: number;
  addresses: TcpConnection;
  conns: Map<number, Conn>;
  nextConn: number;
  nextWorker: number;
  stats: TcpStats;
  /** `set node authentication`: signatures checked, unsigned messages only from the allow list (peer-auth.ts). */
  verifier: PeerVerifier;
  /** This node signs its messages: answers to edgelake-rt requesters are signed too. */
  signing: boolean;
  /** Payload bytes held by all messages being assembled (inbound.ts `AssemblyBudget`). */
  assembly: AssemblyBudget;
}

function workerRings(ctx: ActorContext<TcpIn>): string[] {
  return ctx
    .ringNames()
    .filter((n) => n.startsWith(WORKER_PREFIX))
    .sort((a, b) => Number(a.slice(WORKER_PREFIX.length)) - Number(b.slice(WORKER_PREFIX.length)));
}

/** The worker ring to use for a command: round robin, skipping rings without room. */
function pickRing(state: State, ctx: ActorContext<TcpIn>, bytes: number): string | undefined {
  const names = workerRings(ctx);
  for (let i = 0; i < names.length; i++) {
    const name = names[(state.nextWorker + i) % names.length]!;
    const ring = ctx.ring(name)!;
    if (ring.capacity - ring.used() >= bytes + 8) {
      state.nextWorker = (state.nextWorker + i + 1) % names.length;
      return name;
    }
  }
  return names[state.nextWorker % Math.max(1, names.length)];
}

function closeConn(state: State, conn: Conn, why: string | undefined, ctx: ActorContext<TcpIn>): void {
  if (!state.conns.delete(conn.id)) return;
  conn.inbound.release();
  state.stats.open = state.conns.size;
  if (conn.fileRing)
    pushOrQueue(state, conn, { k: 'file.abort', conn: conn.id, reason: why ?? 'connection closed' }, ctx, true);
  conn.socket.destroy();
}

/** Node authentication refused a message: counted, no answer, the connection closed (peer-auth.ts). */
function refused(state: State, conn: Conn, err: PeerAuthError, ctx: ActorContext<TcpIn>): void {
  state.stats.refused[err.reason] = (state.stats.refused[err.reason] ?? 0) + 1;
  state.stats.lastRefused = err.message;
  ctx.metrics.inc('edgelake_rt_peer_messages_refused_total', { reason: err.reason });
  ctx.log.warn('peer message refused', { peer: conn.peerIp, reason: err.reason });
  closeConn(state, conn, err.message, ctx);
}

function malformed(state: State, conn: Conn, err: unknown, ctx: ActorContext<TcpIn>): void {
  if (err instanceof PeerAuthError) return refused(state, conn, err, ctx);
  const answer = conn.inbound.answerInProgress;
  if (answer && answer.jobId !== 0) {
    // Whoever waits for this answer learns why it will not come (instead of waiting for its timeout).
    const reason = `bad answer from ${conn.peerIp}: ${errorMessage(err)}`;
    ctx.send(NODE, {
      type: 'node.peer.failed',
      jobId: answer.jobId,
      receiverId: answer.receiverId,
      peerIp: conn.peerIp,
      reason,
    });
  }
  state.stats.malformed++;
  state.stats.lastMalformed = `${conn.peerIp}: ${errorMessage(err)}`;
  ctx.log.warn('malformed peer message: connection closed', { peer: conn.peerIp, error: errorMessage(err) });
  closeConn(state, conn, errorMessage(err), ctx);
}

/** Pushes a record now or queues it behind the ones waiting; `force` drops it if there is no room (abort). */
function pushOrQueue(state: State, conn: Conn, rec: WorkerRecord, ctx: ActorContext<TcpIn>, force = false): void {
  if (force) {
    const ring = conn.fileRing ? ctx.ring<WorkerRecord>(conn.fileRing) : undefined;
    if (ring && !ring.push(rec)) ctx.log.warn('file transfer abort lost: worker ring full', { conn: conn.id });
    return;
  }
  conn.outbox.push(rec);
  flush(state, conn, ctx);
}

function ringFor(state: State, conn: Conn, rec: WorkerRecord, ctx: ActorContext<TcpIn>): string | undefined {
  if (rec.k === 'cmd') return pickRing(state, ctx, recordBytes(rec));
  if (rec.k === 'file.open') conn.fileRing = pickRing(state, ctx, recordBytes(rec));
  return conn.fileRing;
}

function flush(state: State, conn: Conn, ctx: ActorContext<TcpIn>): void {
  while (conn.outbox.length > 0) {
    const rec = conn.outbox[0]!;
    const name = ringFor(state, conn, rec, ctx);
    const ring = name ? ctx.ring<WorkerRecord>(name) : undefined;
    if (!ring) {
      // No worker ring (cannot happen once started: the node links them before this actor starts).
      malformed(state, conn, new CommandError('no TCP command worker to hand the message to'), ctx);
      return;
    }
    if (ring.push(rec)) {
      conn.outbox.shift();
      if (rec.k === 'file.data' && rec.last) conn.fileRing = undefined;
      continue;
    }
    waitForRoom(conn, ring, recordBytes(rec), ctx);
    return;
  }
}

function waitForRoom(conn: Conn, ring: Ring<WorkerRecord>, bytes: number, ctx: ActorContext<TcpIn>): void {
  if (conn.waiting) return;
  conn.waiting = true;
  conn.socket.pause();
  ring.waitForSpace(bytes, 30_000).then(
    () => ctx.send(ctx.self, { type: 'tcp.conn.space', conn: conn.id }),
    (err: unknown) => ctx.log.error('ring wait failed', { error: errorMessage(err) }),
  );
}

/** Writes an answer on its connection; the writes of one turn leave in one system call (peer/sender.ts). */
function writeAnswer(conn: Conn, blocks: Uint8Array[]): void {
  if (!conn.corked) {
    conn.corked = true;
    conn.socket.cork();
    setImmediate(() => {
      conn.corked = false;
      conn.socket.uncork();
    });
  }
  for (const b of blocks) conn.socket.write(b);
}

function onItems(state: State, conn: Conn, items: InboundItem[], ctx: ActorContext<TcpIn>): void {
  const base = {
    peerIp: conn.peerIp,
    replyFrom: replyAddress(state.addresses, conn.peerIp)!,
    rt: conn.inbound.persistent,
  };
  for (const item of items) {
    const auth =
      item.k === 'file.data'
        ? {}
        : {
            ...(item.signer !== undefined ? { signer: item.signer } : {}),
            ...(state.signing && (base.rt || item.signer !== undefined) ? { sign: true } : {}),
          };
    switch (item.k) {
      case 'answer':
        state.stats.answers++;
        ctx.send(NODE, {
          type: 'node.peer.reply',
          reply: {
            ...peerReply(item.block.header, item.block.command, item.payload, conn.peerIp),
            ...(item.signer !== undefined ? { signer: item.signer } : {}),
          },
        });
        break;
      case 'command':
        state.stats.commands++;
        // Signed, or answered signed: the command worker's path, which checks and signs (duplex.ts).
        if (answeredHere(item.block) && item.signer === undefined && !state.signing) {
          conn.running++;
          if (conn.running >= MAX_RUNNING && !conn.throttled) {
            conn.throttled = true;
            conn.socket.pause();
          }
          const here = { conn: conn.id, block: item.block, peerIp: conn.peerIp, replyFrom: base.replyFrom };
          runHere(here, state.cfg.command_timeout * 1000, ctx);
          break;
        }
        conn.outbox.push({
          ...base,
          ...auth,
          k: 'cmd',
          head: encodeHeader(item.block.header),
          command: item.block.command,
          payload: item.payload,
        });
        break;
      case 'file.open':
        state.stats.files++;
        conn.outbox.push({
          ...base,
          ...auth,
          k: 'file.open',
          conn: conn.id,
          head: encodeHeader(item.block.header),
          command: item.block.command,
          dest: item.dest,
        });
        break;
      case 'file.data':
        conn.outbox.push({ k: 'file.data', conn: conn.id, data: item.data, last: item.last });
        break;
      default:
        assertNever(item, 'inbound item');
    }
  }
  flush(state, conn, ctx);
  if (!conn.inbound.persistent && conn.inbound.messages > 0 && !conn.inbound.midMessage) {
    // EdgeLake closes after the last block; so do we (the sender closes too).
    conn.socket.end();
  }
}

function open(state: State, socket: Socket, ctx: ActorContext<TcpIn>): void {
  state.stats.connections++;
  if (state.conns.size >= state.cfg.max_connections) {
    state.stats.rejected++;
    socket.destroy();
    return;
  }
  const id = ++state.nextConn;
  const peerIp = (socket.remoteAddress ?? '').replace(/^::ffff:/, '');
  const conn: Conn = {
    id,
    socket,
    peerIp,
    inbound: new Inbound({
      commandBytes: MAX_COMMAND_BYTES,
      answerBytes: state.cfg.max_message_mb << 20,
      budget: state.assembly,
      // Asked at each message's first block, so a change of the policy applies to open connections too.
      auth: () => state.verifier.forPeer(peerIp),
    }),
    outbox: [],
    fileRing: undefined,
    waiting: false,
    ended: false,
    running: 0,
    throttled: false,
    corked: false,
  };
  state.conns.set(id, conn);
  state.stats.open = state.conns.size;
  socket.setNoDelay(true);
  socket.setTimeout(state.cfg.message_timeout * 1000);
  socket.on('data', (chunk: Buffer) => ctx.send(ctx.self, { type: 'tcp.conn.data', conn: id, chunk }));
  socket.on('end', () => ctx.send(ctx.self, { type: 'tcp.conn.end', conn: id }));
  socket.on('error', (err) => ctx.send(ctx.self, { type: 'tcp.conn.error', conn: id, error: err.message }));
  socket.on('timeout', () => ctx.send(ctx.self, { type: 'tcp.conn.timeout', conn: id }));
}

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
      stats: {
        connections: 0,
        open: 0,
        commands: 0,
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
        if (conn.inbound.persistent) conn.socket.setTimeout(PERSISTENT_IDLE_MS);
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
        flush(state, conn, ctx);
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
      default:
        return assertNever(msg, 'tcp-server message');
    }
  },
  async stop(state) {
    for (const c of state.conns.values()) c.socket.destroy();
    await new Promise<void>((r) => state.server.close(() => r()));
  },
});
