// The gRPC client actor: one subscription (`run grpc client where name = ..`) to a server-streaming (or
// unary, polled) method of a gRPC server, with @grpc/grpc-js and @grpc/proto-loader. Each response is
// mapped to rows (mapping.ts) and the rows are made durable in the journal (RowProducer), then handed
// to the streamer.
//
// Failure handling (EdgeLake grpc_client.py subscribe / execute_service, with these differences):
//   - a message that does not decode or map is counted (`Bad Msgs`, last reason in `Error`); the stream
//     goes on (EdgeLake ended the call on a failed message)
//   - a dropped stream or an unreachable server is retried with backoff (0.5 s doubling to 30 s, reset by
//     the next message) while `reconnect = true`; EdgeLake slept 3 s between attempts
//   - `timeout` bounds each connection attempt; EdgeLake used it as the deadline of the whole call,
//     which cut a live stream every `timeout` seconds
//   - a stream that the server ends normally is called again (EdgeLake: after 3 s when it sent nothing);
//     a unary method is called every second (EdgeLake called it again at once, in a tight loop)
// Rows are durable before they count; a gRPC stream has no acknowledgement, so what is in memory when
// the worker dies (at most one batch being journaled) is lost, as it was in EdgeLake.
import {
  Client,
  Metadata,
  credentials,
  status as grpcStatus,
  type ClientReadableStream,
  type ClientUnaryCall,
  type ServiceError,
} from '@grpc/grpc-js';
import { defineActor, type ActorContext } from '../../runtime/actor.js';
import type { TimerHandle } from '../../runtime/clock.js';
import { ConfigError, assertNever, errorMessage } from '../../base/errors.js';
import { isFailure, type MappedRow } from '../../protocols/mapping/index.js';
import { RowProducer } from '../_shared/row-producer.js';
import { parseGrpcClientConfig, type GrpcClientConfig } from './config.js';
import { compileMapping, type GrpcMapping } from './mapping.js';
import type { GrpcIn, GrpcState, GrpcStatus } from './messages.js';
import { BadMessage, buildRequest, loadMethod, type ProtoMethod } from './proto.js';

interface State {
  cfg: GrpcClientConfig;
  address: string;
  method: ProtoMethod;
  request: object;
  mapping: GrpcMapping;
  info: Record<string, string>;
  producer: RowProducer;
  client: Client;
  call: ClientReadableStream<object | BadMessage> | ClientUnaryCall | undefined;
  /** Generation of the current connection attempt / call; events of older ones are ignored. */
  gen: number;
  status: GrpcState;
  dataMsgs: number;
  timeouts: number;
  rows: number;
  badMsgs: number;
  reconnects: number;
  error: string;
  attempt: number;
  /** Messages since the current call started. */
  callMsgs: number;
  queue: MappedRow[];
  flushing: Promise<void> | undefined;
  paused: boolean;
  retry: TimerHandle | undefined;
  lastWarn: number;
}

const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 16_000, 30_000];
const POLL_MS = 1000;
/** Rows waiting for the journal before the stream is paused (and resumed when they are durable). */
const HIGH_WATER = 20_000;

function protoOption(
  cfg: GrpcClientConfig,
  inner: Record<string, unknown> | undefined,
  key: 'grpc_dir' | 'proto' | 'function' | 'service',
  where: string,
): string {
  const v = cfg[key] ?? (typeof inner?.[key] === 'string' ? (inner[key] as string) : undefined);
  if (v === undefined || v === '')
    throw new ConfigError(`${where}.${key}: required (in the command, or in the mapping policy)`);
  return v;
}

function warnBad(s: State, ctx: ActorContext<GrpcIn>, reason: string): void {
  s.badMsgs++;
  s.error = reason;
  if (Date.now() - s.lastWarn > 1000) {
    s.lastWarn = Date.now();
    ctx.log.warn('gRPC message not ingested', { name: s.cfg.name, reason, bad: s.badMsgs });
  }
}

function flush(s: State, ctx: ActorContext<GrpcIn>): void {
  if (s.flushing || s.queue.length === 0) return;
  s.flushing = (async () => {
    while (s.queue.length > 0) {
      const batch = s.queue.splice(0, s.queue.length);
      try {
        await s.producer.submitMany(batch);
        s.rows += batch.length;
      } catch (err) {
        // The journal refused (disk full...): these rows are lost and said so; later ones are tried again.
        s.error = `journal: ${errorMessage(err)}`;
        ctx.log.error('gRPC rows not journaled', { name: s.cfg.name, rows: batch.length, error: errorMessage(err) });
      }
      if (s.paused && s.queue.length < HIGH_WATER / 2 && s.call && 'resume' in s.call) {
        s.paused = false;
        s.call.resume();
      }
    }
  })().finally(() => {
    s.flushing = undefined;
    flush(s, ctx);
  });
}

function onMessage(s: State, ctx: ActorContext<GrpcIn>, gen: number, m: object | BadMessage): void {
  if (gen !== s.gen) return;
  if (m instanceof BadMessage) return warnBad(s, ctx, m.reason);
  s.dataMsgs++;
  s.callMsgs++;
  s.attempt = 0;
  const msg: Record<string, unknown> = { ...s.info, ...(m as Record<string, unknown>) };
  if (s.cfg.debug) ctx.log.info('gRPC message', { name: s.cfg.name, message: msg });
  if (s.mapping.map) {
    const r = s.mapping.map(msg, new Date(ctx.clock.now()));
    if (isFailure(r)) warnBad(s, ctx, `message ${s.dataMsgs}: ${r.error.reason}`);
    else for (const row of r.rows) s.queue.push(row);
    if (s.queue.length > HIGH_WATER && s.call && 'pause' in s.call && !s.paused) {
      s.paused = true;
      s.call.pause();
    }
    flush(s, ctx);
  }
  if (s.cfg.limit > 0 && s.dataMsgs >= s.cfg.limit) {
    s.gen++;
    s.call?.cancel();
    s.call = undefined;
    s.status = 'Terminated (Success)';
    s.error = `Exit from Service execution - events count at limit (${s.cfg.limit})`;
    ctx.log.info('gRPC client at its limit', { name: s.cfg.name, limit: s.cfg.limit });
  }
}

function connect(s: State, ctx: ActorContext<GrpcIn>): void {
  const gen = s.gen;
  s.status = s.reconnects === 0 && s.dataMsgs === 0 ? 'Connecting' : 'Reconnecting';
  s.client.waitForReady(Date.now() + s.cfg.timeout * 1000, (err) => {
    if (err)
      ctx.send(ctx.self, {
        type: 'grpc.ended',
        gen,
        ok: false,
        reason: `cannot connect to ${s.address}: ${err.message}`,
        timeout: true,
      });
    else ctx.send(ctx.self, { type: 'grpc.ready', gen });
  });
}

function startCall(s: State, ctx: ActorContext<GrpcIn>): void {
  const gen = s.gen;
  const m = s.method;
  s.callMsgs = 0;
  s.status = 'Active';
  const ended = (ok: boolean, reason: string): void =>
    ctx.send(ctx.self, { type: 'grpc.ended', gen, ok, reason, timeout: false });
  if (!m.streaming) {
    // A unary method is polled: one call at a time, the next one when this one is handled.
    s.call = s.client.makeUnaryRequest(
      m.path,
      m.serialize,
      m.deserialize,
      s.request,
      new Metadata(),
      {},
      (err: ServiceError | null, value?: object | BadMessage) => {
        if (err) return ended(false, `${m.methodName}: ${err.details || err.message}`);
        if (value !== undefined) onMessage(s, ctx, gen, value);
        ended(true, '');
      },
    );
    return;
  }
  const call = s.client.makeServerStreamRequest(m.path, m.serialize, m.deserialize, s.request, new Metadata(), {});
  s.call = call;
  call.on('data', (v: object | BadMessage) => onMessage(s, ctx, gen, v));
  // 'error' carries the same status as 'status'; it needs a listener or it would be thrown.
  call.on('error', () => undefined);
  call.on('status', (st: { code: number; details: string }) => {
    if (st.code === grpcStatus.OK) ended(true, '');
    else ended(false, `${m.methodName}: ${grpcStatus[st.code] ?? st.code} ${st.details}`);
  });
}

function onEnded(s: State, ctx: ActorContext<GrpcIn>, msg: Extract<GrpcIn, { type: 'grpc.ended' }>): void {
  if (msg.gen !== s.gen) return;
  s.call = undefined;
  s.paused = false;
  if (msg.timeout) s.timeouts++;
  if (!msg.ok) s.error = msg.reason;
  if (!msg.ok && !s.cfg.reconnect) {
    s.status = 'Terminated (Error)';
    ctx.log.warn('gRPC client ended (reconnect = false)', { name: s.cfg.name, error: msg.reason });
    return;
  }
  // A stream that ended normally is called again at once when it delivered messages, else after a pause;
  // a unary method is polled every second; a failure backs off.
  const again = s.method.streaming && s.callMsgs > 0 ? 0 : POLL_MS;
  const delay = msg.ok ? again : BACKOFF_MS[Math.min(s.attempt++, BACKOFF_MS.length - 1)]!;
  if (!msg.ok && s.attempt === 1)
    ctx.log.warn('gRPC connection lost; reconnecting', { name: s.cfg.name, error: msg.reason });
  s.gen++;
  s.reconnects++;
  s.status = 'Reconnecting';
  const gen = s.gen;
  s.retry = ctx.clock.setTimeout(() => ctx.send(ctx.self, { type: 'grpc.connect', gen }), delay);
}

export default defineActor<GrpcClientConfig, State, GrpcIn>({
  kind: 'grpc-client',
  config: (raw) => parseGrpcClientConfig(raw),
  async init(ctx, cfg) {
    const where = 'run grpc client';
    if (cfg.invoke) throw new ConfigError(`${where}.invoke: invokable gRPC endpoints are not supported by edgelake-rt`);
    const mapping = await compileMapping(ctx, cfg, where);
    const inner = mapping.policyInner;
    const method = loadMethod(
      {
        dir: protoOption(cfg, inner, 'grpc_dir', where),
        proto: protoOption(cfg, inner, 'proto', where),
        service: protoOption(cfg, inner, 'service', where),
        method: protoOption(cfg, inner, 'function', where),
        request: cfg.request ?? (typeof inner?.['request'] === 'string' ? inner['request'] : undefined),
        response: cfg.response ?? (typeof inner?.['response'] === 'string' ? inner['response'] : undefined),
      },
      ctx.node.root,
      where,
    );
    const request = buildRequest(cfg.value, method, where);
    const address = `${cfg.ip}:${cfg.port}`;
    const info: Record<string, string> = {};
    for (const k of (cfg.add_info ?? '').split(/[\s,]+/).filter((x) => x !== '')) {
      if (k === 'conn') info['<conn>'] = address;
      else if (k === 'proto') info['<proto>'] = method.serviceName;
      else if (k === 'request') info['<request>'] = method.requestName;
      else throw new ConfigError(`${where}.add_info: expected conn, proto or request (got "${k}")`);
    }
    const s: State = {
      cfg,
      address,
      method,
      request,
      mapping,
      info,
      producer: new RowProducer(ctx),
      // Keepalive pings notice a server that vanished without closing its connections.
      client: new Client(address, credentials.createInsecure(), {
        'grpc.keepalive_time_ms': 10_000,
        'grpc.keepalive_timeout_ms': 5_000,
        'grpc.max_receive_message_length': 64 << 20,
        // The channel's own reconnection backoff (grpc-js: up to 120 s) kept near ours, so a server that
        // returns after a long outage is found within about 30 s.
        'grpc.initial_reconnect_backoff_ms': 500,
        'grpc.max_reconnect_backoff_ms': 30_000,
      }),
      call: undefined,
      gen: 0,
      status: 'Connecting',
      dataMsgs: 0,
      timeouts: 0,
      rows: 0,
      badMsgs: 0,
      reconnects: 0,
      error: '',
      attempt: 0,
      callMsgs: 0,
      queue: [],
      flushing: undefined,
      paused: false,
      retry: undefined,
      lastWarn: 0,
    };
    ctx.send(ctx.self, { type: 'grpc.connect', gen: 0 });
    ctx.log.info('gRPC client started', { name: cfg.name, address, method: method.path, streaming: method.streaming });
    return s;
  },
  handle(s, msg, ctx) {
    switch (msg.type) {
      case 'grpc.status':
        return {
          name: s.cfg.name,
          status: s.status,
          connection: s.address,
          proto: s.cfg.proto ?? s.method.serviceName,
          request: s.method.requestName,
          policyType: s.mapping.policyType,
          policyName: s.mapping.policyName,
          policyId: s.mapping.policyId,
          dataMsgs: s.dataMsgs,
          timeouts: s.timeouts,
          error: s.error,
          rows: s.rows,
          badMsgs: s.badMsgs,
          reconnects: s.reconnects,
        } satisfies GrpcStatus;
      case 'grpc.connect':
        if (msg.gen === s.gen) connect(s, ctx);
        return undefined;
      case 'grpc.ready':
        if (msg.gen === s.gen) startCall(s, ctx);
        return undefined;
      case 'grpc.ended':
        onEnded(s, ctx, msg);
        return undefined;
      default:
        return assertNever(msg, 'gRPC client message');
    }
  },
  async stop(s) {
    s.gen++;
    s.retry?.cancel();
    s.call?.cancel();
    s.client.close();
    // Rows already mapped reach the journal before it closes (a flush may chain another for late arrivals).
    while (s.flushing) await s.flushing;
    await s.producer.close();
  },
});
