// The node: the main thread's owner of the supervisor tree, the dictionary, the command
// dispatcher and the services' instances. Workers reach it as the actor `node`.
import { readFile } from 'node:fs/promises';
import { Interpreter, type RunEnv } from '../protocols/command/interpreter.js';
import { Dictionary } from '../protocols/command/dictionary.js';
import { Dispatcher, type DispatchEnv } from './commands/dispatcher.js';
import { commandTable } from './commands/builtin/index.js';
import { NoSuchActorError, errorMessage } from '../base/errors.js';
import type { Logger, LogRecord, LogSink } from '../base/log.js';
import { createLogger } from '../base/log.js';
import { Supervisor, type RestartType, type StartupPolicy, type SupervisorFlags } from '../runtime/supervisor.js';
import { type NodeApi, type ServiceDescriptor, type ServiceInstance } from './service.js';
import type { ActorMessage, NodeInfo } from '../runtime/wire.js';
import { RingWiring } from './wiring.js';
import { actorAddress, type ActorAddress, type AskMessage, type ReplyOf } from '../runtime/address.js';
import { Connections } from './connections.js';
import { Settings } from './settings.js';
import { Stash } from './stash.js';
import type { NodeIn } from './messages.js';
import { createWorkDirectories, dirDictionary } from './layout.js';
import { DbmsRegistry } from '../storage/registry.js';
import { PeerNetwork } from '../peer/network.js';
import { replyAddress } from '../peer/address.js';
import { Ledger } from '../storage/metadata/ledger.js';
import { NodeMetrics } from './metrics/node-metrics.js';
import { StatusBoard } from './metrics/status.js';
import { answerWorker } from './worker-requests.js';
import { ServiceTable } from './service-table.js';
import { AuthStore } from './auth/store.js';
import { NodePeerAuth } from './auth/peer-auth.js';
import { AUTH_USERS } from './auth/users.js';
import { AUTH_CHECKERS, authNoticeTo } from './notices.js';
import { SharedText } from '../runtime/shared-text.js';

/** UTF-8 bytes of the identity cell: a longer identity is not mirrored (workers then ask the node). */
const IDENTITY_BYTES = 512;

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

export class EdgeNode implements NodeApi {
  name: string;
  readonly root: string;
  readonly dict: Dictionary;
  readonly log: Logger;
  /**
   * `identity()` as the workers may read it without asking (runtime/wire.ts NodeInfo.identity): rewritten, before
   * the change is reported done, whenever the name or the TCP row changes.
   */
  private readonly identityCell = new SharedText(SharedText.allocate(IDENTITY_BYTES));
  readonly connections = new Connections((name) => {
    if (name === 'TCP') this.publishIdentity();
  });
  readonly supervisor: Supervisor;
  readonly wiring: RingWiring;
  readonly interpreter: Interpreter;
  readonly dispatcher: Dispatcher;
  readonly dbms: DbmsRegistry;
  readonly peers: PeerNetwork;
  /** Actor state kept across worker restarts (`node.stash.put`), by actor id. */
  readonly stash = new Stash();
  /** The services' instances and helpers (node/service-table.ts). */
  private readonly table: ServiceTable;
  readonly settings = new Settings();
  private ledger: Ledger | undefined;
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
    this.table = new ServiceTable(this);
    const dirs = dirDictionary(opts.root);
    this.dbms = new DbmsRegistry(dirs['dbms_dir']!, dirs['tmp_dir']!, this.log.child('dbms'));
    const info: NodeInfo = {
      name: opts.name,
      root: opts.root,
      dirs: dirDictionary(opts.root),
      identity: this.identityCell.buffer,
    };
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
    this.table.stopping = true;
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
    return this.table.instances(kind);
  }

  startService(desc: ServiceDescriptor, raw: Record<string, unknown>, env: RunEnv): Promise<ServiceInstance> {
    return this.table.start(desc, raw, env);
  }

  startHelper(serviceId: string, helperId: string): Promise<void> {
    return this.table.startHelper(serviceId, helperId);
  }

  stopService(id: string, reason: string): Promise<boolean> {
    return this.table.stop(id, reason);
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
    this.publishIdentity();
  }

  /**
   * The identity into the cell workers read; none without a TCP server (identity() then falls back to the `ip`
   * dictionary value, which the cell does not follow).
   */
  private publishIdentity(): void {
    this.identityCell.write(this.connections.get('TCP') ? this.identity() : undefined);
  }

  /** Messages that workers send to other actors (or to the node itself). */
  private route(from: string, to: string, msg: ActorMessage): void {
    if (to === 'node') {
      void answerWorker(this, from, msg).catch((err: unknown) =>
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
    if (to === 'node') return answerWorker(this, from, msg);
    return this.ask(actorAddress<ActorMessage>(to), msg, timeoutMs);
  }

  /** The node's start (node.yaml services and commands, or the script) is over: `/readyz` may say ready. */
  startDone(): void {
    this.board.booting = false;
  }

  onProgress(from: string, msg: Extract<NodeIn, { type: 'node.progress' }>): void {
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
    this.table.onChildEvent(id, event);
  }
}
