// The node's metrics, on the main thread (prom-client). Workers report deltas and gauge values
// (runtime/metrics.ts) and the node adds them here, so a counter outlives the worker that counted: a killed
// operator comes back and its `rows_applied_total` goes on from where it was. Supervision, rings and the
// process itself are read at scrape time. The registry is per node (tests run several nodes in one process).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { MetricReport } from '../../runtime/metrics.js';
import type { ChildInfo } from '../../runtime/supervisor.js';
import { METRICS, isMetricName, type MetricDef, type MetricName } from './catalog.js';

type Metric = Counter<string> | Gauge<string> | Histogram<string>;

/** What the node reads at scrape time. */
export interface ScrapeSource {
  children(): ChildInfo[];
  capacity(id: string): number | undefined;
  rings(): { producer: string; consumer: string; usedBytes: number; capacity: number }[];
}

function make(reg: Registry, name: MetricName, def: MetricDef): Metric {
  const base = { name, help: def.help, labelNames: [...def.labels], registers: [reg] };
  switch (def.type) {
    case 'counter':
      return new Counter(base);
    case 'gauge':
      return new Gauge(base);
    case 'histogram':
      return new Histogram({ ...base, buckets: [...(def.buckets ?? [])] });
  }
}

const sameLabels = (def: MetricDef, labels: Readonly<Record<string, string>>): boolean => {
  const keys = Object.keys(labels);
  return keys.length === def.labels.length && def.labels.every((l) => typeof labels[l] === 'string');
};

export class NodeMetrics {
  readonly registry = new Registry();
  readonly contentType = this.registry.contentType;
  private readonly metrics = new Map<MetricName, Metric>();
  /** Restarts already counted per service, so the counter only grows (a re-run service starts again at 0). */
  private readonly restartsSeen = new Map<string, number>();
  /** Reports refused (unknown name or labels), counted rather than thrown: a worker cannot break a scrape. */
  refused = 0;

  constructor(private readonly source: ScrapeSource) {
    for (const [name, def] of Object.entries(METRICS) as [MetricName, MetricDef][])
      this.metrics.set(name, make(this.registry, name, def));
    // process_resident_memory_bytes, nodejs_eventloop_lag_seconds, GC, handles: the main thread's own.
    collectDefaultMetrics({ register: this.registry, prefix: 'edgelake_rt_', eventLoopMonitoringPrecision: 100 });
  }

  counter(name: MetricName): Counter<string> {
    return this.metrics.get(name) as Counter<string>;
  }

  gauge(name: MetricName): Gauge<string> {
    return this.metrics.get(name) as Gauge<string>;
  }

  histogram(name: MetricName): Histogram<string> {
    return this.metrics.get(name) as Histogram<string>;
  }

  /** What a worker reported (runtime/metrics.ts). */
  apply(reports: readonly MetricReport[]): void {
    for (const r of reports) {
      if (!isMetricName(r.name) || !sameLabels(METRICS[r.name], r.labels)) {
        this.refused++;
        continue;
      }
      const def: MetricDef = METRICS[r.name];
      if (r.k === 'inc' && def.type === 'counter') this.counter(r.name).inc(r.labels, r.v);
      else if (r.k === 'set' && def.type === 'gauge') this.gauge(r.name).set(r.labels, r.v);
      else if (r.k === 'obs' && def.type === 'histogram') {
        const h = this.histogram(r.name);
        for (const v of r.vs) h.observe(r.labels, v);
      } else this.refused++;
    }
  }

  /** The Prometheus text exposition of every metric. */
  async text(): Promise<string> {
    this.readSupervision();
    return this.registry.metrics();
  }

  private readSupervision(): void {
    const up = this.gauge('edgelake_rt_service_up');
    const uptime = this.gauge('edgelake_rt_service_uptime_seconds');
    const depth = this.gauge('edgelake_rt_service_mailbox_depth');
    const cap = this.gauge('edgelake_rt_service_mailbox_capacity');
    const restarts = this.counter('edgelake_rt_service_restarts_total');
    // Services that are gone (exit) drop out of the gauges; their restart counters stay, as counters do.
    up.reset();
    uptime.reset();
    depth.reset();
    cap.reset();
    const now = Date.now();
    for (const c of this.source.children()) {
      const l = { service: c.id, kind: c.kind };
      const running = c.status === 'running';
      up.set(l, running ? 1 : 0);
      uptime.set(l, running && c.startedAt ? (now - c.startedAt) / 1000 : 0);
      if (c.mailboxDepth !== undefined) depth.set(l, c.mailboxDepth);
      const capacity = this.source.capacity(c.id);
      if (capacity !== undefined) cap.set(l, capacity);
      const seen = this.restartsSeen.get(c.id) ?? 0;
      if (c.restarts > seen) restarts.inc(l, c.restarts - seen);
      else restarts.inc(l, 0);
      this.restartsSeen.set(c.id, c.restarts);
    }
    const used = this.gauge('edgelake_rt_ring_used_bytes');
    const fill = this.gauge('edgelake_rt_ring_fill_ratio');
    used.reset();
    fill.reset();
    for (const r of this.source.rings()) {
      const l = { producer: r.producer, consumer: r.consumer };
      used.set(l, r.usedBytes);
      fill.set(l, r.capacity > 0 ? r.usedBytes / r.capacity : 0);
    }
  }
}
