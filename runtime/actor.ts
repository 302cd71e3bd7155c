// What an actor is: a logic object (XState v5 style) that the host runs in its own worker.
//   init(ctx, cfg)            validates and acquires; its resolution is the `ready` of the handshake
//   handle(state, msg, ctx)   one message at a time; its return value is the reply to an `ask`
//   stop(state, reason)       releases what init acquired
// State changes only in `handle`: socket, timer and database callbacks `ctx.send(ctx.self, ...)`.
import type { Clock } from './clock.js';
import type { Logger } from '../base/log.js';
import type { Ring } from './ring.js';
import type { ActorMessage, NodeInfo } from './wire.js';
import type { ActorAddress, AskMessage, ReplyOf } from './address.js';
import type { ActorMetrics } from './metrics.js';

export interface ActorContext<In extends ActorMessage = ActorMessage> {
  /** This actor's id (e.g. `operator`, `msg-client-1`), typed by its own mailbox. */
  readonly self: ActorAddress<In>;
  readonly kind: string;
  readonly clock: Clock;
  readonly log: Logger;
  /** Aborted when the actor is asked to stop: long operations should listen to it. */
  readonly signal: AbortSignal;
  readonly node: NodeInfo;
  /** Counters, histograms and gauges for the node's `/metrics` (names from node/metrics/catalog.ts). */
  readonly metrics: ActorMetrics;
  /**
   * Fire and forget: `msg` must be a member of `to`'s mailbox. To `self` it is queued locally; to others it is
   * routed by the supervisor.
   */
  send<To extends ActorMessage>(to: ActorAddress<To>, msg: NoInfer<To>): void;
  /**
   * Request/reply with a timeout; the reply's type is the one `to`'s mailbox declares for `msg` (runtime/address.ts).
   * `node` is the node's command dispatcher on the main thread.
   */
  ask<To extends ActorMessage, T extends To['type']>(
    to: ActorAddress<To>,
    msg: AskMessage<To, T>,
    timeoutMs?: number,
  ): Promise<ReplyOf<To, T>>;
  /** Rings given at startup or attached later, by name. */
  ring<T = unknown>(name: string): Ring<T> | undefined;
  ringNames(): string[];
  /** Ends this actor. `normal` is not a crash (a transient child is then not restarted). */
  exit(reason: 'normal' | Error): void;
}

export interface ActorDefinition<Cfg, State, In extends ActorMessage> {
  kind: string;
  /** Validates the raw config handed to the worker; throws ConfigError naming the key. */
  config(raw: unknown): Cfg;
  init(ctx: ActorContext<In>, cfg: Cfg): State | Promise<State>;
  handle(state: State, msg: In, ctx: ActorContext<In>): unknown;
  stop?(state: State, reason: string, ctx: ActorContext<In>): void | Promise<void>;
  /** Called when a ring is attached after start (e.g. a producer that started later). */
  onRing?(state: State, name: string, ctx: ActorContext<In>): void;
}

// Methods (not function properties) are compared bivariantly, so any definition fits here.
export type AnyActorDefinition = ActorDefinition<unknown, unknown, ActorMessage>;

export function defineActor<Cfg, State, In extends ActorMessage>(
  def: ActorDefinition<Cfg, State, In>,
): ActorDefinition<Cfg, State, In> {
  return def;
}
