// What `/readyz` and the status page (`/status.json`) show, built on the main thread from the supervisor,
// the metrics and what the node keeps for it: recent warnings and errors from the log, dropped messages,
// task progress (the journal replay at start) and a short history of ingest counts per table for rates.
import type { LogRecord } from '../../base/log.js';
import type { ChildInfo } from '../../runtime/supervisor.js';
import type { NodeMetrics } from './node-metrics.js';

/** How far back the ingest rates go: 30 samples of 10 s (5 minutes). */
export const RATE_SAMPLE_MS = 10_000;
const RATE_SAMPLES = 30;
const RECENT_MAX = 50;

export interface Progress {
  task: string;
  done: number;
  total: number;
  /** Units of `done` and `total` (`entries`, `rows`, `bytes`). */
  unit: string;
  /** Per second since the task started. */
  rate: number;
  startedAt: number;
  updatedAt: number;
  finished: boolean;
  /** Holds `/readyz` while it runs. */
  gate: boolean;
}

export interface Readiness {
  ready: boolean;
  /** Why not, one line each (empty when ready). */
  reasons: string[];
}

export interface StatusSnapshot {
  node: string;
  now: number;
  readiness: Readiness;
  services: { id: string; kind: string; status: string; restarts: number; uptimeS: number; error?: string }[];
  /** Rows per second per dbms.table: `series` oldest first, one value per RATE_SAMPLE_MS. */
  ingest: { table: string; total: number; perSecond: number; series: number[] }[];
  journal: { unappliedEntries: number; unappliedRows: number; oldestAgeS: number; replayRemaining: number };
  progress: Progress[];
  recentErrors: Pick<LogRecord, 'ts' | 'level' | 'src' | 'msg'>[];
  deadLetters: { to: string; reason: string; count: number }[];
  peers: { peer: string; ok: number; error: number; timeout: number }[];
}

/** The node's observer: fed by the log sink, the router and the workers' progress reports. */
export class StatusBoard {
  private readonly recent: StatusSnapshot['recentErrors'] = [];
  private readonly progress = new Map<string, Progress>();
  /** Per sample: rows ingested so far per dbms.table (counter values). */
  private readonly samples: Map<string, number>[] = [];
  private lastSampleAt = Date.now();
  private timer: NodeJS.Timeout | undefined;
  booting = true;

  constructor(private readonly metrics: NodeMetrics) {}

  start(): void {
    void this.sample();
    this.timer = setInterval(() => void this.sample(), RATE_SAMPLE_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Every log record goes by here; warnings and errors are kept (secrets were redacted by the logger). */
  onLog(rec: LogRecord): void {
    if (rec.level !== 'warn' && rec.level !== 'error') return;
    this.recent.push({ ts: rec.ts, level: rec.level, src: rec.src, msg: rec.msg });
    if (this.recent.length > RECENT_MAX) this.recent.shift();
  }

  /** A task's progress: `done` of `total`; the rate is computed here, from the first report. */
  onProgress(
    from: string,
    p: { task: string; done: number; total: number; unit: string; finished: boolean; gate?: boolean },
  ): Progress {
    const key = `${from}: ${p.task}`;
    const now = Date.now();
    const prev = this.progress.get(key);
    const startedAt = prev && !prev.finished ? prev.startedAt : now;
    const secs = Math.max((now - startedAt) / 1000, 0.001);
    const e: Progress = {
      task: key,
      done: p.done,
      total: p.total,
      unit: p.unit,
      finished: p.finished,
      gate: p.gate === true,
      rate: p.done / secs,
      startedAt,
      updatedAt: now,
    };
    this.progress.set(key, e);
    return e;
  }

  /** Tasks in progress or done (a replay that found nothing to do is not listed). */
  progressList(): Progress[] {
    return [...this.progress.values()].filter((p) => !(p.finished && p.total === 0));
  }

  readiness(children: ChildInfo[]): Readiness {
    const reasons: string[] = [];
    if (this.booting) reasons.push('node start in progress (node.yaml services and commands)');
    for (const c of children) if (c.status !== 'running') reasons.push(`${c.id}: ${c.status}`);
    for (const p of this.progress.values())
      if (p.gate && !p.finished) reasons.push(`${p.task}: ${p.done} of ${p.total} ${p.unit}`);
    return { ready: reasons.length === 0, reasons };
  }

  async snapshot(node: string, children: ChildInfo[]): Promise<StatusSnapshot> {
    const now = Date.now();
    const m = this.metrics;
    const g = async (name: Parameters<NodeMetrics['gauge']>[0]): Promise<number> =>
      (await m.gauge(name).get()).values[0]?.value ?? 0;
    const totals = await this.ingestTotals();
    const ingest = [...totals].map(([table, total]) => {
      const series: number[] = [];
      for (let i = 1; i < this.samples.length; i++) {
        const d = (this.samples[i]!.get(table) ?? 0) - (this.samples[i - 1]!.get(table) ?? 0);
        series.push(Math.max(0, d) / (RATE_SAMPLE_MS / 1000));
      }
      // The current rate: since the last sample (at least 1 s of it, so a fresh sample does not spike it).
      const last = this.samples.at(-1);
      const since = Math.max((now - this.lastSampleAt) / 1000, 1);
      const perSecond = last ? Math.max(0, total - (last.get(table) ?? 0)) / since : 0;
      return { table, total, perSecond, series };
    });
    const dead = (await m.counter('edgelake_rt_dead_letters_total').get()).values;
    const peerVals = (await m.counter('edgelake_rt_peer_requests_total').get()).values;
    const peers = new Map<string, { peer: string; ok: number; error: number; timeout: number }>();
    for (const v of peerVals) {
      const peer = String(v.labels['peer']);
      const e = peers.get(peer) ?? { peer, ok: 0, error: 0, timeout: 0 };
      const o = String(v.labels['outcome']);
      if (o === 'ok' || o === 'error' || o === 'timeout') e[o] += v.value;
      peers.set(peer, e);
    }
    return {
      node,
      now,
      readiness: this.readiness(children),
      services: children.map((c) => ({
        id: c.id,
        kind: c.kind,
        status: c.status,
        restarts: c.restarts,
        uptimeS: c.status === 'running' && c.startedAt ? Math.round((now - c.startedAt) / 1000) : 0,
        ...(c.error !== undefined ? { error: c.error } : {}),
      })),
      ingest,
      journal: {
        unappliedEntries: await g('edgelake_rt_journal_unapplied_entries'),
        unappliedRows: await g('edgelake_rt_journal_unapplied_rows'),
        oldestAgeS: await g('edgelake_rt_journal_oldest_unapplied_age_seconds'),
        replayRemaining: await g('edgelake_rt_journal_replay_remaining_entries'),
      },
      progress: this.progressList(),
      recentErrors: [...this.recent].reverse(),
      deadLetters: dead.map((v) => ({
        to: String(v.labels['to']),
        reason: String(v.labels['reason']),
        count: v.value,
      })),
      peers: [...peers.values()],
    };
  }

  private async ingestTotals(): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const v of (await this.metrics.counter('edgelake_rt_rows_ingested_total').get()).values) {
      const k = `${v.labels['dbms']}.${v.labels['table']}`;
      out.set(k, (out.get(k) ?? 0) + v.value);
    }
    return out;
  }

  private async sample(): Promise<void> {
    this.samples.push(await this.ingestTotals());
    this.lastSampleAt = Date.now();
    if (this.samples.length > RATE_SAMPLES + 1) this.samples.shift();
  }
}
