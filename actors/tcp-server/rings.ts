// Handing a connection's records to the command workers (README.md "What runs"): one SPSC ring per worker, the
// next worker with room for a command (round robin), one worker for a whole `file write` transfer. When the ring
// is full the connection is paused until it has room (`tcp.conn.space`).
import type { ActorContext } from '../../runtime/actor.js';
import type { Ring } from '../../runtime/ring.js';
import { errorMessage } from '../../base/errors.js';
import { NODE } from '../../node/messages.js';
import { WORKER_PREFIX, recordBytes, type TcpIn, type WorkerRecord } from './messages.js';
import type { Conn, State } from './state.js';

export function workerRings(ctx: ActorContext<TcpIn>): string[] {
  return ctx
    .ringNames()
    .filter((n) => n.startsWith(WORKER_PREFIX))
    .sort((a, b) => Number(a.slice(WORKER_PREFIX.length)) - Number(b.slice(WORKER_PREFIX.length)));
}

/** The worker ring to use for a command: round robin, skipping rings without room. */
export function pickRing(state: State, ctx: ActorContext<TcpIn>, bytes: number): string | undefined {
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

/** Tells the worker of the transfer in progress that it ends here (dropped, and logged, if its ring is full). */
export function abortTransfer(conn: Conn, reason: string, ctx: ActorContext<TcpIn>): void {
  const ring = conn.fileRing ? ctx.ring<WorkerRecord>(conn.fileRing) : undefined;
  if (ring && !ring.push({ k: 'file.abort', conn: conn.id, reason }))
    ctx.log.warn('file transfer abort lost: worker ring full', { conn: conn.id });
}

function ringFor(state: State, conn: Conn, rec: WorkerRecord, ctx: ActorContext<TcpIn>): string | undefined {
  if (rec.k === 'cmd') return pickRing(state, ctx, recordBytes(rec));
  if (rec.k === 'file.open') conn.fileRing = pickRing(state, ctx, recordBytes(rec));
  return conn.fileRing;
}

/**
 * Pushes the connection's queued records into their rings, in order; pauses the connection at the first ring
 * without room. False when there is no worker ring at all (the caller closes the connection).
 */
export function flush(state: State, conn: Conn, ctx: ActorContext<TcpIn>): boolean {
  while (conn.outbox.length > 0) {
    const rec = conn.outbox[0]!;
    const name = ringFor(state, conn, rec, ctx);
    const ring = name ? ctx.ring<WorkerRecord>(name) : undefined;
    if (!ring) {
      // No worker ring (cannot happen once started: the node links them before this actor starts).
      return false;
    }
    if (ring.push(rec)) {
      startWorker(state, name!, ctx);
      conn.outbox.shift();
      if (rec.k === 'file.data' && rec.last) conn.fileRing = undefined;
      continue;
    }
    waitForRoom(conn, ring, recordBytes(rec), ctx);
    return true;
  }
  return true;
}

/**
 * The command workers start on demand (service.ts): the first record pushed into a worker's ring asks the node to
 * start that worker, and the record waits in the ring until it runs (an idle node runs no command worker, bench/
 * README.md memory). Asked once per worker and incarnation of this actor; the node answers at once for a worker
 * that already runs (a restarted dispatch actor asks again), and a worker that crashes later is the supervisor's.
 */
function startWorker(state: State, name: string, ctx: ActorContext<TcpIn>): void {
  if (state.workersAsked.has(name)) return;
  state.workersAsked.add(name);
  ctx.ask(NODE, { type: 'node.helper.start', helper: name }).then(
    () => undefined,
    (err: unknown) => {
      // Its records wait in the ring; the next record asks again.
      ctx.log.error('TCP command worker did not start', { worker: name, error: errorMessage(err) });
      ctx.send(ctx.self, { type: 'tcp.worker.unstarted', worker: name });
    },
  );
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
