// Generates bench/README.md's summary table from the results files written by `npm run bench -- all`
// (bench/results/<date>.jsonl, the newest line of each figure): the table and the JSON lines behind it replace
// what lies between the SUMMARY markers, so every figure shown is a line some committed tree printed. Nothing here is typed by hand
// except the targets, which come from issue 14 / issue 12.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Figure } from './report.js';

interface Target {
  text: string;
  met(f: Figure): boolean;
  /** Why it fails when it does (a pointer to the section that says more); no figures here. A function when the
   * reason depends on what the line itself measured. */
  why?: string | ((f: Figure) => string);
  /** Where its figure is when `bench all` does not make it (a run too long for three rounds). */
  elsewhere?: string;
}

/** Why an ingest-edgelake line misses 12x: beyond SQLite itself when raw libsql in the same run is under it. */
function beyondCeiling(f: Figure): string {
  const ceiling = Number(f['ceiling_ratio']);
  if (!Number.isFinite(ceiling)) return 'a line from before the ceiling was measured (ingest-edgelake)';
  return ceiling < 12
    ? 'beyond SQLite here: raw libsql fed the same PUTs in the same run is itself under 12x EdgeLake (ceiling_ratio, ingest-edgelake)'
    : "under raw libsql's ceiling: the node's own share (of_raw, ingest-edgelake)";
}

/** Targets by `bench` (and unit when a bench prints several). Figures without one are information. */
const TARGETS: Record<string, Target> = {
  mailbox: {
    text: 'ratio ≥ 0.8 (batched baseline)',
    met: (f) => f.ratio >= 0.8,
    why: "what is left is per wake-up of the sender and the worker's preemption on a loaded machine (mailbox, branch mbox2: the host's queue)",
  },
  'ring.push-batch': { text: '≥ 5M records/s', met: (f) => f.value >= 5e6 },
  'restart.p99': { text: '≤ 100 ms', met: (f) => f.value <= 100 },
  'ingest-sqlite': {
    text: 'ratio ≥ 0.75',
    met: (f) => f.ratio >= 0.75,
    why: "the operator's one SQLite writer, with the other threads' CPU beside it (Profile); the ratio moves with the machine, raw libsql's CPU per row more than the node's (Figures of record, December 7 midday)",
  },
  'ingest-pg': {
    text: 'ratio ≥ 0.6 (raw COPY)',
    met: (f) => f.ratio >= 0.6,
    why: 'straddles its target from run to run, on either allocator (Figures of record, December 8 (night))',
  },
  'ingest-files': { text: 'ratio ≥ 0.6 (raw libsql)', met: (f) => f.ratio >= 0.6 },
  // Issue 14: durable REST -> SQLite ingest at 12x EdgeLake 1.4 on the same PUTs (1 in flight, as measured there).
  // The line carries its ceiling: raw libsql fed the same PUTs in the same run, as a multiple of EdgeLake.
  'ingest-edgelake': { text: 'ratio ≥ 12 (EdgeLake 1.4)', met: (f) => f.ratio >= 12, why: beyondCeiling },
  'ingest-edgelake.c16': { text: 'ratio ≥ 12 (EdgeLake 1.4)', met: (f) => f.ratio >= 12, why: beyondCeiling },
  latency: {
    text: 'p99 ≤ 100 ms',
    met: (f) => f.value <= 100,
    why: "the tail is two commits' fsync stalls in series (journal, then SQLite) and the writer's share of the 40 MB log checkpoint (copied on its own thread since 8c38e7b); the bench before fc43417 was unfair both ways (Ingest, latency)",
  },
  'mqtt msg/s': { text: 'ratio ≥ 0.8', met: (f) => f.ratio >= 0.8 },
  'tcp-rtt': {
    text: 'ratio ≥ 0.3 (persistent echo)',
    met: (f) => f.ratio >= 0.3,
    why: "three threads per round trip against the echo's one per process; the rest is spread thin (TCP peer benchmarks)",
  },
  // Issue 14, "Restart": the time to every acknowledged row depends on the unapplied tail, not on the table.
  'restart-replay': {
    text: 'ratio ≤ 1.25 (big / small table)',
    met: (f) => f.ratio <= 1.25,
    why: 'see Restart after kill -9: wal_valid_mb is the log a start had to recover',
  },
  'restart-replay-25m': { text: 'ratio ≤ 1.25 (big / small table)', met: (f) => f.ratio <= 1.25 },
  'tcp-transfer': { text: 'ratio ≥ 0.5', met: (f) => f.ratio >= 0.5 },
  'memory.idle-five': {
    text: '≤ 110 MB',
    met: (f) => f.value <= 110,
    why: "at 5 s the workers' young generations and the main heap have not shrunk yet; settled (15 s) it is under 110 (memory)",
  },
  'put-55mb-rss': {
    text: 'peak ≤ 320 MB, after ≤ 1.2× idle',
    met: (f) => f.value <= 320 && Number(f['after_ratio']) <= 1.2,
    why: 'what the burst leaves after it (put-55mb-rss: what stayed after the burst)',
  },
  // Issue 12, soak: ten minutes (or --minutes M) at half the measured rate with queries mixed in.
  // A soak is a single run, not rounds: its lines are pasted in the Soak sections, not in a results file.
  'soak.rss-growth': { text: '≤ 5%', met: (f) => f.value <= 5, elsewhere: 'single runs: the Soak sections' },
  'soak.fd-growth': { text: '≤ 0 fds', met: (f) => f.value <= 0, elsewhere: 'single runs: the Soak sections' },
  'soak.acked-lost': {
    text: '0 rows',
    met: (f) => f.value === 0 && Number(f['duplicated'] ?? 0) === 0,
    elsewhere: 'single runs: the Soak sections',
  },
};

const BEGIN = '<!-- SUMMARY:BEGIN (generated by `npm run bench -- summary`; do not edit) -->';
const END = '<!-- SUMMARY:END -->';

const num = (x: number): string =>
  Math.abs(x) >= 1e6
    ? `${(x / 1e6).toFixed(2)}M`
    : Math.abs(x) >= 1e4
      ? `${(x / 1e3).toFixed(1)}k`
      : String(Number(x.toPrecision(4)));

function met(t: Target | undefined, f: Figure): string {
  if (!t) return '';
  if (t.met(f)) return 'yes';
  const why = typeof t.why === 'function' ? t.why(f) : t.why;
  return why ? `no: ${why}` : 'no';
}

/**
 * The results files to read, oldest first: the one named, or every `<date>.jsonl` in `dir`. A day's `bench all`
 * rarely reruns every bench, so the table takes each figure's newest line across all of them (a run that
 * crosses midnight writes to the next day's file and must not hide the previous day's figures).
 */
export function resultsFiles(dir: string, named?: string): string[] {
  if (named) return [named];
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.jsonl')) : [];
  if (files.length === 0) throw new Error(`no results in ${dir}: run \`npm run bench -- all\` on a committed tree`);
  return files.sort().map((f) => join(dir, f));
}

/** The newest line of each (bench, unit) across `files` (oldest first), with the file it came from. */
function latestFigures(files: string[]): Map<string, { f: Figure; file: string }> {
  const latest = new Map<string, { f: Figure; file: string }>();
  for (const file of files) {
    for (const l of readFileSync(file, 'utf8').split('\n')) {
      if (!l.startsWith('{')) continue;
      const f = JSON.parse(l) as Figure;
      if (f.dirty) continue; // never recorded by run.ts; skipped should one be pasted in
      latest.set(`${f.bench} ${f.unit}`, { f, file });
    }
  }
  return latest;
}

/** The table and JSON lines for the results files (oldest first); the newest line of each (bench, unit) wins. */
export function summaryText(files: string[]): string {
  const found = latestFigures(files);
  const latest = new Map([...found].map(([k, v]) => [k, v.f]));
  const perFile = files
    .map((file) => ({ file, n: [...found.values()].filter((v) => v.file === file).length }))
    .filter((x) => x.n > 0)
    .map((x) => `\`bench/results/${basename(x.file)}\` (${x.n})`);
  const rows = [
    '| bench | value: median (min–max) | unit | baseline (same run) | ratio: median (min–max) | rounds | git | target | met | load1 |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const f of latest.values()) {
    const t = TARGETS[`${f.bench} ${f.unit}`] ?? TARGETS[f.bench];
    const spread = (m: number, lo: unknown, hi: unknown): string =>
      typeof lo === 'number' && typeof hi === 'number' ? `${num(m)} (${num(lo)}–${num(hi)})` : num(m);
    rows.push(
      `| \`${f.bench}\` | ${spread(f.value, f['value_min'], f['value_max'])} | ${f.unit} | ${num(f.baseline)}` +
        `${typeof f['baselineIs'] === 'string' ? `: ${f['baselineIs']}` : ''} | ${spread(f.ratio, f['ratio_min'], f['ratio_max'])}` +
        ` | ${String(f['rounds'] ?? 1)} | ${f.git} | ${t?.text ?? ''} | ${met(t, f)} | ${String(f['load1_max'] ?? f['load1'] ?? '')} |`,
    );
  }
  // A target with no recorded figure still gets its row, so what is not measured yet shows.
  for (const [name, t] of Object.entries(TARGETS)) {
    if ([...latest.values()].some((f) => f.bench === name || `${f.bench} ${f.unit}` === name)) continue;
    rows.push(`| \`${name}\` | no recorded figure | | | | | | ${t.text} | ${t.elsewhere ?? 'not measured'} | |`);
  }
  return [
    BEGIN,
    '',
    `${latest.size} figures, the newest line of each from ${perFile.join(', ')}.`,
    '',
    ...rows,
    '',
    '```',
    ...[...latest.values()].map((f) => JSON.stringify(f)),
    '```',
    '',
    END,
  ].join('\n');
}

/** Replaces the README's generated section; returns the results files read. */
export function writeSummary(resultsDir: string, readme: string, named?: string): string {
  const files = resultsFiles(resultsDir, named);
  const text = readFileSync(readme, 'utf8');
  const a = text.indexOf(BEGIN);
  const b = text.indexOf(END);
  if (a < 0 || b < a) throw new Error(`${readme} has no ${BEGIN} ... ${END} section`);
  writeFileSync(readme, text.slice(0, a) + summaryText(files) + text.slice(b + END.length));
  return files.join(' ');
}
