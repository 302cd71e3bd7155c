// The life of one peer connection in the dispatch actor (index.ts): accepted (or refused over
// max_connections), its records handed on (rings.ts), answers written back on it (duplex.ts), and closed, counted
// as malformed (a ProtocolError of inbound.ts) or refused (node authentication, peer-auth.ts), with whatever it
// held given back: its share of the assembly budget, the worker's transfer (aborted).
import type { Socket } from 'node:net';
import type { ActorContext } from '../../runtime/actor.js';
import { CommandError, errorMessage } from '../../base/errors.js';
import { NODE } from '../../node/messages.js';
import { Inbound } from './inbound.js';
import type { TcpIn } from './messages.js';
import { PeerAuthError } from './peer-auth.js';
import { abortTransfer, flush } from './rings.js';
import { MAX_COMMAND_BYTES, type Conn, type State } from './state.js';

/** Closes a connection once (idempotent), giving back its budget share and aborting its transfer. */
export function closeConn(state: State, conn: Conn, why: string | undefined, ctx: ActorContext<TcpIn>): void {
  if (!state.conns.delete(conn.id)) return;
  conn.inbound.release();
  state.stats.open = state.conns.size;
  if (conn.fileRing) abortTransfer(conn, why ?? 'connection closed', ctx);
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

/** A connection's bytes broke the protocol (or node authentication refused them): counted, closed. */
export function malformed(state: State, conn: Conn, err: unknown, ctx: ActorContext<TcpIn>): void {
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

/** Hands the connection's queued records on (rings.ts); without a worker ring the connection is closed. */
export function drain(state: State, conn: Conn, ctx: ActorContext<TcpIn>): void {
  if (!flush(state, conn, ctx))
    malformed(state, conn, new CommandError('no TCP command worker to hand the message to'), ctx);
}

/** Writes an answer on its connection; the writes of one turn leave in one system call (peer/sender.ts). */
export function writeAnswer(conn: Conn, blocks: Uint8Array[]): void {
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

/** A connection accepted by the server: counted, refused over max_connections, else read (`tcp.conn.*` to self). */
export function open(state: State, socket: Socket, ctx: ActorContext<TcpIn>): void {
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
    workerCommands: false,
    lastLocal: undefined,
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
