// npm run bench -- restart-replay-25m
// restart-replay with a 25M-row table (~4 GB of SQLite; BENCH_BIG_ROWS to change it): time from a restart after
// kill -9 until every acknowledged row is queryable, against the same restart with a BENCH_SMALL_ROWS (10k) table
// in the same run, both with an unapplied journal tail of BENCH_TAIL_ROWS (50k) (bench/lib/restart-scenario.ts:
// the first 2M rows go through PUTs, the rest straight into the file). A bench of its own so `bench all` runs it
// by name (`npm run bench -- all restart-replay-25m`): it needs ~5 GB of disk and several minutes a round.
import { restartReplayBench } from './lib/restart-scenario.js';

await restartReplayBench('restart-replay-25m', Number(process.env['BENCH_BIG_ROWS'] ?? 25_000_000));
