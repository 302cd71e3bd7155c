// Sends encoded messages to a peer's TCP port, as EdgeLake does: connect, write the blocks, close
// (net_client.socket_open L458-616: connect timeout 6 s, 3 tries). Between edgelake-rt nodes a message may
// instead go on a persistent connection (peer/wire.ts): one per peer, opened on first use, closed after
// `idleMs` without traffic. Only this side closes a persistent connection on idle, so a message is never
// written into a connection the receiver is about to drop.
//
// Failures are PeerSendError naming the peer and why: refused (EdgeLake 208), connect timed out (26), other
// network errors (15). A connect that fails is retried after a short backoff (EdgeLake sleeps 6 s; here
// `backoffMs`, doubling), up to `tries` attempts.
import { connect, type Socket } from 'node:net';
import { PeerError, ProtocolError, errorMessage } from '../base/errors.js';
import type { TcpMessage } from '../protocols/tcp/assembler.js';
import type { BlockHeader } from '../protocols/tcp/header.js';
import { AnswerReader } from './answer-reader.js';
import { RT_SOCKET_ID, markBlocks } from './wire.js';

export type SendFailure = 'refused' | 'connect-timeout' | 'unreachable' | 'reset' | 'error';

/** A peer could not be reached or the write failed. `reason` says which; the message names the peer. */
export class PeerSendError extends PeerError {
  constructor(
    readonly reason: SendFailure,
    message: string,
    cause?: unknown,
  ) {
    const code = reason === 'refused' ? 208 : reason === 'connect-timeout' ? 26 : 15;
    super(message, { code, retriable: true, ...(cause !== undefined ? { cause } : {}) });
  }
}

export interface SendOptions {
  /** Milliseconds to wait for the connection. Default 6000 (EdgeLake). */
  connectTimeoutMs?: number;
  /** Connection attempts. Default 3 (EdgeLake). */
  tries?: number;
  /** Wait before the second attempt, doubled for each next one. Default 200 ms. */
  backoffMs?: number;
  /** Keep the connection open for the next message to this peer (edgelake-rt peers only). */
  persistent?: boolean;
  /** Stop retrying (and fail) once this says so (cheaper than an AbortSignal, which is made per request). */
  cancelled?: () => boolean;
  /**
   * The blocks carry RT_DUPLEX_SOCKET_ID: the answer comes back on the persistent connection (peer/wire.ts). If
   * the request has to go on a one-shot connection instead, it is re-marked RT_SOCKET_ID (answer through our TCP
   * server), since nobody reads a one-shot connection.
   */
  answerHere?: boolean;
}

/** Where answers read on persistent connections go (a sender without one never reads its connections). */
export interface AnswerSink {
  /** Most payload bytes of one answer. */
  maxAnswerBytes: number;
  /** A complete answer from the connection to `key` (`ip:port` as connected), whose socket's peer is `peerIp`. */
  answer(key: string, peerIp: string, msg: TcpMessage): void;
  /** The connection's bytes were not answers (it is dropped): the answer in progress, if any, will not come. */
  malformed(key: string, peerIp: string, inProgress: BlockHeader | undefined, err: ProtocolError): void;
}

function classify(err: unknown, where: string, attempts: number): PeerSendError {
  const code = (err as { code?: string }).code;
  const tries = attempts > 1 ? ` (${attempts} tries)` : '';
  if (err instanceof PeerSendError) return err;
  if (code === 'ECONNREFUSED') return new PeerSendError('refused', `${where}: connection refused${tries}`, err);
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return new PeerSendError('unreachable', `${where}: unreachable (${code})${tries}`, err);
  if (code === 'ECONNRESET' || code === 'EPIPE')
    return new PeerSendError('reset', `${where}: connection reset by the peer${tries}`, err);
  return new PeerSendError('error', `${where}: ${errorMessage(err)}${tries}`, err);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** One connection attempt whose failure is a PeerSendError (refused, timed out, ...). */
export function openConnection(ip: string, port: number, timeoutMs: number): Promise<Socket> {
  return open(ip, port, timeoutMs).catch((err: unknown) => Promise.reject(classify(err, `${ip}:${port}`, 1)));
}

/** Opens a connection, or fails with PeerSendError after `timeoutMs`. */
function open(ip: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: ip, port });
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new PeerSendError('connect-timeout', `${ip}:${port}: connect timed out after ${timeoutMs / 1000} s`));
    }, timeoutMs);
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.removeAllListeners('error');
      resolve(sock);
    });
    sock.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

interface Pooled {
  sock: Socket;
  idle: NodeJS.Timeout | undefined;
  dead: boolean;
  /**
   * Writes of one event-loop turn go out in one system call (a loopback write costs ~30 us; answers to many
   * requests arrive in one turn, each in its own task).
   */
  corked: boolean;
  /**
   * Requests sent with `answerHere` whose answer has not come back: the connection is not closed on idle while
   * any is (the peer could not write the answer on a closed connection). One that never comes keeps the
   * connection until the peer drops it (tcp-server: 10 minutes idle).
   */
  awaiting: number;
}

export class PeerSender {
  private readonly pool = new Map<string, Promise<Pooled>>();
  /** The pool's connections once open (the same ones): a send on one of them does not wait for its promise. */
  private readonly opened = new Map<string, Pooled>();
  private closed = false;

  constructor(
    private readonly opts: {
      idleMs?: number;
      onError?: (peer: string, err: Error) => void;
      answers?: AnswerSink;
    } = {},
  ) {}

  /** Writes one message (its blocks in order) to `ip:port`. Resolves when the bytes are handed to the kernel. */
  async send(ip: string, port: number, blocks: readonly Uint8Array[], opts: SendOptions = {}): Promise<void> {
    let data = blocks.length === 1 ? blocks[0]! : Buffer.concat(blocks);
    if (opts.persistent && !this.closed) {
      try {
        return await this.sendPooled(ip, port, data, opts);
      } catch (err) {
        // A stale pooled connection (the peer restarted): one more try on a fresh one-shot connection.
        if (!(err instanceof PeerSendError) || err.reason !== 'reset') throw err;
      }
    }
    if (opts.answerHere) {
      markBlocks(blocks, RT_SOCKET_ID);
      data = blocks.length === 1 ? blocks[0]! : Buffer.concat(blocks);
    }
    return this.sendOnce(ip, port, data, opts);
  }

  /** Closes the persistent connections. */
  close(): void {
    this.closed = true;
    for (const p of this.pool.values()) {
      // A connection that failed to open has nothing to close; its sender got the error.
      void p.then(
        (c) => this.drop(c, true),
        () => undefined,
      );
    }
    this.pool.clear();
    this.opened.clear();
  }

  private async connectWithRetries(ip: string, port: number, opts: SendOptions): Promise<Socket> {
    const tries = Math.max(1, opts.tries ?? 3);
    let backoff = opts.backoffMs ?? 200;
    let last: unknown;
    for (let attempt = 1; attempt <= tries; attempt++) {
      try {
        return await open(ip, port, opts.connectTimeoutMs ?? 6000);
      } catch (err) {
        last = err;
        if (attempt === tries || opts.cancelled?.()) return Promise.reject(classify(err, `${ip}:${port}`, attempt));
        await sleep(backoff);
        backoff *= 2;
      }
    }
    throw classify(last, `${ip}:${port}`, tries);
  }

  private async sendOnce(ip: string, port: number, data: Uint8Array, opts: SendOptions): Promise<void> {
    const sock = await this.connectWithRetries(ip, port, opts);
    // The peer never writes on a request connection; drain anything it does so its close is seen.
    sock.resume();
    return new Promise((resolve, reject) => {
      sock.once('error', (err) => reject(classify(err, `${ip}:${port}`, 1)));
      sock.end(data, () => resolve());
      // The receiver closes after the last block; a peer that does not is not waited for long.
      sock.setTimeout(30_000, () => sock.destroy());
    });
  }

  private async sendPooled(ip: string, port: number, data: Uint8Array, opts: SendOptions): Promise<void> {
    const key = `${ip}:${port}`;
    let p = this.pool.get(key);
    const ready = p && this.opened.get(key);
    if (ready && !ready.dead) return this.write(key, p!, ready, data, opts);
    if (!p) {
      const opening = this.connectWithRetries(ip, port, opts).then((sock) => {
        const c = this.adopt(key, sock);
        if (this.pool.get(key) === opening) this.opened.set(key, c);
        return c;
      });
      this.pool.set(key, opening);
      opening.catch(() => {
        if (this.pool.get(key) === opening) this.pool.delete(key);
      });
      p = opening;
    }
    const c = await p;
    if (c.dead) {
      if (this.pool.get(key) === p) {
        this.pool.delete(key);
        this.opened.delete(key);
      }
      throw new PeerSendError('reset', `${key}: persistent connection closed`);
    }
    return this.write(key, p, c, data, opts);
  }

  /** Writes on an open pooled connection; the writes of one turn leave in one system call. */
  private async write(key: string, p: Promise<Pooled>, c: Pooled, data: Uint8Array, opts: SendOptions): Promise<void> {
    this.touch(key, p, c);
    const answerHere = opts.answerHere === true && this.opts.answers !== undefined;
    if (answerHere) c.awaiting++;
    if (!c.corked) {
      c.corked = true;
      c.sock.cork();
      setImmediate(() => {
        c.corked = false;
        c.sock.uncork();
      });
    }
    await new Promise<void>((resolve, reject) => {
      // Any failure here means the pooled connection went stale: `send` retries on a fresh one.
      c.sock.write(data, (err) => {
        if (!err) return resolve();
        if (answerHere) c.awaiting--;
        reject(new PeerSendError('reset', `${key}: ${err.message}`, err));
      });
    });
    // Bounded memory: a peer that reads slower than we write makes the sender wait here.
    if (c.sock.writableNeedDrain) await new Promise<void>((r) => c.sock.once('drain', r));
  }

  private adopt(key: string, sock: Socket): Pooled {
    const c: Pooled = { sock, idle: undefined, dead: false, corked: false, awaiting: 0 };
    sock.setNoDelay(true);
    const sink = this.opts.answers;
    if (sink) this.readAnswers(key, c, sink);
    else sock.resume();
    // A dead connection stays in the pool until the next send finds it dead and replaces it.
    const gone = (err?: Error): void => {
      if (c.dead) return;
      c.dead = true;
      if (c.idle) clearTimeout(c.idle);
      if (err) this.opts.onError?.(key, err);
    };
    sock.on('error', gone);
    sock.on('close', () => gone());
    return c;
  }

  /** Answers written back on the connection go to `sink`; anything else drops the connection. */
  private readAnswers(key: string, c: Pooled, sink: AnswerSink): void {
    const reader = new AnswerReader(sink.maxAnswerBytes);
    const peerIp = (c.sock.remoteAddress ?? '').replace(/^::ffff:/, '');
    c.sock.on('data', (chunk: Buffer) => {
      let answers: TcpMessage[];
      try {
        answers = reader.push(chunk);
      } catch (err) {
        if (!(err instanceof ProtocolError)) throw err;
        sink.malformed(key, peerIp, reader.inProgress, err);
        c.sock.destroy(err);
        return;
      }
      for (const m of answers) {
        if (c.awaiting > 0) c.awaiting--;
        sink.answer(key, peerIp, m);
      }
    });
  }

  private touch(key: string, p: Promise<Pooled>, c: Pooled): void {
    if (c.idle) {
      c.idle.refresh();
      return;
    }
    c.idle = setTimeout(() => {
      if (c.awaiting > 0) {
        c.idle?.refresh();
        return;
      }
      if (this.pool.get(key) === p) {
        this.pool.delete(key);
        this.opened.delete(key);
      }
      this.drop(c, false);
    }, this.opts.idleMs ?? 15_000);
    c.idle.unref();
  }

  private drop(c: Pooled, now: boolean): void {
    if (c.idle) clearTimeout(c.idle);
    c.dead = true;
    if (now) c.sock.destroy();
    else c.sock.end();
  }
}
