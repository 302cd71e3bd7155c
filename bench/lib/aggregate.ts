// `npm run bench -- all` runs each benchmark in rounds (separate processes) and reduces the rounds' lines to
// one line per figure: value, baseline and ratio are the medians over the rounds, with min and max beside
// them, so a single noisy round on the shared machine neither makes nor breaks a target.
import type { Figure } from './report.js';

export type { Figure } from './report.js';

const med = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const r4 = (x: number): number => (Math.abs(x) >= 100 ? Math.round(x) : Number(x.toPrecision(4)));

/**
 * One line per (bench, unit) present in every round. The extra fields are those of the round whose ratio
 * is the median (its details belong to the figure shown); a figure missing from a round is left out.
 */
export function aggregate(rounds: readonly Figure[][]): Figure[] {
  const key = (f: Figure): string => `${f.bench}\u0000${f.unit}`;
  const first = rounds[0] ?? [];
  const out: Figure[] = [];
  for (const f0 of first) {
    const k = key(f0);
    const same = rounds.map((r) => r.find((f) => key(f) === k));
    if (same.some((f) => f === undefined)) continue;
    const figs = same as Figure[];
    const ratios = figs.map((f) => f.ratio);
    const values = figs.map((f) => f.value);
    const mid = figs.slice().sort((a, b) => a.ratio - b.ratio)[Math.floor(figs.length / 2)]!;
    out.push({
      ...mid,
      value: r4(med(values)),
      baseline: r4(med(figs.map((f) => f.baseline))),
      ratio: Number(med(ratios).toFixed(3)),
      dirty: figs.some((f) => f.dirty),
      rounds: figs.length,
      value_min: r4(Math.min(...values)),
      value_max: r4(Math.max(...values)),
      ratio_min: Math.min(...ratios),
      ratio_max: Math.max(...ratios),
      roundValues: values,
      roundRatios: ratios,
      load1_max: Math.max(...figs.map((f) => Number(f['load1'] ?? NaN))),
    });
  }
  return out;
}
