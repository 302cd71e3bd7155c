// CI-sized fuzzing of the pure codecs (issue 12): a few thousand inputs each, a few seconds in all.
// `npm run fuzz -- <target> --runs 1000000` runs the long version (bench/README.md records the results).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TARGETS } from './targets.js';
import { fuzz } from './check.js';

const RUNS: Record<string, number> = { 'command-interpreter': 1500, mapping: 1500, 'tcp-assembler': 1500 };

// Inputs take 0.2-60 ms here; the limit leaves room for a full test run on a shared machine (a stall of ~1 s was
// seen at load average 25), and still catches an input that loops. A failure prints its seed and input.
const PER_INPUT_MS = 3000;

for (const [name, target] of Object.entries(TARGETS)) {
  test(`fuzz ${name}: no untyped throw, no input slower than ${PER_INPUT_MS / 1000} s`, async () => {
    const r = await fuzz(target, { runs: RUNS[name] ?? 3000, perInputMs: PER_INPUT_MS });
    assert.equal(r.crashes + r.hangs, 0, `${JSON.stringify(r)}`);
  });
}
