// The connection of a msg client to an external MQTT broker (mqtt.js, MQTT 5 for `customHandleAcks`).
//   - QoS 1/2: the handler maps and stages the message, then calls back; the PUBACK/PUBREC that mqtt.js
//     writes waits in the BarrierStream until the rows are durable (barrier-stream.ts).
//   - QoS 0: staged from the `message` event; when too many are waiting for their commit the socket stops
//     being read, so a fast broker meets TCP backpressure instead of growing this worker's memory.
//   - No automatic reconnect in mqtt.js: the actor reconnects after a jittered backoff (index.ts), and
//     subscribes again on every connection (retain handling 1: retained messages only for a new subscription).
//   - `clean = false`: clean start off and a session that never expires, so the broker keeps the session and
//     redelivers what was not acknowledged (with the DUP flag; ingest.ts dedupes by packet id).
// The password goes to the broker only; it is never logged (base/log.ts redacts it anyway).
import { createConnection } from 'node:net';
import { MqttClient, type IClientOptions, type IPublishPacket, type IStream } from 'mqtt';
import { errorMessage } from '../../base/errors.js';
import type { Logger } from '../../base/log.js';
import { BarrierStream } from './barrier-stream.js';
import type { Ingest } from './ingest.js';

/** Messages staged and not yet durable beyond which a QoS 0 stream stops being read. */
const QOS0_HIGH_WATER = 20_000;

export interface LinkOptions {
  host: string;
  port: number;
  clientId: string;
  clean: boolean;
  username: string | undefined;
  password: string | undefined;
  topics: readonly { name: string; qos: 0 | 1 | 2 }[];
  ingest: Ingest;
  log: Logger;
  onUp(sessionPresent: boolean): void;
  onDown(reason: string): void;
  onSubscribed(granted: { topic: string; qos: number }[], error: string | undefined): void;
}

export class MqttLink {
  private readonly client: MqttClient;
  private stream: BarrierStream | undefined;
  private lastError = '';
  private ended = false;
  private readingPaused = false;

  constructor(private readonly o: LinkOptions) {
    const opts: IClientOptions = {
      protocolVersion: 5,
      clientId: o.clientId,
      clean: o.clean,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      keepalive: 60,
      resubscribe: false,
      manualConnect: true,
      customHandleAcks: (topic, message, packet: IPublishPacket, cb) => this.onAckable(topic, message, packet, cb),
      ...(o.clean ? {} : { properties: { sessionExpiryInterval: 0xffffffff } }),
      ...(o.username !== undefined ? { username: o.username } : {}),
      ...(o.password !== undefined ? { password: o.password } : {}),
    };
    // mqtt.js types its transport as `Duplex & { socket?: any }`, which a class cannot declare under
    // exactOptionalPropertyTypes; the stream is a node:stream Duplex, which is what mqtt.js reads.
    this.client = new MqttClient(() => this.newStream() as unknown as IStream, opts);
    this.client.on('connect', (connack) => {
      this.lastError = '';
      this.o.onUp(connack.sessionPresent);
      this.subscribe();
    });
    this.client.on('message', (topic, payload, packet) => {
      if (packet.qos === 0) this.onQos0(topic, payload);
    });
    this.client.on('error', (err) => {
      this.lastError = errorMessage(err);
    });
    this.client.on('disconnect', (packet) => {
      this.lastError = `Disconnected from server (reason code ${packet.reasonCode ?? 0})`;
    });
    this.client.on('close', () => {
      if (!this.ended) this.o.onDown(this.lastError || 'connection closed');
    });
  }

  connect(): void {
    if (this.ended) return;
    this.client.connect();
  }

  private newStream(): BarrierStream {
    const socket = createConnection({ host: this.o.host, port: this.o.port });
    socket.setNoDelay(true);
    socket.on('error', (err) => {
      this.lastError = errorMessage(err);
    });
    this.readingPaused = false;
    this.stream = new BarrierStream(socket, () => (this.o.ingest.inflight > 0 ? this.o.ingest.settled() : undefined));
    return this.stream;
  }

  private subscribe(): void {
    const map = Object.fromEntries(this.o.topics.map((t) => [t.name, { qos: t.qos, rh: 1 }]));
    this.client.subscribe(map, (err, granted) => {
      this.o.onSubscribed(
        (granted ?? []).map((g) => ({ topic: g.topic, qos: g.qos })),
        err ? errorMessage(err) : undefined,
      );
    });
  }

  private onAckable(
    topic: string,
    message: Buffer,
    packet: IPublishPacket,
    cb: (error: Error | number, code?: number) => void,
  ): void {
    const id = packet.messageId;
    this.o.ingest
      .accept(topic, message, id === undefined ? undefined : { id, dup: packet.dup })
      // A store failure destroys the stream before this message's PUBACK leaves (barrier-stream.ts).
      .catch(() => undefined);
    cb(0);
  }

  private onQos0(topic: string, payload: Buffer): void {
    this.o.ingest.accept(topic, payload).catch(() => undefined);
    const stream = this.stream;
    if (!this.readingPaused && stream && this.o.ingest.inflight > QOS0_HIGH_WATER) {
      this.readingPaused = true;
      stream.pauseReading();
      void this.o.ingest
        .settled()
        .catch(() => undefined)
        .then(() => {
          this.readingPaused = false;
          if (this.stream === stream) stream.resumeReading();
        });
    }
  }

  /** Disconnects (DISCONNECT after the pending acknowledgements are written); a persistent session stays on the broker. */
  end(): Promise<void> {
    this.ended = true;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.client.end(true);
        resolve();
      }, 2000);
      this.client.end(false, {}, () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
