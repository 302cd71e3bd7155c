// CI-sized fuzzing of the pure codecs (issue 12): a few thousand inputs each, a few seconds in all.
// `npm run fuzz -- <target> --runs 1000000` runs the long version (bench/README.md records the results).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TARGETS } from './targets.js';
import { fuzz } from './check.js';

const RUNS: Record<string, number> = { 'command-interpreter': 1500, mapping: 1500, 'tcp-assembler': 1500 };

for (const [name, target] of Object.entries(TARGETS)) {
  test(`fuzz ${name}: no untyped throw, no input slower than 1 s`, async () => {
    const r = await fuzz(target, { runs: RUNS[name] ?? 3000, perInputMs: 1000 });
    assert.equal(r.crashes + r.hangs, 0, `${JSON.stringify(r)}`);
  });
}
