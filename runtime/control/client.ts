// A client of the control socket (used by the CLI and by tests).
import { createConnection, type Socket } from 'node:net';
import { CommandError } from '../../base/errors.js';
import type { ControlRequest, ControlResponse } from './protocol.js';

type DistributiveOmit<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;

export class ControlClient {
  private seq = 0;
  private buf = '';
  private readonly waiting = new Map<number, (r: ControlResponse) => void>();
  private closedErr: Error | undefined;

  private constructor(private readonly sock: Socket) {
    sock.setEncoding('utf8');
    sock.on('data', (chunk: string) => {
      this.buf += chunk;
      let nl: number;
      while ((nl = this.buf.indexOf('\n')) >= 0) {
        const r = JSON.parse(this.buf.slice(0, nl)) as ControlResponse;
        this.buf = this.buf.slice(nl + 1);
        this.waiting.get(r.id)?.(r);
        this.waiting.delete(r.id);
      }
    });
    const fail = (err: Error): void => {
      this.closedErr = err;
      for (const [id, w] of this.waiting) w({ id, ok: false, error: { name: 'ProtocolError', message: err.message } });
      this.waiting.clear();
    };
    sock.on('error', fail);
    sock.on('close', () => fail(new Error('control socket closed')));
  }

  static connect(path: string, timeoutMs = 5000): Promise<ControlClient> {
    return new Promise((resolve, reject) => {
      const sock = createConnection(path);
      const t = setTimeout(
        () => (sock.destroy(), reject(new CommandError(`no answer on ${path} within ${timeoutMs} ms`))),
        timeoutMs,
      );
      sock.once('connect', () => (clearTimeout(t), resolve(new ControlClient(sock))));
      sock.once(
        'error',
        (err) => (
          clearTimeout(t),
          reject(new CommandError(`cannot connect to ${path}: ${err.message}`, { cause: err }))
        ),
      );
    });
  }

  request(req: DistributiveOmit<ControlRequest, 'id'>): Promise<ControlResponse> {
    if (this.closedErr) return Promise.reject(this.closedErr);
    const id = ++this.seq;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.sock.write(JSON.stringify({ ...req, id }) + '\n');
    });
  }

  /** Runs an EdgeLake command; rejects with the node's error text. */
  async cmd(text: string): Promise<string> {
    const r = await this.request({ op: 'cmd', text });
    if (!r.ok) throw new CommandError(r.error.message, r.error.code !== undefined ? { code: r.error.code } : {});
    return r.text ?? '';
  }

  close(): void {
    this.sock.end();
  }
}
