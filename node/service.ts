// What the node knows about a service before any worker exists: its EdgeLake names, the schema
// of its `run ... where` options (also its node.yaml section), its commands and how it shows in
// `get processes`. Each `actors/<name>/service.ts` exports one; `actors/index.ts` lists them all.
import type { Token } from '../protocols/command/lexer.js';
import type { OptionPair } from '../protocols/command/where.js';
import type { RunEnv } from '../protocols/command/interpreter.js';
import type { Schema } from '../runtime/config/schema.js';
import type { RestartType, StartupPolicy } from '../runtime/supervisor.js';
import type { ActorMessage } from '../runtime/wire.js';
import type { ActorAddress, AskMessage, ReplyOf } from '../runtime/address.js';
import type { Logger } from '../base/log.js';
import type { Dictionary } from '../protocols/command/dictionary.js';
import type { DbmsRegistry } from '../storage/registry.js';
import type { PeerNetwork } from '../peer/network.js';
import type { Ledger } from '../storage/metadata/ledger.js';
import type { Connections } from './connections.js';
import type { Settings } from './settings.js';
import type { NodeMetrics } from './metrics/node-metrics.js';
import type { StatusBoard } from './metrics/status.js';
import type { AuthStore } from './auth/store.js';
import type { NodePeerAuth } from './auth/peer-auth.js';

/**
 * The rows of `get processes`: EdgeLake's, in EdgeLake's order (member_cmd.py `test_active_`, which
 * `get_processes_stat` walks), then edgelake-rt's own services, which EdgeLake does not have.
 */
export const PROCESS_ORDER = [
  'TCP',
  'REST',
  'MCP',
  'Operator',
  'Blockchain Sync',
  'Scheduler',
  'Blobs Archiver',
  'MQTT',
  'MSG Client Pool',
  'MSG Broker',
  'SMTP',
  'Streamer',
  'UNS Streamer',
  'Query Pool',
  'Kafka Consumer',
  'gRPC',
  'PLC Client',
  'Pull Processes',
  'Video Processes',
  'Publisher',
  'Distributor',
  'Consumer',
] as const;

export type ProcessName = (typeof PROCESS_ORDER)[number];

/** A parsed command handed to a handler. */
export interface Invocation {
  /** The command text as received (after `!`-free structural parsing; values are resolved lazily). */
  text: string;
  tokens: Token[];
  /** Tokens after the matched command words (and before `where`). */
  args: Token[];
  /** The `where` clause, if any. */
  where: OptionPair[] | undefined;
  env: RunEnv;
}

/** REST method gating (EdgeLake http_server.py L109-135): GET-only, GET or POST, or POST only. */
export type MethodRule = 'get' | 'any' | 'post';

export interface CommandSpec {
  /** Leading words, lower case. The longest matching entry wins. */
  words: readonly string[];
  method: MethodRule;
  usage: string;
  /** The command reads its own `where` (conditions like `where [k] == v`): `inv.where` stays undefined. */
  rawWhere?: boolean;
  /**
   * Fewest words (its own included) the command needs to be this command (EdgeLake's `words_min`): with fewer,
   * `x = python` is the text "python", not a call.
   */
  minWords?: number;
  run(inv: Invocation, node: NodeApi): Promise<string> | string;
}

export interface ServiceInstance {
  id: string;
  /** `idle`: a `lazy` service's own actor, declared but not started yet (no worker). */
  status: 'idle' | 'starting' | 'running' | 'restarting' | 'stopping' | 'stopped' | 'failed';
  config: Record<string, unknown>;
  restarts: number;
  error?: string;
  threadId?: number;
  mailboxDepth?: number;
  startedAt?: number;
}

/** An actor a service starts beside its own, e.g. the TCP server's command workers (`tcp-worker-1`). */
export interface HelperSpec {
  /** Actor id, unique in the node. */
  id: string;
  desc: ServiceDescriptor;
  config: Record<string, unknown>;
  /** Bytes of a ring of its own from the service's actor to this helper (node/wiring.ts `link`). */
  ringBytes?: number;
  /**
   * Not started with the service: `NodeApi.startHelper` starts it when it is first needed (an idle worker costs
   * 8-14 MB of RSS), or the service's actor asks for it (`node.helper.start`). Its ring, if any, is linked with
   * the service all the same (rings are linked before the service's actor starts), and what is pushed into it
   * before the helper runs waits there.
   */
  onDemand?: boolean;
}

export interface ServiceDescriptor {
  /** Actor kind and default actor id (`operator`, `tcp-server`). */
  kind: string;
  /**
   * The service's own actor starts at its first use (`NodeApi.startHelper(id, id)`), not with the service: until
   * then the instance is listed with status `idle` and no worker runs (an idle worker costs 6-14 MB of RSS).
   * Its helpers must be `onDemand` too.
   */
  lazy?: boolean;
  process: ProcessName;
  /** Words after `run` (`['tcp', 'server']`); alternatives allowed (`['mqtt', 'client']`). */
  run: readonly (readonly string[])[];
  /** Names `exit <name>` accepts. */
  exit: readonly string[];
  /** Key under `services:` in node.yaml. */
  yaml: string;
  schema: Schema<Record<string, unknown>>;
  /** Worker module of the actor; absent while the service is not built yet. */
  entry?: URL;
  /** Why `run` is refused when `entry` is absent. */
  unavailable?: string;
  /** Several instances (`run msg client` twice); ids get a counter. */
  multi?: boolean;
  /** Names of positional `run` arguments (`run tcp server <ip> <port> ...`). */
  positional?: readonly string[];
  /** Defaults that depend on the node (dictionary directories, addresses), applied before validation. */
  defaults?(node: NodeApi): Record<string, unknown>;
  /**
   * Checks the validated options against the machine before any worker starts (a directory that must exist):
   * throws a typed error, which answers the `run` command (or the node.yaml start) and starts nothing.
   */
  check?(config: Record<string, unknown>, node: NodeApi): void | Promise<void>;
  /** The Details column of `get processes`. */
  details?(instances: ServiceInstance[], node: NodeApi): string | Promise<string>;
  /** Extra status text for `get processes` when the service is not running (EdgeLake shows some). */
  idleDetails?: string;
  /**
   * Status for `get processes` when no worker runs, where EdgeLake shows the process running from boot (its
   * system scheduler 0); defaults to `Not declared`.
   */
  idleStatus?: 'Running';
  /**
   * False when the worker runs but EdgeLake would list the process as `Not declared` (every scheduler id exited,
   * its tasks kept): the row then shows that status and no details.
   */
  declared?(instances: ServiceInstance[], node: NodeApi): boolean | Promise<boolean>;
  commands?: readonly CommandSpec[];
  restart?: RestartType;
  shutdownMs?: number;
  startupError?: StartupPolicy;
  /** Messages sent and not yet handled, at most; runtime/worker-options.ts DEFAULT_MAILBOX_CAPACITY when absent. */
  mailboxCapacity?: number;
  /** Rings this service consumes, by producer kinds: the node creates one ring per producer. */
  consumes?: readonly string[];
  /** Called after a successful start (e.g. to record addresses for `get connections`). */
  afterStart?(inst: ServiceInstance, node: NodeApi): void | Promise<void>;
  /**
   * Helper actors, started after the service's actor (rings linked before either starts, so no record waits
   * for a ring) and stopped before it. Each is supervised on its own: a crashed helper restarts alone.
   */
  helpers?(config: Record<string, unknown>, id: string): HelperSpec[];
  /** Called after the service (and its helpers) stopped for good (`exit`), e.g. to drop its `get connections` row. */
  afterStop?(id: string, node: NodeApi): void;
}

/** What command handlers may use on the main thread. */
export interface NodeApi {
  readonly name: string;
  readonly root: string;
  readonly dict: Dictionary;
  readonly log: Logger;
  /** Logical databases (`connect dbms`), with read-only connections for queries. */
  readonly dbms: DbmsRegistry;
  resolve(word: string): string;
  /** Runs another command through the interpreter (assignments `x = <command>`, `if ... then`). */
  command(text: string, env: RunEnv): Promise<string>;
  services(): readonly ServiceDescriptor[];
  service(kind: string): ServiceDescriptor | undefined;
  instances(kind: string): ServiceInstance[];
  startService(desc: ServiceDescriptor, raw: Record<string, unknown>, env: RunEnv): Promise<ServiceInstance>;
  stopService(id: string, reason: string): Promise<boolean>;
  /**
   * Starts the on-demand helper `helperId` (HelperSpec `onDemand`) of the running service `serviceId`, or, with
   * `helperId === serviceId`, the own actor of a `lazy` service; resolves when it runs (at once if it already
   * does). Absent on test stubs.
   */
  startHelper?(serviceId: string, helperId: string): Promise<void>;
  /** Asks a running actor; the reply's type is the one its mailbox declares for `msg` (runtime/address.ts). */
  ask<In extends ActorMessage, T extends In['type']>(
    to: ActorAddress<In>,
    msg: AskMessage<In, T>,
    timeoutMs?: number,
  ): Promise<ReplyOf<In, T>>;
  /** False when no such actor runs or its mailbox is full. */
  send<In extends ActorMessage>(to: ActorAddress<In>, msg: NoInfer<In>): boolean;
  kill(actorId: string): boolean;
  /** `name@ip:port` as EdgeLake's `get status` shows it. */
  identity(): string;
  setName(name: string): void;
  /** Requests to peer nodes and the replies they send back (`run client`); absent on test stubs. */
  readonly peers?: PeerNetwork;
  /** The node's Prometheus metrics (node/metrics/); absent on test stubs. */
  readonly metrics?: NodeMetrics;
  /** Progress, readiness and recent errors (node/metrics/status.ts); absent on test stubs. */
  readonly board?: StatusBoard;
  /** The node's metadata (blockchain.json at `!blockchain_file`, mirrored in LMDB); absent on test stubs. */
  metadata?(): Ledger;
  /** Addresses registered by network services, for `get connections`. */
  readonly connections: Connections;
  requestStop(reason: string): void;
  /** Per-service settings kept for the node's life, whether or not the service runs (node/settings.ts). */
  readonly settings: Settings;
  /** Users, user authentication and the local password (node/auth/store.ts); absent on test stubs. */
  readonly auth?: AuthStore;
  /** Signed peer messages: the node's signer, members and permissions (node/auth/peer-auth.ts); absent on stubs. */
  readonly peerAuth?: NodePeerAuth;
  /** Tells the services that check users or peers what changed (the auth table, whether the node signs). */
  publishAuth?(): void;
}

/** The worker module (`index.ts` beside a service.ts, or `index.js` once compiled). */
export function actorEntry(serviceModuleUrl: string, file = 'index'): URL {
  return new URL(`./${file}${serviceModuleUrl.endsWith('.ts') ? '.ts' : '.js'}`, serviceModuleUrl);
}

/** The running instance of a service kind (the first, for kinds that run several), if any. */
export function runningInstance(node: NodeApi, kind: string): ServiceInstance | undefined {
  return node.instances(kind).find((i) => i.status === 'running');
}

/**
 * The options a service is validated with: its node defaults under the options given, a default left out when
 * the same option is given under another spelling (`blob_dir` for `blobs_dir`), else the schema would see it twice.
 */
export function withNodeDefaults(
  desc: ServiceDescriptor,
  node: NodeApi,
  given: Record<string, unknown>,
): Record<string, unknown> {
  const canon = (k: string): string => desc.schema.aliases[k] ?? k;
  const givenKeys = new Set(Object.keys(given).map(canon));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(desc.defaults?.(node) ?? {})) if (!givenKeys.has(canon(k))) out[k] = v;
  return { ...out, ...given };
}
