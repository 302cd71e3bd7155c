// The control socket: a Unix socket at <root>/edgelake-rt.sock, user-only (0600), that the CLI
// (`edgelake-rt cmd|send|kill|stop|console`) talks to. Each connection may send many requests;
// a malformed line gets an error reply and the connection goes on; an oversized one closes it.
import { chmodSync, existsSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { CommandError, errorMessage, serializeError } from '../../base/errors.js';
import type { Logger } from '../../base/log.js';
import type { ActorMessage } from '../wire.js';
import { MAX_LINE, type ControlRequest, type ControlResponse } from './protocol.js';

export interface ControlHandler {
  command(text: string): Promise<string>;
  send(actor: string, msg: ActorMessage, ask: boolean, timeoutMs: number): Promise<unknown>;
  kill(actor: string): boolean;
  stop(): void;
}

function isRequest(v: unknown): v is ControlRequest {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  if (typeof r['id'] !== 'number') return false;
  switch (r['op']) {
    case 'cmd':
      return typeof r['text'] === 'string';
    case 'send':
      return typeof r['actor'] === 'string' && typeof r['ask'] === 'boolean';
    case 'kill':
      return typeof r['actor'] === 'string';
    case 'stop':
    case 'ping':
      return true;
    default:
      return false;
  }
}

async function probe(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection(path);
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

export class ControlServer {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(
    readonly path: string,
    private readonly handler: ControlHandler,
    private readonly log: Logger,
  ) {}

  async listen(): Promise<void> {
    if (existsSync(this.path)) {
      if (await probe(this.path)) throw new CommandError(`another node already listens on ${this.path}`);
      unlinkSync(this.path); // stale socket of a node that died
    }
    const server = createServer((s) => this.onConnection(s));
    this.server = server;
    // umask 0177 while the socket file is created: it is born 0600, never world-connectable.
    const old = process.umask(0o177);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(this.path, () => resolve());
      });
    } finally {
      process.umask(old);
    }
    chmodSync(this.path, 0o600);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    if (existsSync(this.path)) unlinkSync(this.path);
  }

  private onConnection(sock: Socket): void {
    this.sockets.add(sock);
    sock.on('close', () => this.sockets.delete(sock));
    sock.on('error', (err) => this.log.debug('control connection error', { error: err.message }));
    let buf = '';
    sock.setEncoding('utf8');
    sock.on('data', (chunk: string) => {
      buf += chunk;
      if (buf.length > MAX_LINE && !buf.includes('\n')) {
        this.reply(sock, {
          id: -1,
          ok: false,
          error: { name: 'ProtocolError', message: `request line over ${MAX_LINE} bytes` },
        });
        sock.end();
        return;
      }
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.trim() !== '') void this.onLine(sock, line);
      }
    });
  }

  private reply(sock: Socket, r: ControlResponse): void {
    if (!sock.destroyed) sock.write(JSON.stringify(r) + '\n');
  }

  private async onLine(sock: Socket, line: string): Promise<void> {
    let req: unknown;
    try {
      req = JSON.parse(line);
    } catch (err) {
      this.reply(sock, {
        id: -1,
        ok: false,
        error: { name: 'ProtocolError', message: `not JSON: ${errorMessage(err)}` },
      });
      return;
    }
    if (!isRequest(req)) {
      const id = typeof (req as { id?: unknown })?.id === 'number' ? (req as { id: number }).id : -1;
      this.reply(sock, {
        id,
        ok: false,
        error: { name: 'ProtocolError', message: 'not a control request (need id and op cmd|send|kill|stop|ping)' },
      });
      return;
    }
    try {
      switch (req.op) {
        case 'cmd':
          this.reply(sock, { id: req.id, ok: true, text: await this.handler.command(req.text) });
          return;
        case 'send': {
          const m = req.message;
          if (typeof m !== 'object' || m === null || typeof (m as { type?: unknown }).type !== 'string') {
            throw new CommandError(`an actor message is a JSON object with a string "type"`);
          }
          const value = await this.handler.send(req.actor, m as ActorMessage, req.ask, req.timeoutMs ?? 10_000);
          this.reply(sock, value === undefined ? { id: req.id, ok: true } : { id: req.id, ok: true, value });
          return;
        }
        case 'kill':
          if (!this.handler.kill(req.actor)) throw new CommandError(`no running actor '${req.actor}'`);
          this.reply(sock, { id: req.id, ok: true });
          return;
        case 'stop':
          this.reply(sock, { id: req.id, ok: true });
          this.handler.stop();
          return;
        case 'ping':
          this.reply(sock, { id: req.id, ok: true, text: 'pong' });
          return;
      }
    } catch (err) {
      const e = serializeError(err);
      const error: { name: string; message: string; code?: number } = { name: e.name, message: e.message };
      if (e.code !== undefined) error.code = e.code;
      this.reply(sock, { id: req.id, ok: false, error });
    }
  }
}
