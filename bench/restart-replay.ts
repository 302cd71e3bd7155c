// npm run bench -- restart-replay
// Time from a restart after kill -9 until every acknowledged row is queryable, for a table of BENCH_TABLE_ROWS
// (default 1M) rows and, as the baseline in the same run, a table of BENCH_SMALL_ROWS (10k), each with the same
// unapplied journal tail of BENCH_TAIL_ROWS (50k) (bench/lib/restart-scenario.ts). The ratio is big / small:
// about 1 when the restart depends on the journal's unapplied tail and not on the table's size (issue 14,
// "Restart"). The 25M-row size is bench/restart-replay-25m.ts.
import { restartReplayBench } from './lib/restart-scenario.js';

await restartReplayBench('restart-replay', Number(process.env['BENCH_TABLE_ROWS'] ?? 1_000_000));
