// OTP-style supervisor on the main thread.
//
// Child specs and flags are plain data (Erlang's `supervisor`):
//   restart   permanent (always restarted) | transient (only after an abnormal exit) | temporary (never)
//   strategy  one_for_one | one_for_all (restart every child) | rest_for_one (this one and those after it)
//   intensity/period: more than `intensity` restarts within `period` seconds and the supervisor gives
//   up: it stops its children (reverse order) and exits abnormally, which its parent handles like any
//   crashed child (escalation). The root's give-up calls `onGiveUp`; the node then exits non-zero.
// Children start in order and stop in reverse order.
// Startup failure (an error before `ready`) is not a crash: the child's `startupError` policy says
//   error  the start fails (the caller gets the error); during a restart it counts toward intensity
//   retry  up to `startRetries` more attempts with doubling backoff, then as `error`
//   ignore the child is marked failed and left alone (no restart, no escalation)
// so a child whose init always fails never respawns in a loop.
// Supervisor operations run one at a time (an internal queue), so a crash that arrives during a
// restart waits its turn instead of interleaving with it.
import { EscalationError, StartupError, errorMessage } from '../base/errors.js';
import type { Logger } from '../base/log.js';
import { WorkerActor } from './worker-ref.js';
import { DEFAULT_MAILBOX_CAPACITY, type ActorStatus, type ExitInfo, type Router } from './worker-options.js';
import type { NodeInfo } from './wire.js';

export type RestartType = 'permanent' | 'transient' | 'temporary';
export type Strategy = 'one_for_one' | 'one_for_all' | 'rest_for_one';
export type StartupPolicy = 'error' | 'retry' | 'ignore';

export interface SupervisorFlags {
  strategy: Strategy;
  /** Restarts allowed within `period` seconds before giving up. */
  intensity: number;
  period: number;
}

export interface ActorChildSpec {
  id: string;
  /** The actor kind (registry key). */
  kind: string;
  /** URL of the actor definition module. */
  entry: string;
  config: unknown;
  restart: RestartType;
  shutdownMs: number;
  startupError?: StartupPolicy;
  startRetries?: number;
  startTimeoutMs?: number;
  /** Messages sent and not yet handled, at most; runtime/worker-options.ts DEFAULT_MAILBOX_CAPACITY when absent. */
  mailboxCapacity?: number;
  /** Evaluated at every (re)start: rings survive a restart of either end. */
  rings?: () => Record<string, SharedArrayBuffer>;
  clock?: { kind: 'system' } | { kind: 'manual'; start: number };
}

export interface SupervisorChildSpec {
  id: string;
  kind: 'supervisor';
  restart: RestartType;
  shutdownMs?: number;
  flags: SupervisorFlags;
  children: ChildSpec[];
}

export type ChildSpec = ActorChildSpec | SupervisorChildSpec;

export type ChildStatus = ActorStatus | 'restarting';

export interface ChildInfo {
  id: string;
  kind: string;
  status: ChildStatus;
  restarts: number;
  error?: string;
  threadId?: number;
  mailboxDepth?: number;
  startedAt?: number;
  dropped?: number;
}

interface Child {
  spec: ChildSpec;
  ref: WorkerActor | Supervisor | undefined;
  status: ChildStatus;
  restarts: number;
  error: string | undefined;
  /** Bumped at every start, so an exit report from an older incarnation is recognised and ignored. */
  generation: number;
}

export interface SupervisorEnv {
  node: NodeInfo;
  router: Router;
  log: Logger;
  logLevel?: string;
  /** Monotonic milliseconds, for the intensity window (injectable for tests). */
  now?: () => number;
  /** Called after each child start/exit so observers (e.g. ring wiring) can react. */
  onChildEvent?: (ev: { id: string; event: 'started' | 'exited' | 'removed' }) => void;
}

const isSupervisorSpec = (s: ChildSpec): s is SupervisorChildSpec => s.kind === 'supervisor';

export class Supervisor {
  readonly id: string;
  status: ChildStatus = 'starting';
  private readonly children: Child[] = [];
  private restartTimes: number[] = [];
  private ops: Promise<unknown> = Promise.resolve();
  private readonly now: () => number;
  /** Set by a parent supervisor: how this supervisor reports its own abnormal end. */
  onGiveUp: ((err: EscalationError) => void) | undefined;

  constructor(
    id: string,
    readonly flags: SupervisorFlags,
    private readonly env: SupervisorEnv,
    specs: ChildSpec[] = [],
  ) {
    this.id = id;
    this.now = env.now ?? (() => performance.now());
    for (const spec of specs) this.children.push(newChild(spec));
  }

  /** Starts every child in order. A child with `startupError: error` that fails aborts the start. */
  start(): Promise<void> {
    return this.serial(async () => {
      for (const child of this.children) {
        try {
          await this.startChildNow(child);
        } catch (err) {
          await this.stopChildren(this.children.slice(0, this.children.indexOf(child)), 'startup failed');
          this.status = 'failed';
          throw err;
        }
      }
      this.status = 'running';
    });
  }

  /** Adds and starts a child at the end (OTP start_child). Rejects if its start fails under policy `error`. */
  startChild(spec: ChildSpec): Promise<void> {
    return this.serial(async () => {
      if (this.children.some((c) => c.spec.id === spec.id)) throw new StartupError(`child ${spec.id} already exists`);
      const child = newChild(spec);
      this.children.push(child);
      try {
        await this.startChildNow(child);
      } catch (err) {
        this.children.splice(this.children.indexOf(child), 1);
        throw err;
      }
    });
  }

  /** Stops a child and removes it (OTP terminate_child + delete_child). */
  removeChild(id: string, reason = 'removed'): Promise<boolean> {
    return this.serial(async () => {
      const child = this.children.find((c) => c.spec.id === id);
      if (!child) return false;
      await this.stopChild(child, reason);
      this.children.splice(this.children.indexOf(child), 1);
      this.env.onChildEvent?.({ id, event: 'removed' });
      return true;
    });
  }

  /** Stops every child in reverse order. */
  stop(reason = 'shutdown'): Promise<void> {
    return this.serial(async () => {
      this.status = 'stopping';
      await this.stopChildren(this.children, reason);
      this.status = 'stopped';
    });
  }

  has(id: string): boolean {
    return this.children.some((c) => c.spec.id === id);
  }

  /** The running worker of an actor child, searching nested supervisors. */
  actor(id: string): WorkerActor | undefined {
    for (const c of this.children) {
      if (c.ref instanceof WorkerActor && c.spec.id === id) return c.ref;
      if (c.ref instanceof Supervisor) {
        const found = c.ref.actor(id);
        if (found) return found;
      }
    }
    return undefined;
  }

  info(): ChildInfo[] {
    const out: ChildInfo[] = [];
    for (const c of this.children) {
      const i: ChildInfo = { id: c.spec.id, kind: c.spec.kind, status: c.status, restarts: c.restarts };
      if (c.error !== undefined) i.error = c.error;
      if (c.ref instanceof WorkerActor) {
        i.threadId = c.ref.threadId;
        i.mailboxDepth = c.ref.mailboxDepth;
        i.startedAt = c.ref.startedAt;
        i.dropped = c.ref.dropped;
      }
      out.push(i);
      if (c.ref instanceof Supervisor) out.push(...c.ref.info());
    }
    return out;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.ops.then(fn, fn);
    this.ops = run.catch(() => undefined); // the queue goes on; the caller gets the rejection
    return run;
  }

  private async startChildNow(child: Child): Promise<void> {
    const policy = isSupervisorSpec(child.spec) ? 'error' : (child.spec.startupError ?? 'error');
    const retries = policy === 'retry' && !isSupervisorSpec(child.spec) ? (child.spec.startRetries ?? 3) : 0;
    let lastErr: unknown;
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (attempt > 0) await sleep(100 * 2 ** (attempt - 1));
      try {
        await this.spawn(child);
        return;
      } catch (err) {
        lastErr = err;
        this.env.log.warn('child failed to start', {
          child: child.spec.id,
          attempt: attempt + 1,
          error: errorMessage(err),
        });
      }
    }
    child.status = 'failed';
    child.error = errorMessage(lastErr);
    child.ref = undefined;
    if (policy === 'ignore') return;
    throw lastErr instanceof StartupError
      ? lastErr
      : new StartupError(`${child.spec.id}: ${errorMessage(lastErr)}`, { cause: lastErr });
  }

  private async spawn(child: Child): Promise<void> {
    const gen = ++child.generation;
    child.status = 'starting';
    child.error = undefined;
    const spec = child.spec;
    if (isSupervisorSpec(spec)) {
      const sup = new Supervisor(spec.id, spec.flags, this.env, spec.children);
      sup.onGiveUp = (err) => this.onChildExit(child, gen, { normal: false, reason: err.message, error: err });
      child.ref = sup;
      await sup.start();
    } else {
      const ref = new WorkerActor({
        id: spec.id,
        kind: spec.kind,
        entry: spec.entry,
        config: spec.config,
        rings: spec.rings?.() ?? {},
        node: this.env.node,
        router: this.env.router,
        mailboxCapacity: spec.mailboxCapacity ?? DEFAULT_MAILBOX_CAPACITY,
        startTimeoutMs: spec.startTimeoutMs ?? 15_000,
        ...(spec.clock ? { clock: spec.clock } : {}),
        ...(this.env.logLevel ? { logLevel: this.env.logLevel } : {}),
        onExit: (info) => this.onChildExit(child, gen, info),
      });
      child.ref = ref;
      await ref.start();
    }
    child.status = 'running';
    this.env.onChildEvent?.({ id: spec.id, event: 'started' });
  }

  private onChildExit(child: Child, gen: number, info: ExitInfo): void {
    // Stale report (an older incarnation) or an exit we caused while stopping: nothing to do.
    if (gen !== child.generation || child.status === 'stopping' || child.status === 'stopped') return;
    // handleExit handles its own failures; a throw past it (a bug) is logged, never an unhandled rejection.
    this.serial(() => this.handleExit(child, gen, info)).catch((err: unknown) =>
      this.env.log.error('handling a child exit failed', { child: child.spec.id, error: errorMessage(err) }),
    );
  }

  private async handleExit(child: Child, gen: number, info: ExitInfo): Promise<void> {
    if (gen !== child.generation || !this.children.includes(child)) return;
    const spec = child.spec;
    const restart = spec.restart === 'permanent' || (spec.restart === 'transient' && !info.normal);
    child.status = info.normal ? 'stopped' : 'failed';
    child.error = info.normal ? undefined : info.reason;
    this.env.onChildEvent?.({ id: spec.id, event: 'exited' });
    const report = {
      event: 'child.exit',
      supervisor: this.id,
      child: spec.id,
      kind: spec.kind,
      restartType: spec.restart,
      normal: info.normal,
      reason: info.reason,
      ...(info.exitCode !== undefined ? { exitCode: info.exitCode } : {}),
      restarts: child.restarts,
    };
    if (!restart) {
      this.env.log[info.normal ? 'info' : 'error']('child exited', { ...report, action: 'none' });
      if (spec.restart === 'temporary') {
        this.children.splice(this.children.indexOf(child), 1);
        this.env.onChildEvent?.({ id: spec.id, event: 'removed' });
      }
      return;
    }
    if (this.exceedsIntensity()) {
      this.env.log.error('child exited', { ...report, action: 'escalate' });
      await this.giveUp(`${spec.id} exceeded restart intensity ${this.flags.intensity} in ${this.flags.period}s`);
      return;
    }
    this.env.log.error('child exited', { ...report, action: 'restart', strategy: this.flags.strategy });
    const idx = this.children.indexOf(child);
    let group =
      this.flags.strategy === 'one_for_one'
        ? [child]
        : this.flags.strategy === 'one_for_all'
          ? this.children.slice()
          : this.children.slice(idx);
    await this.stopChildren(
      group.filter((c) => c !== child),
      `${spec.id} restarting (${this.flags.strategy})`,
    );
    // OTP: a temporary child is never restarted, not even when a sibling's restart took it down;
    // it is removed like a temporary child that exited.
    for (const c of group) {
      if (c === child || c.spec.restart !== 'temporary') continue;
      this.children.splice(this.children.indexOf(c), 1);
      this.env.onChildEvent?.({ id: c.spec.id, event: 'removed' });
    }
    group = group.filter((c) => this.children.includes(c));
    for (const c of group) {
      c.restarts++;
      c.status = 'restarting';
    }
    for (const c of group) {
      try {
        await this.startChildNow(c);
      } catch (err) {
        // A restart that cannot start counts as another failure of this child.
        const failed = { normal: false, reason: `restart failed: ${errorMessage(err)}` };
        if (this.exceedsIntensity()) {
          this.env.log.error('child exited', { ...report, action: 'escalate', reason: failed.reason });
          await this.giveUp(`${c.spec.id} could not be restarted: ${errorMessage(err)}`);
          return;
        }
        c.status = 'failed';
        c.error = failed.reason;
        this.env.log.error('child restart failed', { supervisor: this.id, child: c.spec.id, reason: failed.reason });
      }
    }
  }

  private exceedsIntensity(): boolean {
    const t = this.now();
    this.restartTimes.push(t);
    const windowStart = t - this.flags.period * 1000;
    this.restartTimes = this.restartTimes.filter((x) => x >= windowStart);
    return this.restartTimes.length > this.flags.intensity;
  }

  private async giveUp(reason: string): Promise<void> {
    this.status = 'stopping';
    await this.stopChildren(this.children, `supervisor ${this.id} giving up`);
    this.status = 'failed';
    const err = new EscalationError(`supervisor ${this.id} gave up: ${reason}`);
    this.env.log.error('supervisor gave up', { event: 'supervisor.give_up', supervisor: this.id, reason });
    this.onGiveUp?.(err);
  }

  private async stopChildren(children: Child[], reason: string): Promise<void> {
    for (const c of children.slice().reverse()) await this.stopChild(c, reason);
  }

  private async stopChild(child: Child, reason: string): Promise<void> {
    const ref = child.ref;
    if (!ref || child.status === 'stopped' || child.status === 'failed') {
      child.status = child.status === 'failed' ? 'failed' : 'stopped';
      return;
    }
    child.status = 'stopping';
    if (ref instanceof Supervisor) await ref.stop(reason);
    else await ref.stop(reason, child.spec.shutdownMs ?? 5000);
    child.status = 'stopped';
  }
}

function newChild(spec: ChildSpec): Child {
  return { spec, ref: undefined, status: 'stopped', restarts: 0, error: undefined, generation: 0 };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
