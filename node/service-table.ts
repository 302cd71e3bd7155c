// The node's service instances: what `run <service>` started (one actor each, or several for a multi-instance
// service), their helpers (started with the service, or on demand) and lazy services (declared, started at first
// use). Starts are checked before any worker exists; stops take helpers first, in reverse start order.
import { CommandError, EdgeRtError, errorMessage } from '../base/errors.js';
import type { RunEnv } from '../protocols/command/interpreter.js';
import type { ActorChildSpec } from '../runtime/supervisor.js';
import { DEFAULT_MAILBOX_CAPACITY } from '../runtime/worker-options.js';
import { withNodeDefaults, type ServiceDescriptor, type ServiceInstance } from './service.js';
import { Status } from '../base/status.js';
import type { EdgeNode } from './node.js';

interface Instance {
  desc: ServiceDescriptor;
  id: string;
  config: Record<string, unknown>;
  /** Set on a helper actor: the id of the service instance that started it. */
  helperOf?: string;
  /** A `lazy` service whose own actor has not been started yet (startHelper(id, id) starts it). */
  idle?: boolean;
}

export class ServiceTable {
  private readonly instancesById = new Map<string, Instance>();
  private readonly counters = new Map<string, number>();
  /** On-demand helpers being started (startHelper), by id: a second caller waits for the same start. */
  private readonly helperStarts = new Map<string, Promise<void>>();
  /** Set when the node stops: no new service starts. */
  stopping = false;

  constructor(private readonly node: EdgeNode) {}

  instances(kind: string): ServiceInstance[] {
    const infos = new Map(this.node.supervisor.info().map((i) => [i.id, i]));
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

  async start(desc: ServiceDescriptor, raw: Record<string, unknown>, env: RunEnv): Promise<ServiceInstance> {
    if (!desc.entry)
      throw new CommandError(`run ${desc.run[0]!.join(' ')}: ${desc.unavailable ?? 'not available'}`, {
        code: Status.CommandStructure,
      });
    if (this.stopping) throw new CommandError('the node is stopping', { code: Status.CommandStructure });
    let id = desc.kind;
    // A single-instance service left Failed by its `ignore` startup policy is replaced by a new `run`.
    const stale = this.instancesById.get(id);
    if (!desc.multi && stale && this.instances(desc.kind).find((i) => i.id === id)?.status === 'failed')
      await this.stop(id, 'replaced by a new run');
    if (desc.multi) {
      const n = (this.counters.get(desc.kind) ?? 0) + 1;
      this.counters.set(desc.kind, n);
      id = `${desc.kind}-${n}`;
    } else if (this.instancesById.has(id)) {
      throw new CommandError(`${desc.process} is already running (use 'exit ${desc.exit[0]}' first)`, {
        code: Status.ProcessAlreadyRunning,
      });
    }
    const config = desc.schema.parse(withNodeDefaults(desc, this.node, raw), `run ${desc.run[0]!.join(' ')}`);
    // Settings the worker could only fail on (a missing directory) are refused here, before any worker exists.
    try {
      await desc.check?.(config, this.node);
    } catch (err) {
      throw new CommandError(`${desc.process} cannot start: ${errorMessage(err)}`, {
        code: err instanceof EdgeRtError && err.code !== undefined ? err.code : Status.CommandStructure,
        cause: err,
      });
    }
    // On-demand helpers start later, when first needed (startHelper); their rings are linked now all the same.
    const all = desc.helpers?.(config, id) ?? [];
    const helpers = all.filter((h) => !h.onDemand);
    if (desc.lazy) {
      if (helpers.length > 0)
        throw new CommandError(`${desc.process}: a lazy service's helpers must be on demand`, {
          code: Status.CommandStructure,
        });
      this.instancesById.set(id, { desc, id, config, idle: true });
      this.node.log.info('service declared, its worker starts at first use', {
        service: desc.process,
        id,
        env: env.source,
      });
      const idle = this.instances(desc.kind).find((i) => i.id === id)!;
      await desc.afterStart?.(idle, this.node);
      return idle;
    }
    // Links first: the service's actor finds its helpers' rings at init, and records pushed before a helper is
    // up wait in its ring.
    for (const h of all) if (h.ringBytes !== undefined) this.node.wiring.link(id, h.id, h.ringBytes);
    try {
      await this.spawnActor(desc, id, config);
    } catch (err) {
      this.node.wiring.unlink(id);
      throw new CommandError(`${desc.process} failed to start: ${errorMessage(err)}`, {
        code: Status.CommandStructure,
        cause: err,
      });
    }
    for (const h of helpers) {
      try {
        await this.spawnActor(h.desc, h.id, h.config, id);
      } catch (err) {
        await this.stop(id, `helper ${h.id} failed to start`);
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
    this.node.log.info('service started', { service: desc.process, id, env: env.source, ...extra });
    const inst = this.instances(desc.kind).find((i) => i.id === id)!;
    await desc.afterStart?.(inst, this.node);
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
      restart:
        this.node.opts.restart?.[desc.yaml] ?? this.node.opts.restart?.[desc.kind] ?? desc.restart ?? 'permanent',
      shutdownMs: desc.shutdownMs ?? 5000,
      startupError:
        this.node.opts.startupError?.[desc.yaml] ??
        this.node.opts.startupError?.[desc.kind] ??
        desc.startupError ??
        'error',
      mailboxCapacity: desc.mailboxCapacity ?? DEFAULT_MAILBOX_CAPACITY,
      rings: () => this.node.wiring.ringsFor(id, desc.kind),
      ...(this.node.opts.actorClock ? { clock: this.node.opts.actorClock } : {}),
    };
    this.instancesById.set(id, helperOf === undefined ? { desc, id, config } : { desc, id, config, helperOf });
    try {
      await this.node.supervisor.startChild(spec);
    } catch (err) {
      this.instancesById.delete(id);
      throw err;
    }
  }

  async startHelper(serviceId: string, helperId: string): Promise<void> {
    const pending = this.helperStarts.get(helperId);
    if (pending) return pending;
    // A worker's request (`node.helper.start`) may arrive while the node stops its services.
    if (this.stopping) throw new CommandError('the node is stopping', { code: Status.ProcessFailure });
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
    this.node.log.info('helper started on demand', { service: service.desc.process, id: helperId });
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
        this.node.log.info('service worker started at first use', { service: service.desc.process, id: service.id });
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

  async stop(id: string, reason: string): Promise<boolean> {
    const inst = this.instancesById.get(id);
    if (!inst) return false;
    if (inst.idle) {
      // Its first start may be under way: wait until it settled (its caller gets its error), then stop what it
      // started, or forget the declared service if it never started.
      const starting = this.helperStarts.get(id);
      if (starting) await Promise.allSettled([starting]);
      if (this.instancesById.get(id)?.idle) {
        this.instancesById.delete(id);
        this.node.stash.drop(id);
        inst.desc.afterStop?.(id, this.node);
        return true;
      }
    }
    // Helpers first (reverse start order): they consume what the service's actor produces.
    const helpers = [...this.instancesById.values()].filter((i) => i.helperOf === id).reverse();
    for (const h of helpers) {
      await this.node.supervisor.removeChild(h.id, reason);
      this.instancesById.delete(h.id);
      this.node.stash.drop(h.id);
    }
    const removed = await this.node.supervisor.removeChild(id, reason);
    this.instancesById.delete(id);
    this.node.stash.drop(id);
    this.node.wiring.unlink(id);
    inst.desc.afterStop?.(id, this.node);
    return removed;
  }

  /** A started producer's rings reach the running consumers of its kind. */
  onChildEvent(id: string, event: 'started' | 'exited' | 'removed'): void {
    const inst = this.instancesById.get(id);
    if (!inst) return;
    if (event === 'removed') {
      this.instancesById.delete(id);
      return;
    }
    if (event !== 'started') return;
    for (const { consumerKind, sab } of this.node.wiring.newProducerRings(id, inst.desc.kind)) {
      for (const c of this.instancesById.values()) {
        if (c.desc.kind === consumerKind) this.node.supervisor.actor(c.id)?.attachRing(id, sab);
      }
    }
  }
}
