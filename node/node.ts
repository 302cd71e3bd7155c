// The node: the main thread's owner of the supervisor tree, the dictionary, the command
// dispatcher and the services' instances. Workers reach it as the actor `node`.
import { readFile } from 'node:fs/promises';
import { Interpreter, ScriptError, type RunEnv } from '../protocols/command/interpreter.js';
import { Dictionary } from '../protocols/command/dictionary.js';
import { Dispatcher, type DispatchEnv } from './commands/dispatcher.js';
import { commandTable } from './commands/builtin/index.js';
import { CommandError, EdgeRtError, NoSuchActorError, errorMessage } from '../base/errors.js';
import type { Logger, LogRecord, LogSink } from '../base/log.js';
import { createLogger } from '../base/log.js';
import {
  Supervisor,
  type ActorChildSpec,
  type RestartType,
  type StartupPolicy,
  type SupervisorFlags,
} from '../runtime/supervisor.js';
import { withNodeDefaults, type NodeApi, type ServiceDescriptor, type ServiceInstance } from './service.js';
import type { ActorMessage, NodeInfo } from '../runtime/wire.js';
import { RingWiring } from './wiring.js';
import { actorAddress, type ActorAddress, type AskMessage, type ReplyOf } from '../runtime/address.js';
import { Connections } from './connections.js';
import { Settings } from './settings.js';
import { Stash } from './stash.js';
import type { MetadataInfo, NodeIdentity, NodeIn } from './messages.js';
import { createWorkDirectories, dirDictionary } from './layout.js';
import { DbmsRegistry } from '../storage/registry.js';
import { PeerNetwork } from '../peer/network.js';
import { replyAddress } from '../peer/address.js';
import { Ledger } from '../storage/metadata/ledger.js';
import { insertPolicy, policyFrom } from './commands/builtin/blockchain.js';
import { ledgerFromTable } from './commands/builtin/tables.js';
import { jsonDumps } from '../protocols/policy/pyrepr.js';
import { Status } from '../base/status.js';
import { NodeMetrics } from './metrics/node-metrics.js';
import { StatusBoard } from './metrics/status.js';
import { runQuery } from './query.js';
import { AuthStore } from './auth/store.js';
import { NodePeerAuth } from './auth/peer-auth.js';
import { AUTH_USERS } from './auth/users.js';
import { AUTH_CHECKERS, authNoticeTo } from './notices.js';

export interface NodeOptions {
  name: string;
  root: string;
  /** The address EdgeLake calls `!ip` (and `!external_ip`). */
  ip: string;
  services: readonly ServiceDescriptor[];
  supervisor: SupervisorFlags;
  /** Per-service restart type overrides (node.yaml `supervisor.restart`). */
  restart?: Record<string, RestartType>;
  /** Per-service startup policy overrides (node.yaml `supervisor.startup_error`). */
  startupError?: Record<string, StartupPolicy>;
  logSink: LogSink;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** Console output of scripts (`print`, command replies inside scripts). */
  output?: (text: string) => void;
  /** Actor clocks (tests drive schedulers with a manual clock). */
  actorClock?: { kind: 'system' } | { kind: 'manual'; start: number };
  /** Called when the node must end (root supervisor gave up, `exit node`, `stop`). */
  onStop?: (reason: string, exitCode: number) => void;
}

interface Instance {
  desc: ServiceDescriptor;
  id: string;
  config: Record<string, unknown>;
  /** Set on a helper actor: the id of the service instance that started it. */
  helperOf?: string;
  /** A `lazy` service whose own actor has not been started yet (startHelper(id, id) starts it). */
  idle?: boolean;
}

export class EdgeNode implements NodeApi {
  name: string;
  readonly root: string;
  readonly dict: Dictionary;
  readonly log: Logger;
  readonly connections = new Connections();
  readonly supervisor: Supervisor;
  readonly wiring: RingWiring;
  readonly interpreter: Interpreter;
  readonly dispatcher: Dispatcher;
  readonly dbms: DbmsRegistry;
  readonly peers: PeerNetwork;
  private readonly instancesById = new Map<string, Instance>();
  private readonly counters = new Map<string, number>();
  /** On-demand helpers being started (startHelper), by id: a second caller waits for the same start. */
  private readonly helperStarts = new Map<string, Promise<void>>();
  /** Actor state kept across worker restarts (`node.stash.put`), by actor id. */
  private readonly stash = new Stash();
  readonly settings = new Settings();
  private ledger: Ledger | undefined;
  private stopping = false;
  /** `/metrics`: counters kept here outlive the workers that report them. */
  readonly metrics: NodeMetrics;
  /** `/readyz` and `/status`: recent errors, progress, ingest rates. */
  readonly board: StatusBoard;
  /** Progress log lines: at most one a second per task (the first and the last always). */
  private readonly progressLogged = new Map<string, number>();
  /** Users, user authentication, the local password and sealed secrets (node/auth/store.ts). */
  readonly auth: AuthStore;
  readonly peerAuth: NodePeerAuth;

  constructor(readonly opts: NodeOptions) {
    this.name = opts.name;
    this.root = opts.root;
    this.metrics = new NodeMetrics({
      children: () => this.supervisor.info(),
      capacity: (id) => this.supervisor.actor(id)?.capacity,
      rings: () => this.wiring.stats(),
    });
    this.board = new StatusBoard(this.metrics);
    const sink = opts.logSink;
    // Every record passes the status board on its way out (recent warnings and errors for `/status`).
    const logSink: LogSink = (rec) => {
      this.board.onLog(rec);
      sink(rec);
    };
    this.log = createLogger('node', logSink, opts.logLevel ?? 'info');
    this.dict = new Dictionary({
      ...dirDictionary(opts.root),
      node_name: opts.name,
      ip: opts.ip,
      external_ip: opts.ip,
    });
    this.wiring = new RingWiring(() => opts.services);
    const dirs = dirDictionary(opts.root);
    this.dbms = new DbmsRegistry(dirs['dbms_dir']!, dirs['tmp_dir']!, this.log.child('dbms'));
    const info: NodeInfo = { name: opts.name, root: opts.root, dirs: dirDictionary(opts.root) };
    this.supervisor = new Supervisor('root', opts.supervisor, {
      node: info,
      log: this.log.child('supervisor'),
      logLevel: opts.logLevel ?? 'info',
      router: {
        send: (from, to, msg) => this.route(from, to, msg),
        ask: (from, to, msg, timeoutMs) => this.routeAsk(from, to, msg, timeoutMs),
        log: (rec: LogRecord) => logSink(rec),
        metrics: (_from, reports) => this.metrics.apply(reports),
      },
      onChildEvent: (ev) => this.onChildEvent(ev.id, ev.event),
    });
    this.supervisor.onGiveUp = (err) => {
      this.log.error('root supervisor gave up: the node stops', { error: err.message });
      this.requestStop(err.message, 1);
    };
    this.dispatcher = new Dispatcher(commandTable(opts.services));
    this.peerAuth = new NodePeerAuth(
      () => this.metadata(),
      () => this.publishAuth(),
      (reason) => this.metrics.counter('edgelake_rt_peer_messages_refused_total').inc({ reason }),
    );
    this.auth = new AuthStore(dirs['state_dir']!, () => this.publishAuth());
    this.peers = new PeerNetwork({
      log: this.log.child('peers'),
      output: (text) => (opts.output ?? (() => undefined))(text),
      replyAddress: (peerIp) => replyAddress(this.connections.get('TCP'), peerIp),
      signer: () => this.peerAuth.messageSigner,
      // Node authentication on: answers come through the TCP server, which checks them (peer/network.ts duplex).
      duplex: () => !(this.settings.get(AUTH_USERS)?.peers.enabled ?? false),
      onOutcome: (peer, outcome, seconds) => {
        this.metrics.counter('edgelake_rt_peer_requests_total').inc({ peer, outcome });
        if (outcome !== 'timeout')
          this.metrics.histogram('edgelake_rt_peer_round_trip_seconds').observe({ peer }, seconds);
      },
    });
    this.interpreter = new Interpreter({
      run: (text, env) => {
        // A signed peer's permissions cover each command its message runs, not only the text it sent: `get = exit
        // node` starts with `get` and runs `exit node` (assignment, `if .. then`, `process` lines).
        const e = env as DispatchEnv;
        if (e.signer !== undefined) this.peerAuth.permit(e.signer, text);
        return this.dispatcher.run(text, e, this);
      },
      resolve: (w) => this.dict.resolveWord(w),
      readFile: (p) => readFile(p, 'utf8'),
      output: opts.output ?? (() => undefined),
      sleep: (ms, signal) =>
        new Promise((resolve) => {
          const t = setTimeout(resolve, ms);
          signal?.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
        }),
      spawnScript: (path) => {
        void this.interpreter
          .processFile(path, { source: 'thread' })
          .catch((err: unknown) => this.log.error('background script failed', { path, error: errorMessage(err) }));
      },
    });
  }

  /** The auth table and whether the node signs, to the settings and the services that check (auth.users). */
  publishAuth(): void {
    const table = { ...this.auth.table(), signing: this.peerAuth.signing };
    this.settings.set(AUTH_USERS, table);
    for (const id of AUTH_CHECKERS) this.send(authNoticeTo(id), { type: 'auth.users', table });
  }

  async start(): Promise<void> {
    createWorkDirectories(this.root);
    this.board.start();
    // Before any service starts: a node that had user authentication on comes back with it on.
    this.auth.load();
    await this.supervisor.start();
  }

  async stop(reason = 'shutdown'): Promise<void> {
    this.stopping = true;
    this.board.stop();
    this.peers.close();
    await this.supervisor.stop(reason);
    await this.dbms.closeAll();
    await this.ledger?.close();
    this.ledger = undefined;
  }

  /** The metadata of `!blockchain_file` (opened on first use, again when `set anylog home` moved it). */
  metadata(): Ledger {
    const file = this.dict.get('blockchain_file') || dirDictionary(this.root)['blockchain_file']!;
    if (this.ledger?.file !== file) {
      const old = this.ledger;
      this.ledger = Ledger.open(file);
      void old?.close().catch((err: unknown) => this.log.warn('metadata close failed', { error: errorMessage(err) }));
    }
    return this.ledger;
  }

  requestStop(reason: string, exitCode = 0): void {
    this.opts.onStop?.(reason, exitCode);
  }

  resolve(word: string): string {
    return this.dict.resolveWord(word);
  }

  command(text: string, env: RunEnv): Promise<string> {
    return this.interpreter.command(text, env);
  }

  services(): readonly ServiceDescriptor[] {
    return this.opts.services;
  }

  service(kind: string): ServiceDescriptor | undefined {
    return this.opts.services.find((s) => s.kind === kind);
  }

  instances(kind: string): ServiceInstance[] {
    const infos = new Map(this.supervisor.info().map((i) => [i.id, i]));
    const out: ServiceInstance[] = [];
    for (const inst of this.instancesById.values()) {
      if (inst.desc.kind !== kind) continue;
      const i = infos.get(inst.id);
      if (!i) {
        if (inst.idle) out.push({ id: inst.id, status: 'idle', config: inst.config, restarts: 0 });
        // A lazy service's first start, before the supervisor lists the child: still the service's instance.
        else if (inst.helperOf === undefined && this.helperStarts.has(inst.id))
          out.push({ id: inst.id, status: 'starting', config: inst.config, restarts: 0 });
        continue;
      }
      const si: ServiceInstance = { id: inst.id, status: i.status, config: inst.config, restarts: i.restarts };
      if (i.error !== undefined) si.error = i.error;
      if (i.threadId !== undefined) si.threadId = i.threadId;
      if (i.mailboxDepth !== undefined) si.mailboxDepth = i.mailboxDepth;
      if (i.startedAt !== undefined) si.startedAt = i.startedAt;
      out.push(si);
    }
    return out;
  }

  async startService(desc: ServiceDescriptor, raw: Record<string, unknown>, env: RunEnv): Promise<ServiceInstance> {
    if (!desc.entry)
      throw new CommandError(`run ${desc.run[0]!.join(' ')}: ${desc.unavailable ?? 'not available'}`, {
        code: Status.CommandStructure,
      });
    if (this.stopping) throw new CommandError('the node is stopping', { code: Status.CommandStructure });
    let id = desc.kind;
    // A single-instance service left Failed by its `ignore` startup policy is replaced by a new `run`.
    const stale = this.instancesById.get(id);
    if (!desc.multi && stale && this.instances(desc.kind).find((i) => i.id === id)?.status === 'failed')
      await this.stopService(id, 'replaced by a new run');
    if (desc.multi) {
      const n = (this.counters.get(desc.kind) ?? 0) + 1;
      this.counters.set(desc.kind, n);
      id = `${desc.kind}-${n}`;
    } else if (this.instancesById.has(id)) {
      throw new CommandError(`${desc.process} is already running (use 'exit ${desc.exit[0]}' first)`, {
        code: Status.ProcessAlreadyRunning,
      });
    }
    const config = desc.schema.parse(withNodeDefaults(desc, this, raw), `run ${desc.run[0]!.join(' ')}`);
    // Settings the worker could only fail on (a missing directory) are refused here, before any worker exists.
    try {
      await desc.check?.(config, this);
    } catch (err) {
      throw new CommandError(`${desc.process} cannot start: ${errorMessage(err)}`, {
        code: err instanceof EdgeRtError && err.code !== undefined ? err.code : Status.CommandStructure,
        cause: err,
      });
    }
    // On-demand helpers start later, when first needed (startHelper).
    const helpers = (desc.helpers?.(config, id) ?? []).filter((h) => !h.onDemand);
    if (desc.lazy) {
      if (helpers.length > 0)
        throw new CommandError(`${desc.process}: a lazy service's helpers must be on demand`, {
          code: Status.CommandStructure,
        });
      this.instancesById.set(id, { desc, id, config, idle: true });
      this.log.info('service declared, its worker starts at first use', { service: desc.process, id, env: env.source });
      const idle = this.instances(desc.kind).find((i) => i.id === id)!;
      await desc.afterStart?.(idle, this);
      return idle;
    }
    // Links first: the service's actor finds its helpers' rings at init, and records pushed before a helper is
    // up wait in its ring.
    for (const h of helpers) if (h.ringBytes !== undefined) this.wiring.link(id, h.id, h.ringBytes);
    try {
      await this.spawnActor(desc, id, config);
    } catch (err) {
      this.wiring.unlink(id);
      throw new CommandError(`${desc.process} failed to start: ${errorMessage(err)}`, {
        code: Status.CommandStructure,
        cause: err,
      });
    }
    for (const h of helpers) {
      try {
        await this.spawnActor(h.desc, h.id, h.config, id);
      } catch (err) {
        await this.stopService(id, `helper ${h.id} failed to start`);
        throw new CommandError(`${desc.process} failed to start ${h.id}: ${errorMessage(err)}`, {
          code: Status.CommandStructure,
          cause: err,
        });
      }
    }
    const started = this.instances(desc.kind).find((i) => i.id === id);
    if (started?.status === 'failed') {
      // `ignore` startup policy: the supervisor keeps it listed as Failed (`get processes` shows why), but the
      // command that asked for it is answered with the error.
      throw new CommandError(`${desc.process} failed to start: ${started.error ?? 'unknown error'}`, {
        code: Status.CommandStructure,
      });
    }
    const extra = helpers.length > 0 ? { helpers: helpers.length } : {};
    this.log.info('service started', { service: desc.process, id, env: env.source, ...extra });
    const inst = this.instances(desc.kind).find((i) => i.id === id)!;
    await desc.afterStart?.(inst, this);
    return inst;
  }

  /** Adds one actor to the root supervisor. Throws what the supervisor throws (the instance is then forgotten). */
  private async spawnActor(
    desc: ServiceDescriptor,
    id: string,
    config: Record<string, unknown>,
    helperOf?: string,
  ): Promise<void> {
    const spec: ActorChildSpec = {
      id,
      kind: desc.kind,
      entry: desc.entry!.href,
      config,
      restart: this.opts.restart?.[desc.yaml] ?? this.opts.restart?.[desc.kind] ?? desc.restart ?? 'permanent',
      shutdownMs: desc.shutdownMs ?? 5000,
      startupError:
        this.opts.startupError?.[desc.yaml] ?? this.opts.startupError?.[desc.kind] ?? desc.startupError ?? 'error',
      mailboxCapacity: desc.mailboxCapacity ?? 1024,
      rings: () => this.wiring.ringsFor(id, desc.kind),
      ...(this.opts.actorClock ? { clock: this.opts.actorClock } : {}),
    };
    this.instancesById.set(id, helperOf === undefined ? { desc, id, config } : { desc, id, config, helperOf });
    try {
      await this.supervisor.startChild(spec);
    } catch (err) {
      this.instancesById.delete(id);
      throw err;
    }
  }

  async startHelper(serviceId: string, helperId: string): Promise<void> {
    const pending = this.helperStarts.get(helperId);
    if (pending) return pending;
    const service = this.instancesById.get(serviceId);
    if (!service || service.helperOf !== undefined)
      throw new CommandError(`${serviceId} is not running`, { code: Status.ProcessFailure, retriable: true });
    if (helperId === serviceId) return this.startIdle(service);
    if (this.instancesById.has(helperId)) return;
    const spec = service.desc.helpers?.(service.config, serviceId).find((h) => h.id === helperId && h.onDemand);
    if (!spec)
      throw new CommandError(`${serviceId} has no on-demand helper ${helperId}`, { code: Status.CommandStructure });
    // spawnActor records the helper at once (before its worker runs), so a stopService from now on stops it too
    // (the supervisor orders the start before the removal).
    const start = this.spawnActor(spec.desc, spec.id, spec.config, serviceId).finally(() =>
      this.helperStarts.delete(helperId),
    );
    this.helperStarts.set(helperId, start);
    await start;
    this.log.info('helper started on demand', { service: service.desc.process, id: helperId });
  }

  /** Starts the own actor of a `lazy` service (startHelper(id, id)); a second caller waits for the same start. */
  private async startIdle(service: Instance): Promise<void> {
    // A start under way first: spawnActor records the instance (no longer idle) before its worker runs.
    const pending = this.helperStarts.get(service.id);
    if (pending) return pending;
    if (!service.idle) return;
    const start = this.spawnActor(service.desc, service.id, service.config)
      .then(() => {
        // spawnActor recorded a new instance under the same id; the service is no longer idle.
        this.log.info('service worker started at first use', { service: service.desc.process, id: service.id });
      })
      .catch((err: unknown) => {
        // spawnActor forgot the instance: the service stays declared (idle), and the next use tries again.
        this.instancesById.set(service.id, service);
        throw err;
      })
      .finally(() => this.helperStarts.delete(service.id));
    this.helperStarts.set(service.id, start);
    await start;
  }

  async stopService(id: string, reason: string): Promise<boolean> {
    const inst = this.instancesById.get(id);
    if (!inst) return false;
    if (inst.idle) {
      // Its first start may be under way: wait until it settled (its caller gets its error), then stop what it
      // started, or forget the declared service if it never started.
      const starting = this.helperStarts.get(id);
      if (starting) await Promise.allSettled([starting]);
      if (this.instancesById.get(id)?.idle) {
        this.instancesById.delete(id);
        this.stash.drop(id);
        inst.desc.afterStop?.(id, this);
        return true;
      }
    }
    // Helpers first (reverse start order): they consume what the service's actor produces.
    const helpers = [...this.instancesById.values()].filter((i) => i.helperOf === id).reverse();
    for (const h of helpers) {
      await this.supervisor.removeChild(h.id, reason);
      this.instancesById.delete(h.id);
      this.stash.drop(h.id);
    }
    const removed = await this.supervisor.removeChild(id, reason);
    this.instancesById.delete(id);
    this.stash.drop(id);
    this.wiring.unlink(id);
    inst.desc.afterStop?.(id, this);
    return removed;
  }

  ask<In extends ActorMessage, T extends In['type']>(
    to: ActorAddress<In>,
    msg: AskMessage<In, T>,
    timeoutMs = 10_000,
  ): Promise<ReplyOf<In, T>> {
    const ref = this.supervisor.actor(to);
    if (!ref) return Promise.reject(new NoSuchActorError(`no running actor '${to}'`));
    // The worker answers with what its handler returned: the type its mailbox declares (runtime/address.ts).
    return ref.ask<ReplyOf<In, T>>(msg, timeoutMs);
  }

  send<In extends ActorMessage>(to: ActorAddress<In>, msg: NoInfer<In>): boolean {
    return this.supervisor.actor(to)?.send(msg) ?? false;
  }

  kill(actorId: string): boolean {
    const ref = this.supervisor.actor(actorId);
    if (!ref) return false;
    ref.kill();
    return true;
  }

  identity(): string {
    const tcp = this.connections.get('TCP');
    const addr = tcp ? tcp.external : (this.dict.get('ip') ?? '127.0.0.1');
    return `${this.name}@${addr}`;
  }

  setName(name: string): void {
    this.name = name;
    this.dict.set('node_name', name);
  }

  /** Messages that workers send to other actors (or to the node itself). */
  private route(from: string, to: string, msg: ActorMessage): void {
    if (to === 'node') {
      void this.handleNodeMessage(from, msg).catch((err: unknown) =>
        this.log.warn('node message failed', { from, type: msg.type, error: errorMessage(err) }),
      );
      return;
    }
    const ref = this.supervisor.actor(to);
    if (!ref || !ref.send(msg)) {
      if (ref) ref.dropped++;
      this.metrics.counter('edgelake_rt_dead_letters_total').inc({ to, reason: ref ? 'mailbox_full' : 'no_actor' });
      this.log.warn('routed message dropped', {
        from,
        to,
        type: msg.type,
        reason: ref ? 'mailbox full' : 'no such actor',
      });
    }
  }

  private routeAsk(from: string, to: string, msg: ActorMessage, timeoutMs: number): Promise<unknown> {
    if (to === 'node') return this.handleNodeMessage(from, msg);
    return this.ask(actorAddress<ActorMessage>(to), msg, timeoutMs);
  }

  /** The node's own mailbox: what workers may ask the main thread. */
  private async handleNodeMessage(from: string, raw: ActorMessage): Promise<unknown> {
    const msg = raw as NodeIn;
    switch (msg.type) {
      case 'node.command': {
        const env: DispatchEnv = { source: typeof msg.source === 'string' ? msg.source : from };
        if (msg.method === 'GET' || msg.method === 'POST') env.method = msg.method;
        if (msg.peer) env.peer = { ip: String(msg.peer.ip), port: Number(msg.peer.port) };
        const text = String(msg.text ?? '');
        // A signed peer's command (node authentication on): its key's permissions first (node/auth/peer-auth.ts).
        if (typeof msg.signer === 'string') {
          this.peerAuth.permit(msg.signer, text);
          env.signer = msg.signer;
        }
        // Only the REST server and the TCP workers send commands from outside; each says which it is.
        const via = msg.via ?? (msg.peer ? 'peer' : undefined);
        if (via === 'rest' || via === 'peer') env.via = via;
        if (msg.user) env.user = { name: String(msg.user.name), type: msg.user.type === 'admin' ? 'admin' : 'user' };
        if (typeof msg.inner === 'string') {
          // EdgeLake gates the command the `destination` header carries, then sends it (http_server.py L931-1080).
          if (env.method) this.dispatcher.checkMethod(msg.inner, env.method);
          env.method = 'POST';
        } else if (env.method === 'GET') this.dispatcher.checkMethod(text, 'GET');
        try {
          return await this.interpreter.command(text, env);
        } catch (err) {
          // A remote caller learns where a script ended, not the line: that is the file's content.
          if (
            err instanceof ScriptError &&
            err.location !== undefined &&
            (env.via !== undefined || /^(rest|tcp) /.test(env.source))
          )
            throw new CommandError(`Script terminated on ${err.location}`, {
              code: err.code ?? Status.CommandStructure,
            });
          throw err;
        }
      }
      case 'node.peer.reply':
        // A signed answer (node authentication on) counts only from a member's key; its signature was checked.
        if (msg.reply.signer !== undefined && !this.peerAuth.isMember(msg.reply.signer)) {
          this.peerAuth.refuse('unknown_key');
          this.log.warn('signed peer answer from a key of no member: dropped', { peer: msg.reply.peerIp });
          return undefined;
        }
        this.peers.deliver(msg.reply);
        return undefined;
      case 'node.peer.permit':
        this.peerAuth.permit(msg.key, msg.command, msg.dbms, msg.table);
        return undefined;
      case 'node.peer.sign':
        if (msg.digest === null) return this.peerAuth.signing ? new Uint8Array(0) : null;
        // The segment names where the message goes (peer/sign.ts): a digest without it cannot be signed.
        if (typeof msg.dest !== 'string') throw new CommandError('node.peer.sign: a digest without its destination');
        return this.peerAuth.sign(msg.digest, msg.dest) ?? null;
      case 'node.peer.failed':
        this.peers.fail(msg.jobId, msg.receiverId, String(msg.peerIp), msg.reason);
        return undefined;
      case 'node.dict.get':
        return this.dict.get(String(msg.name ?? '')) ?? '';
      case 'node.identity':
        return {
          name: this.name,
          identity: this.identity(),
          connections: this.connections.list(),
        } satisfies NodeIdentity;
      case 'node.stash.put':
        this.stash.put(from, msg.value);
        return undefined;
      case 'node.stash.get':
        return this.stash.get(from);
      case 'node.settings.get':
        return this.settings.byName(msg.name);
      case 'node.policy.insert': {
        const r = await insertPolicy(
          this,
          policyFrom(String(msg.policy), this, `${from}: blockchain insert`),
          true,
          msg.master ? [msg.master] : [],
        );
        return jsonDumps(r.stored);
      }
      case 'node.metadata.info': {
        const l = this.metadata();
        return { file: l.file, version: l.version(), syncHash: l.syncHash() } satisfies MetadataInfo;
      }
      case 'node.ledger.from-dbms':
        return ledgerFromTable(this, msg.seen);
      case 'node.dbms.list':
        return this.dbms.list();
      case 'node.metrics':
        return this.metrics.text();
      case 'node.ready':
        return this.board.readiness(this.supervisor.info());
      case 'node.status':
        return this.board.snapshot(this.name, this.supervisor.info());
      case 'node.progress':
        this.onProgress(from, msg);
        return undefined;
      case 'node.query':
        return runQuery(
          this,
          msg.timeoutMs === undefined
            ? { dbms: msg.dbms, sql: msg.sql }
            : { dbms: msg.dbms, sql: msg.sql, timeoutMs: msg.timeoutMs },
        );
      default:
        throw new CommandError(`node: unknown message type '${(raw as ActorMessage).type}' from ${from}`, {
          code: Status.CommandStructure,
        });
    }
  }

  /** The node's start (node.yaml services and commands, or the script) is over: `/readyz` may say ready. */
  startDone(): void {
    this.board.booting = false;
  }

  private onProgress(from: string, msg: Extract<NodeIn, { type: 'node.progress' }>): void {
    const p = this.board.onProgress(from, msg);
    const now = Date.now();
    const last = this.progressLogged.get(p.task);
    if (last !== undefined && !p.finished && now - last < 1000) return;
    this.progressLogged.set(p.task, now);
    if (p.finished) this.progressLogged.delete(p.task);
    this.log.info(p.finished ? 'progress: done' : 'progress', {
      task: p.task,
      done: p.done,
      total: p.total,
      unit: p.unit,
      rate: Math.round(p.rate),
    });
  }

  private onChildEvent(id: string, event: 'started' | 'exited' | 'removed'): void {
    const inst = this.instancesById.get(id);
    if (!inst) return;
    if (event === 'removed') {
      this.instancesById.delete(id);
      return;
    }
    if (event !== 'started') return;
    for (const { consumerKind, sab } of this.wiring.newProducerRings(id, inst.desc.kind)) {
      for (const c of this.instancesById.values()) {
        if (c.desc.kind === consumerKind) this.supervisor.actor(c.id)?.attachRing(id, sab);
      }
    }
  }
}
