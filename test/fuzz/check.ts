// The fuzz property and its runner, shared by the CI tests (test/fuzz/*.test.ts) and `npm run fuzz` (run.ts).
// An input fails when the target throws anything but a typed EdgeRtError (base/errors.ts) or when it takes longer
// than `perInputMs` (a hang: measured per input, so a slow path is caught before it becomes an endless one).
import fc from 'fast-check';
import { EdgeRtError } from '../../base/errors.js';
import type { FuzzTarget } from './targets.js';

export interface FuzzResult {
  target: string;
  runs: number;
  crashes: number;
  hangs: number;
  /** Slowest input, ms. */
  maxInputMs: number;
  ms: number;
  seed: number;
  /** The shrunk failing input and its error, when one failed. */
  counterexample?: string;
  error?: string;
}

class Hang extends Error {}

export interface FuzzOptions {
  runs: number;
  seed?: number;
  perInputMs?: number;
  /** Called every `progressEvery` inputs (the runner's watchdog heartbeat). */
  onProgress?: (done: number) => void;
  progressEvery?: number;
}

export async function fuzz<T>(target: FuzzTarget<T>, o: FuzzOptions): Promise<FuzzResult> {
  const perInputMs = o.perInputMs ?? 1000;
  const seed = o.seed ?? Date.now() % 2 ** 31;
  let done = 0;
  let maxInputMs = 0;
  const every = o.progressEvery ?? 10_000;
  const body = async (input: T): Promise<void> => {
    const t0 = performance.now();
    try {
      await target.run(input);
    } catch (err) {
      if (!(err instanceof EdgeRtError)) throw err;
    }
    const ms = performance.now() - t0;
    if (ms > maxInputMs) maxInputMs = ms;
    if (++done % every === 0) o.onProgress?.(done);
    if (ms > perInputMs) throw new Hang(`input took ${ms.toFixed(0)} ms (limit ${perInputMs} ms)`);
  };
  const t0 = performance.now();
  const out = await fc.check(fc.asyncProperty(target.arb, body), {
    numRuns: o.runs,
    seed,
    endOnFailure: false,
    maxSkipsPerRun: 0,
  } as fc.Parameters<[T]>);
  const r: FuzzResult = {
    target: target.name,
    runs: out.numRuns,
    crashes: out.failed && !(out.errorInstance instanceof Hang) ? 1 : 0,
    hangs: out.failed && out.errorInstance instanceof Hang ? 1 : 0,
    maxInputMs: Math.round(maxInputMs * 10) / 10,
    ms: Math.round(performance.now() - t0),
    seed,
  };
  if (out.failed) {
    r.counterexample = fc.stringify(out.counterexample).slice(0, 2000);
    r.error = String(
      out.errorInstance instanceof Error ? (out.errorInstance.stack ?? out.errorInstance.message) : out.errorInstance,
    ).slice(0, 2000);
  }
  return r;
}
