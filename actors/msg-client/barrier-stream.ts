// The transport under mqtt.js: a TCP socket whose *outgoing* bytes wait until the rows of every message
// received so far are durable.
//
// Why: mqtt.js handles incoming packets one at a time, and with `customHandleAcks` (MQTT 5) it sends a
// message's PUBACK as soon as the handler calls back; the next PUBLISH is not handled before that. Waiting
// in the handler for the journal commit (about 3 ms here) would cap a client at one message per commit.
// Instead the handler stages the rows and calls back at once; mqtt.js writes the PUBACK to this stream,
// which holds it (and anything written after it) until the batch holding that message is durable. So
// acknowledgements still follow durability, in order, while one commit covers every message that arrived
// meanwhile. If a batch cannot be stored, the stream is destroyed with the PUBACKs unsent: the broker
// redelivers those messages on the next connection (persistent session) or drops them (clean session).
// Nothing that leaves a subscriber needs to overtake an acknowledgement (PINGREQ, SUBSCRIBE, DISCONNECT
// simply wait their turn).
import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';

export class BarrierStream extends Duplex {
  /** Writes in order: each waits for the previous one and for its own barrier. */
  private chain: Promise<void> = Promise.resolve();
  private queued = 0;
  private paused = false;

  /** `barrier()` is undefined when nothing is pending, else a promise of "everything so far is durable". */
  constructor(
    private readonly socket: Socket,
    private readonly barrier: () => Promise<void> | undefined,
  ) {
    super({ allowHalfOpen: false });
    socket.on('data', (d: Buffer) => {
      if (!this.push(d)) socket.pause();
    });
    socket.on('end', () => this.push(null));
    socket.on('error', (err) => this.destroy(err));
    socket.on('close', () => this.destroy());
  }

  override _read(): void {
    if (!this.paused) this.socket.resume();
  }

  /** Stops reading from the socket (TCP backpressure towards the broker) until `resumeReading`. */
  pauseReading(): void {
    this.paused = true;
    this.socket.pause();
  }

  resumeReading(): void {
    this.paused = false;
    this.socket.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    const gate = this.barrier();
    if (!gate && this.queued === 0) {
      this.socket.write(chunk);
      cb();
      return;
    }
    this.queued++;
    this.chain = this.chain
      .then(() => gate)
      .then(
        () => {
          if (!this.socket.destroyed) this.socket.write(chunk);
        },
        (err: unknown) => {
          // The rows of a message this write acknowledges are not durable: never send it.
          this.destroy(err instanceof Error ? err : new Error(String(err)));
        },
      )
      .finally(() => this.queued--);
    cb();
  }

  override _final(cb: (err?: Error | null) => void): void {
    void this.chain.then(() => {
      this.socket.end();
      cb();
    });
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.socket.destroy();
    cb(err);
  }
}
