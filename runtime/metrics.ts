// What an actor reports for the node's Prometheus metrics (node/metrics/): counter increments, histogram
// observations and gauge values, buffered in the worker and sent to the main thread about once a second
// (`OutItem` `metrics`). The main thread owns the metrics, so counters survive a worker restart; what a worker
// buffered in the last second before it crashed is lost with it (a kill loses at most one interval).
// Metric names are checked on the main thread against the catalog (node/metrics/catalog.ts): a worker cannot
// create series the catalog does not declare.

/** Label values by label name, in the order the catalog declares them. */
export type Labels = Readonly<Record<string, string>>;

export type MetricReport =
  /** Counter: add `v` (>= 0). */
  | { k: 'inc'; name: string; labels: Labels; v: number }
  /** Histogram: one observation per value (seconds, bytes...). */
  | { k: 'obs'; name: string; labels: Labels; vs: number[] }
  /** Gauge: the value now. */
  | { k: 'set'; name: string; labels: Labels; v: number };

export interface ActorMetrics {
  inc(name: string, labels: Labels, v?: number): void;
  observe(name: string, labels: Labels, v: number): void;
  set(name: string, labels: Labels, v: number): void;
}

/** Observations kept per histogram series between two flushes; beyond, they are sampled out (bounded memory). */
const MAX_OBS = 4096;

const keyOf = (name: string, labels: Labels): string => `${name}\u0000${JSON.stringify(labels)}`;

/** The worker-side buffer: increments are summed and gauges keep their last value until the next `take`. */
export class MetricsBuffer implements ActorMetrics {
  private incs = new Map<string, { name: string; labels: Labels; v: number }>();
  private obs = new Map<string, { name: string; labels: Labels; vs: number[] }>();
  private sets = new Map<string, { name: string; labels: Labels; v: number }>();

  inc(name: string, labels: Labels, v = 1): void {
    if (!(v > 0)) return;
    const k = keyOf(name, labels);
    const e = this.incs.get(k);
    if (e) e.v += v;
    else this.incs.set(k, { name, labels, v });
  }

  observe(name: string, labels: Labels, v: number): void {
    if (!Number.isFinite(v)) return;
    const k = keyOf(name, labels);
    const e = this.obs.get(k);
    if (!e) this.obs.set(k, { name, labels, vs: [v] });
    else if (e.vs.length < MAX_OBS) e.vs.push(v);
  }

  set(name: string, labels: Labels, v: number): void {
    if (!Number.isFinite(v)) return;
    this.sets.set(keyOf(name, labels), { name, labels, v });
  }

  get empty(): boolean {
    return this.incs.size === 0 && this.obs.size === 0 && this.sets.size === 0;
  }

  /** Everything buffered since the last call, and an empty buffer. */
  take(): MetricReport[] {
    const out: MetricReport[] = [];
    for (const e of this.incs.values()) out.push({ k: 'inc', ...e });
    for (const e of this.obs.values()) out.push({ k: 'obs', ...e });
    for (const e of this.sets.values()) out.push({ k: 'set', ...e });
    this.incs = new Map();
    this.obs = new Map();
    this.sets = new Map();
    return out;
  }
}
