import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';

// In a child process: the main thread's flag is process-wide, and this test process's own young generation
// must not be changed under the other tests.
const PROBE = `
import { getHeapSpaceStatistics } from 'node:v8';
import { holdYoungGeneration } from './main/cli/young-gen.ts';
const newSpaceMb = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size / 1048576;
const churn = () => { const keep = []; for (let i = 0; i < 200_000; i++) keep.push({ i, s: 'x' + i }); return keep.length; };
const young = holdYoungGeneration();
const before = newSpaceMb();
churn();
const held = newSpaceMb();
young.release();
churn();
console.log(JSON.stringify({ before, held, released: newSpaceMb() }));
`;

test('while held, the main thread young generation does not grow; released, it grows under allocation again', () => {
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', PROBE], {
    cwd: new URL('../..', import.meta.url).pathname,
  }).toString();
  // (Loading tsx before the hold may have grown it already: held is what it was then.)
  const { before, held, released } = JSON.parse(out) as { before: number; held: number; released: number };
  assert.equal(held, before, `new space ${before} MB -> ${held} MB while held`);
  assert.ok(released > held, `new space ${released} MB after release, ${held} MB held`);
});
