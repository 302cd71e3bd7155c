// The REST server actor: node:http (or https with `ssl = true`) on the configured address.
// Commands go to the node's dispatcher (the same one the control socket uses) through `ask(NODE)`;
// data PUTs are journaled (streaming) or written to watch_dir (file) before they are acknowledged.
// uWebSockets.js is not on npm; node:http keeps up here (bench/README.md, ingest-sqlite).
// Requests come through the mailbox, as the TCP server's sockets do: the server's callback sends `rest.request`
// to `self`, and `handle` counts it and starts serving it. Serving (reading the body, asking the node, journaling)
// runs concurrently, outside `handle`, on what `handle` gave it; what it changes comes back as `rest.done` and
// `rest.closed`. So state changes only in `handle`, and a request that arrives while `init` still runs waits in
// the mailbox (the host drains it once the actor is running).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { defineActor, type ActorContext } from '../../runtime/actor.js';
import { listenAddress } from '../../node/config/listener.js';
import { CommandError, EdgeRtError, ProtocolError, assertNever, errorMessage } from '../../base/errors.js';
import { formatTable } from '../../protocols/format/table.js';
import { NODE, type NodeIn } from '../../node/messages.js';
import { RowProducer } from '../_shared/row-producer.js';
import { restServerSchema, type RestServerConfig } from './config.js';
import { discard, readBody, readRowsBody, type RowsSplitter } from './body-stream.js';
import { ingestFile, ingestStreaming, ingestTarget, type IngestDeps } from './ingest.js';
import type { RestCall, RestIn, RestPut, RestPutStats } from './messages.js';
import { msgSinkAt, readRestAgents } from '../_shared/msg-routes.js';
import { operatorWatchDir } from '../_shared/watch-dir.js';
import { BASE_HEADERS, JSON_TYPE, send, sendChunked, sendError, putSuccess } from './reply.js';
import { CorsPolicy, notBrowserSimple } from './browser.js';
import { classify, collectHeaders, productOf, type Headers } from './request.js';
import { RestStats } from './stats.js';
import { errCode, httpStatusOf, logFault } from './http-status.js';
import { tlsOptions } from './tls.js';
import { Status } from '../../base/status.js';
import { observeRoute, serveObserve } from './observe/routes.js';
import { userAccess } from './observe/access.js';
import { startMetricsServer } from './observe/metrics-port.js';
import { AUTH_FAILED_TEXT, AUTH_USERS, Authenticator, type UserType } from '../../node/auth/users.js';
import { readSetting } from '../../node/settings.js';

interface State {
  cfg: RestServerConfig;
  server: Server | TlsServer;
  deps: IngestDeps;
  stats: RestStats;
  connection: string;
  inflight: number;
  calls: number;
  /** user-agent product -> msg client actor id (`broker = rest` clients). */
  agents: Map<string, string>;
  /** The `metrics_port` server (observability routes only), when configured. */
  metricsServer: Server | undefined;
  /** The user table (node/auth/users.ts), replaced on every `auth.users` notice. */
  auth: Authenticator;
  /** `cors = <origins>`: who gets CORS headers (browser.ts). */
  cors: CorsPolicy;
  /** Requests refused as a browser's cross-site or simple request (browser.ts). */
  browserRefused: number;
  /** Requests refused for missing or wrong credentials. */
  authRefused: number;
}

/** What serving one request may use: read-only, taken in `handle` when the request arrived. */
interface Serve {
  cfg: RestServerConfig;
  deps: IngestDeps;
  /** user-agent product -> msg client actor id, as it was when the request arrived. */
  agents: ReadonlyMap<string, string>;
  ctx: ActorContext<RestIn>;
  client: string;
  /** The authenticated user (user authentication on). */
  user?: { name: string; type: UserType };
}

const KNOWN_CALLERS = new Set(['anylog', 'grafana']);

/** Sends the request's `get rest calls` row (and the rows it put) back to `handle`. */
function done(s: Serve, h: Headers, method: string, error: string | undefined, put?: RestPut): void {
  const call: RestCall = { caller: productOf(h, KNOWN_CALLERS), call: method.toLowerCase(), error, client: s.client };
  s.ctx.send(s.ctx.self, put ? { type: 'rest.done', call, put } : { type: 'rest.done', call });
}

async function runCommand(
  s: Serve,
  action: { text: string; method: 'GET' | 'POST'; inner?: string },
  h: Headers,
  res: ServerResponse,
): Promise<void> {
  const { text, method, inner } = action;
  const client = s.client;
  let timeoutMs = s.cfg.timeout > 0 ? s.cfg.timeout * 1000 : 3_600_000;
  // A `destination` command waits for the peers for its own `timeout` (header, else the server's): allow for it.
  if (inner !== undefined) timeoutMs = Math.max(timeoutMs, (Number(h['timeout']) || 20) * 1000 + 5000);
  try {
    const msg: NodeIn = {
      type: 'node.command',
      text,
      source: `rest ${client}`,
      via: 'rest',
      ...(s.user ? { user: s.user } : {}),
      method,
      ...(inner !== undefined ? { inner } : { answerWithinMs: timeoutMs }),
    };
    const reply = await s.ctx.ask(NODE, msg, timeoutMs);
    if (inner !== undefined) sendChunked(res, reply);
    else send(res, 200, reply);
    done(s, h, method, undefined);
  } catch (err) {
    const code = errCode(err);
    const status = httpStatusOf(err);
    if (status >= 500) logFault(s.ctx, err, method, inner ?? text);
    sendError(res, method, client, code, errorMessage(err), status);
    done(s, h, method, errorMessage(err));
  }
}

async function ingest(s: Serve, req: IncomingMessage, h: Headers, res: ServerResponse): Promise<void> {
  const method = req.method ?? 'PUT';
  try {
    const target = ingestTarget(h);
    // Streamed: the body is read in bounded pieces (body-stream.ts), never held whole as text and objects.
    const read = (splitter: RowsSplitter, pressure?: () => Promise<void> | undefined): Promise<void> =>
      readRowsBody(req, s.cfg.max_body_mb * 1024 * 1024, splitter, pressure);
    // A file goes to the running operator's watch directory, never to one nobody reads (issue 12 item 9).
    const r =
      target.mode === 'streaming'
        ? await ingestStreaming(target, read, s.deps)
        : await ingestFile(target, read, { ...s.deps, watchDir: await operatorWatchDir(s.ctx) });
    send(res, 200, putSuccess(r.hash));
    done(s, h, method, undefined, { key: `${target.dbms}.${target.table}`, mode: target.mode, rows: r.rows });
  } catch (err) {
    // A body not read to its end (refused headers, bad JSON midway) is drained, or the client sees a reset.
    if (!req.complete) discard(req);
    const status = err instanceof EdgeRtError && err.code === Status.OperatorNotAvailable ? 503 : httpStatusOf(err);
    if (status >= 500) logFault(s.ctx, err, method, `${h['dbms'] ?? ''}.${h['table'] ?? ''}`);
    s.ctx.metrics.inc('edgelake_rt_ingest_requests_rejected_total', { source: s.ctx.self });
    sendError(res, method, s.client, errCode(err), errorMessage(err), status);
    done(s, h, method, errorMessage(err));
  }
}

/** In `handle`: counts the request and starts serving it (not awaited: requests are served concurrently). */
function onRequest(state: State, ctx: ActorContext<RestIn>, req: IncomingMessage, res: ServerResponse): void {
  const client = req.socket.remoteAddress ?? '';
  // Observability routes (/metrics, /healthz, /readyz, /status): not EdgeLake commands, served apart.
  const observe = observeRoute(req.url);
  if (observe) {
    void serveObserve(
      observe,
      req,
      res,
      ctx,
      userAccess(() => state.auth),
    );
    return;
  }
  let h = collectHeaders(req.headers, req.url);
  // EdgeLake: a `destination` request waits for the peers for `timeout` seconds, the server's timeout by default.
  if (h['destination'] && !h['timeout'] && state.cfg.timeout > 0) h = { ...h, timeout: String(state.cfg.timeout) };
  state.calls++;
  state.inflight++;
  res.on('close', () => ctx.send(ctx.self, { type: 'rest.closed' }));
  const s: Serve = { cfg: state.cfg, deps: state.deps, agents: state.agents, ctx, client };
  const products = new Set(s.agents.keys());
  const auth = state.auth;
  const cors = state.cors;
  const method = req.method ?? 'GET';
  for (const [k, v] of Object.entries({ ...BASE_HEADERS, ...state.cors.headers(req.headers) })) res.setHeader(k, v);
  if (method === 'OPTIONS') for (const [k, v] of Object.entries(state.cors.preflight(req.headers))) res.setHeader(k, v);
  const go = async (): Promise<void> => {
    // User authentication (AnyLog): every request but a CORS preflight (browsers send those without credentials).
    if (auth.enabled && req.method !== 'OPTIONS') {
      const user = await auth.checkHeader(req.headers['authorization']);
      if (!user) {
        ctx.send(ctx.self, { type: 'rest.refused', why: 'auth' });
        res.setHeader('WWW-Authenticate', 'Basic realm="edgelake-rt", charset="UTF-8"');
        // The request's body is not read: close the connection rather than parse it as the next request.
        res.setHeader('Connection', 'close');
        sendError(res, req.method ?? 'GET', client, Status.AuthenticationFailed, AUTH_FAILED_TEXT, 401);
        return done(s, h, req.method ?? 'GET', AUTH_FAILED_TEXT);
      }
      s.user = user;
    }
    let action = classify(method, req.url, h, products);
    if (action.k === 'command' || action.k === 'ingest' || action.k === 'data' || action.k === 'body-headers') {
      // A browser on another site must never run anything here (browser.ts).
      const why =
        cors.refusal(req.headers) ??
        (notBrowserSimple(method, req.headers)
          ? undefined
          : "a request a browser can send from any site: the command must come in a 'command' header");
      if (why !== undefined) {
        ctx.send(ctx.self, { type: 'rest.refused', why: 'browser' });
        res.setHeader('Connection', 'close');
        sendError(res, method, client, Status.UnauthorizedCommand, `Refused: ${why}`, 403);
        return done(s, h, method, why);
      }
    }
    if (action.k === 'body-headers') {
      // POST without `command`: the JSON object body carries the headers, then it runs as a GET.
      const body = await readBody(req, 1 << 20);
      let obj: unknown;
      try {
        obj = body.trim() === '' ? {} : JSON.parse(body);
      } catch (err) {
        throw new ProtocolError(`POST body is not JSON: ${errorMessage(err)}`);
      }
      if (typeof obj !== 'object' || obj === null || Array.isArray(obj))
        throw new ProtocolError('POST body must be a JSON object of headers');
      h = { ...h, ...Object.fromEntries(Object.entries(obj).map(([k, v]) => [k.toLowerCase(), String(v)])) };
      action = classify('GET', req.url, h, products);
    }
    switch (action.k) {
      case 'command':
        return runCommand(s, action, h, res);
      case 'ingest':
        return ingest(s, req, h, res);
      case 'data': {
        const agent = productOf(h, products);
        const target = agent ? s.agents.get(agent) : undefined;
        if (!target) return sendError(res, 'post', client, 167, 'Missing data ingest mapping');
        const body = await readBody(req, s.cfg.max_body_mb << 20);
        const reply = await ctx.ask(msgSinkAt(target), { type: 'msg.data', topic: h['topic'] ?? '', body }, 30_000);
        return send(res, 200, reply);
      }
      case 'health':
        return send(res, 200, action.body, JSON_TYPE);
      case 'empty':
        return send(res, 200, '');
      case 'bad':
        return sendError(res, req.method ?? 'GET', client, action.code, action.text, action.status);
      case 'body-headers':
        return sendError(res, 'post', client, 2, 'POST body headers must not nest');
      default:
        return assertNever(action, 'request action');
    }
  };
  go().catch((err: unknown) => {
    const status = httpStatusOf(err);
    if (status >= 500) logFault(ctx, err, req.method ?? 'GET', req.url ?? '');
    sendError(res, req.method ?? 'GET', client, errCode(err), errorMessage(err), status);
  });
}

export default defineActor<RestServerConfig, State, RestIn>({
  kind: 'rest-server',
  config: (raw) => restServerSchema.parse(raw),
  async init(ctx, cfg) {
    const dirs = ctx.node.dirs;
    const producer = new RowProducer(ctx);
    // Pieces of large bodies that a crash (or a kill) cut off before their last transaction: never acknowledged.
    const dropped = await producer.dropStaged();
    if (dropped > 0) ctx.log.info('journal: staged pieces of unfinished PUTs removed', { entries: dropped });
    const { host, port } = listenAddress(cfg);
    const handler = (req: IncomingMessage, res: ServerResponse): void =>
      ctx.send(ctx.self, { type: 'rest.request', req, res });
    const requestTimeout = cfg.timeout > 0 ? cfg.timeout * 1000 : 0;
    const opts = {
      maxHeaderSize: cfg.max_header_kb * 1024,
      // A slow client (slowloris) is cut off: headers within 10 s, the whole request within the timeout. node:http
      // refuses a headers timeout above the request timeout (a `timeout` under 10 s failed the server's start).
      headersTimeout: requestTimeout > 0 ? Math.min(10_000, requestTimeout) : 10_000,
      requestTimeout,
      keepAliveTimeout: 5_000,
    };
    let server: Server | TlsServer;
    if (cfg.ssl) server = createTlsServer({ ...opts, ...tlsOptions(cfg, dirs['pem_dir']!) }, handler);
    else server = createServer(opts, handler);
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) =>
        reject(new CommandError(`REST server cannot listen on ${host}:${port}: ${err.message}`, { cause: err })),
      );
      server.listen(port, host, () => resolve());
    });
    server.on('clientError', (err, socket) => {
      // Malformed HTTP from one client: answer 400 on its socket only.
      if (socket.writable)
        socket.end('HTTP/1.1 400 Bad Request\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n');
      ctx.log.debug('REST client error', { error: err.message });
    });
    const addr = server.address() as AddressInfo;
    // `broker = rest` msg clients registered before this server (re)started.
    const agents = await readRestAgents(ctx);
    const auth = new Authenticator(await readSetting(ctx, AUTH_USERS));
    // The metrics port follows the same users (the Authenticator is updated in place on `auth.users`).
    const metricsServer =
      cfg.metrics_port === undefined
        ? undefined
        : await startMetricsServer(
            ctx,
            cfg,
            host,
            userAccess(() => auth),
          );
    const cors = new CorsPolicy(cfg.cors);
    const state: State = {
      metricsServer,
      cfg,
      server,
      deps: {
        producer,
        prepDir: dirs['prep_dir']!,
        watchDir: dirs['watch_dir']!,
      },
      stats: new RestStats(),
      connection: `${cfg.ssl ? 'https' : 'http'}://${addr.address}:${addr.port}`,
      inflight: 0,
      calls: 0,
      agents: new Map(Object.entries(agents)),
      auth,
      cors,
      browserRefused: 0,
      authRefused: 0,
    };
    ctx.log.info('REST server listening', { address: `${addr.address}:${addr.port}`, ssl: cfg.ssl });
    return state;
  },
  handle(state, msg, ctx) {
    switch (msg.type) {
      case 'rest.request':
        return onRequest(state, ctx, msg.req, msg.res);
      case 'rest.done':
        state.stats.record(msg.call.caller, msg.call.call, msg.call.error, msg.call.client);
        if (msg.put?.mode === 'streaming') state.stats.countStreamed(msg.put.key, msg.put.rows);
        else if (msg.put) state.stats.countFile(msg.put.key, msg.put.rows);
        return undefined;
      case 'rest.closed':
        state.inflight--;
        return undefined;
      case 'rest.info': {
        const a = state.server.address() as AddressInfo;
        const mp = state.metricsServer?.address() as AddressInfo | undefined;
        return {
          address: a.address,
          port: a.port,
          ...(mp ? { metricsPort: mp.port } : {}),
          connection: state.connection,
          timeout: state.cfg.timeout,
          ssl: state.cfg.ssl,
          bind: state.cfg.bind,
          threads: state.cfg.threads,
          cors: state.cfg.cors,
          refused: { auth: state.authRefused, browser: state.browserRefused },
        };
      }
      case 'rest.calls':
        // EdgeLake http_server.py `show_info`: the header names the connection with its scheme (http://ip:port).
        return state.stats.show(state.connection);
      case 'rest.pool': {
        const busy = Math.min(state.inflight, state.cfg.threads);
        const slots = Array.from({ length: state.cfg.threads }, (_, i) => (i < busy ? 1 : 0));
        if (!msg.details)
          return `${`REST Pool with ${state.cfg.threads} threads:`.padEnd(60)}[${slots.join(', ')}] (${state.calls})`;
        return formatTable(
          ['Thread', 'Status', 'Calls', 'Percentage'],
          slots.map((s, i) => [i, s ? 'Busy' : 'Idle', '', '']),
        );
      }
      case 'rest.put-stats':
        return {
          files: Object.fromEntries(state.stats.putFiles),
          streamed: Object.fromEntries(state.stats.streamed),
        } satisfies RestPutStats;
      case 'rest.agents':
        state.agents = new Map(Object.entries(msg.agents));
        return undefined;
      case 'auth.users':
        state.auth.replace(msg.table);
        return undefined;
      case 'rest.refused':
        if (msg.why === 'auth') state.authRefused++;
        else state.browserRefused++;
        return undefined;
      default:
        return assertNever(msg, 'rest message');
    }
  },
  async stop(state) {
    const m = state.metricsServer;
    if (m) await new Promise<void>((r) => (m.close(() => r()), m.closeAllConnections()));
    await new Promise<void>((r) => {
      state.server.close(() => r());
      state.server.closeAllConnections?.();
    });
    await state.deps.producer.close();
  },
});
