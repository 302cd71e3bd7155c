// Soak: a node under steady load (half its measured ingest rate) with queries and get commands mixed in, for 10 min.
// npm run bench -- soak [--minutes M] [--rate ROWS_PER_S]
// 1. measures the node's ingest rate (60 streaming PUTs x 1,000 rows, 8 in flight, until count(*) has them all),
//    then brings the query pool to its configured size (a lazily started worker is not growth: `fillQueryPool`);
// 2. paces 1,000-row PUTs at half that rate for M minutes (default 10), while a second loop runs `sql` (count, a
//    group by), `get status`, `get processes` and `get streaming` every 250 ms;
// 3. samples the node process's RSS (every worker is a thread of it) and open fds (/proc/<pid>/fd) every 5 s,
//    between two commands of the second loop: a running query holds its own connections' descriptors and its
//    working memory (page cache, sorter, result), and the group by runs longer as the table grows, so a sample at
//    any moment may catch one running, late in a run more often; both at any moment are in the lines too;
// 4. waits until every acknowledged row is in the table, then counts the lost and duplicated ones.
// Figures: RSS growth (%, target <= 5) and open fd growth (target 0), each the median of the last minute's samples
// against the median of the minute after warm-up (the first tenth, at least 30 s; the growth from the load's start
// is in the same line), acknowledged rows lost and duplicated (0).
// BENCH_SOAK_TRACE=1 prints every sample (RSS, anonymous RSS, V8 heap per thread, open fds by kind);
// BENCH_SOAK_SMAPS=<dir> writes the node's /proc/<pid>/smaps there every 30 s, to tell which mappings grow (glibc
// arenas, V8 pages, files); BENCH_SOAK_SQL=0 leaves the `sql` commands out of the second loop (the `get` commands
// stay), to tell growth that follows the queries from growth that follows the ingest. A run with it is marked
// (`sql` false in the line) and is not the soak's figure.
import { readFileSync, writeFileSync } from 'node:fs';
import { bodies, count, get, pool, put, startNode } from './ingest-common.js';
import { jsonLine, note } from './lib/report.js';
import { fdKinds, fds, rssMb, rssSplit } from './lib/proc-stats.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const minutes = Number(arg('--minutes') ?? 10);
/** Rows/s of the soak; default half the rate measured at the start. A fixed rate compares two trees (A/B). */
const fixedRate = arg('--rate') === undefined ? undefined : Number(arg('--rate'));
const ROWS = 1000;
/** Whether the second loop runs `sql` commands (BENCH_SOAK_SQL=0: only the `get` commands). */
const withSql = process.env['BENCH_SOAK_SQL'] !== '0';
const H = { type: 'json', dbms: 'edge', table: 'soak', mode: 'streaming' };

/**
 * V8 heap used per thread, MB, from the node's /metrics: one gauge per actor worker and the main thread's
 * (prom-client's default metrics). Tells a heap that keeps growing (a leak in that worker) from native memory.
 */
async function heaps(port: number): Promise<{ used: Record<string, number>; total: Record<string, number> }> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const used: Record<string, number> = {};
  const total: Record<string, number> = {};
  const mb = (v: string): number => Math.round(Number(v) / 104857.6) / 10;
  for (const l of text.split('\n')) {
    const w = /^edgelake_rt_worker_heap_(used|total)_bytes\{actor="([^"]+)"\} (\S+)/.exec(l);
    if (w) (w[1] === 'used' ? used : total)[w[2]!] = mb(w[3]!);
    const m = /^edgelake_rt_nodejs_heap_size_(used|total)_bytes (\S+)/.exec(l);
    if (m) (m[1] === 'used' ? used : total)['main'] = mb(m[2]!);
  }
  return { used, total };
}

/** Query workers started and the pool's configured size, from `get query pool where details = true`. */
async function queryPool(port: number): Promise<{ started: number; size: number }> {
  const text = await get(port, 'get query pool where details = true');
  // One table row per worker of the configured size: `<n>|<status>|...` (actors/query-pool/service.ts getPool).
  const rows = text.split('\n').filter((l) => /^\s*\d+\|/.test(l));
  if (rows.length === 0) throw new Error(`get query pool: unexpected reply: ${text.slice(0, 200)}`);
  return { started: rows.filter((l) => !l.includes('Not started')).length, size: rows.length };
}

/**
 * Brings the query pool to its configured size before the soak: the pool starts a worker when every running one is
 * busy (node/query.ts `grow`) and keeps it, and each worker thread holds a pipe, so a worker first needed during the
 * soak would count as fd (and RSS) growth although the pool is bounded. Concurrent queries, a round at a time, until
 * no worker is left to start (bounded: 30 rounds); the count reached is in the soak's lines.
 */
async function fillQueryPool(port: number): Promise<{ started: number; size: number }> {
  let pool = await queryPool(port);
  for (let round = 0; round < 30 && pool.started < pool.size; round++) {
    await Promise.all(
      Array.from({ length: pool.size * 2 }, () =>
        get(port, 'sql edge format = json "select device, count(*) as n from rate group by device"'),
      ),
    );
    pool = await queryPool(port);
  }
  note(`query pool: ${pool.started} of ${pool.size} workers started before the soak`);
  return pool;
}

/** Rows with `count` from `first` on, unique across the whole run. */
function body(first: number): string {
  const base = Date.UTC(2026, 0, 1);
  const rows = Array.from({ length: ROWS }, (_, i) => {
    const k = first + i;
    return {
      timestamp: new Date(base + k).toISOString(),
      device: `dev-${k % 16}`,
      value: k * 0.25,
      count: k,
      ok: k % 2 === 0,
    };
  });
  return JSON.stringify(rows);
}

const node = await startNode('  edge:\n    type: sqlite\n');
const pid = node.pid;
try {
  // 1. The rate this node ingests at, on this machine, now.
  const warm = bodies(60, ROWS, Date.UTC(2020, 0, 1));
  const t0 = performance.now();
  await pool(
    8,
    warm.map((b) => () => put(node.port, { ...H, table: 'rate' }, b.text)),
  );
  const deadline = Date.now() + 60_000;
  while ((await count(node.port, 'edge', 'rate')) < warm.length * ROWS && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 50));
  const rate = (warm.length * ROWS) / ((performance.now() - t0) / 1000);
  const poolWorkers = await fillQueryPool(node.port);
  const target = fixedRate ?? rate / 2;
  const putsPerSec = target / ROWS;
  note(`measured ${Math.round(rate)} rows/s; soaking at ${Math.round(target)} rows/s for ${minutes} min`);

  // 2. The load, paced: PUT i starts at i / putsPerSec seconds.
  const end = Date.now() + minutes * 60_000;
  const startAt = Date.now();
  let next = 0;
  let acked = 0;
  let putErrors = 0;
  let queries = 0;
  let queryErrors = 0;
  const inflight = new Set<Promise<void>>();
  const load = (async () => {
    for (let i = 0; Date.now() < end; i++) {
      const due = startAt + (i / putsPerSec) * 1000;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      while (inflight.size >= 16) await Promise.race(inflight);
      const first = next;
      next += ROWS;
      const p = put(node.port, H, body(first)).then(
        () => {
          acked += ROWS;
        },
        (err: unknown) => {
          putErrors++;
          note(`PUT failed: ${(err as Error).message}`);
        },
      );
      const tracked = p.finally(() => inflight.delete(tracked));
      inflight.add(tracked);
    }
    await Promise.all(inflight);
  })();
  // True while a command of the mixed loop runs: a `sql` holds its query's connections (database and WAL
  // descriptors) while it runs, and the longer the table the longer it runs, so descriptors sampled at any moment
  // rise with the table's size although nothing stays open. The fd figure is sampled between two commands, at least
  // SETTLE_MS after the last one answered: a query worker lets its closed connections go once the answer is on its
  // way (a young collection), or for a long query's promoted statements at a full collection right after it, unless
  // the worker ran one in the last second (actors/query-pool/release.ts); so a sample may still count a query's
  // connections that wait for that collection, never fewer than stay. A sample waits up to SETTLE_WAIT_MS for such
  // a moment (the group by over 30M rows runs for several seconds: at 10 s, three samples of a run found none and
  // counted a query's descriptors); one that found none is marked (`unsettled` in the line).
  const SETTLE_MS = 100;
  const SETTLE_WAIT_MS = 30_000;
  /** When the mixed loop's last command answered; undefined while one runs. */
  let mixedIdleSince: number | undefined = 0;
  const mixed = (async () => {
    const cmds = [
      ...(withSql
        ? [
            'sql edge format = json "select count(*) as n from soak"',
            'sql edge format = json "select device, count(*) as n, max(value) as v from soak group by device"',
          ]
        : []),
      'get status',
      'get processes',
      'get streaming',
    ];
    for (let i = 0; Date.now() < end; i++) {
      mixedIdleSince = undefined;
      try {
        await get(node.port, cmds[i % cmds.length]!);
      } catch (err) {
        // Until the first rows made the table, the sql commands find none.
        if (!/no such table/.test((err as Error).message)) {
          queryErrors++;
          note(`${cmds[i % cmds.length]!}: ${(err as Error).message.slice(0, 200)}`);
        }
      }
      queries++;
      mixedIdleSince = Date.now();
      await new Promise((r) => setTimeout(r, 250));
    }
  })();

  // 3. Samples.
  const warmUpMs = Math.max(30_000, minutes * 6_000);
  type Sample = {
    t: number;
    /** RSS between two commands of the mixed loop (no query running), SETTLE_MS after the last. */
    rss: number;
    /** RSS at the sample's moment, a query perhaps running (with its page cache, sorter and result). */
    rssAnyMoment: number;
    /** Whether a command of the mixed loop was running at that moment. */
    commandRunning: boolean;
    /** Open fds between two commands of the mixed loop (no query running), SETTLE_MS after the last. */
    fds: number;
    /** False when no such moment came within SETTLE_WAIT_MS (then `fds` and `rss` were read at any moment). */
    settled: boolean;
    /** Open fds at the sample's moment, a query perhaps running. */
    fdsAnyMoment: number;
    sockets: number;
    kinds: Record<string, number>;
    anon: number;
    file: number;
    heap: Record<string, number>;
    /** V8 heap held (total) per thread, MB: what its spaces, the young generation among them, have reserved. */
    heapTotal: Record<string, number>;
  };
  const samples: Sample[] = [];
  /** Waits (at most SETTLE_WAIT_MS) for a moment between two commands of the mixed loop, SETTLE_MS after the last. */
  const betweenCommands = async (): Promise<boolean> => {
    const settled = (): boolean => mixedIdleSince !== undefined && Date.now() - mixedIdleSince >= SETTLE_MS;
    for (const until = Date.now() + SETTLE_WAIT_MS; !settled() && Date.now() < until;)
      await new Promise((r) => setTimeout(r, 5));
    return settled();
  };
  const sample = async (): Promise<Sample> => ({
    t: Date.now() - startAt,
    commandRunning: mixedIdleSince === undefined,
    rssAnyMoment: rssMb(pid),
    fdsAnyMoment: fds(pid),
    ...(await betweenCommands().then((settled) => {
      const kinds = fdKinds(pid);
      return {
        rss: rssMb(pid),
        ...rssSplit(pid),
        fds: Object.values(kinds).reduce((a, b) => a + b, 0),
        settled,
        kinds,
        sockets: kinds['socket'] ?? 0,
      };
    })),
    ...(await heaps(node.port).then((h) => ({ heap: h.used, heapTotal: h.total }))),
  });
  while (Date.now() < end) {
    const startedAt = Date.now();
    const s = await sample();
    samples.push(s);
    const smapsDir = process.env['BENCH_SOAK_SMAPS'];
    if (smapsDir && samples.length % 6 === 1)
      // /proc files report size 0, so they are read, not copied.
      writeFileSync(
        `${smapsDir}/t${String(Math.round(s.t / 1000)).padStart(4, '0')}.smaps`,
        readFileSync(`/proc/${pid}/smaps`),
      );
    if (process.env['BENCH_SOAK_TRACE'])
      note(
        `t=${Math.round(s.t / 1000)}s rss=${Math.round(s.rss)} anon=${Math.round(s.anon)} ${JSON.stringify(s.heap)} fds=${s.fds} ${JSON.stringify(s.kinds)}`,
      );
    // Every 5 s from the previous sample's start: a sample that waited for a moment between commands does not
    // thin out the later windows (the waits grow with the group by's time).
    await new Promise((r) => setTimeout(r, Math.min(Math.max(0, 5000 - (Date.now() - startedAt)), end - Date.now())));
  }
  await Promise.all([load, mixed]);
  samples.push(await sample());
  const first = samples.find((s) => s.t >= warmUpMs) ?? samples[0]!;
  const last = samples[samples.length - 1]!;

  // 4. Every acknowledged row, once.
  const landBy = Date.now() + 120_000;
  let stored = 0;
  while ((stored = await count(node.port, 'edge', 'soak')) < acked && Date.now() < landBy)
    await new Promise((r) => setTimeout(r, 200));
  const distinct = Number(
    (
      JSON.parse(await get(node.port, 'sql edge format = json "select count(distinct count) as n from soak"')) as {
        Query: { n: number }[];
      }
    ).Query[0]!.n,
  );
  const extra = {
    minutes,
    sql: withSql,
    measured_rows_per_s: Math.round(rate),
    soak_rows_per_s: Math.round(target),
    acked,
    stored,
    put_errors: putErrors,
    queries,
    query_errors: queryErrors,
    warm_up_s: Math.round(first.t / 1000),
    query_workers_before: poolWorkers.started,
    query_workers_after: (await queryPool(node.port)).started,
    query_pool_size: poolWorkers.size,
  };
  // RSS and open fds move with the load of the moment: RSS by 60 MB within a minute at a steady rate (batches,
  // queries, collections: 217-283 MB in one run), open fds with the REST connections (the client keeps up to 16,
  // pooled for 4 s). One sample at each end is then a coin toss, so both figures compare the median of the minute
  // after warm-up with the median of the last minute (about 12 samples each; `window_samples` says how many):
  // steady growth still shows whole (a leak of one descriptor a minute moves it by nine over ten minutes). The
  // single samples at each end are in the lines too.
  const windowMs = Math.min(60_000, (last.t - first.t) / 2);
  const median = (xs: number[]): number => {
    const v = [...xs].sort((a, b) => a - b);
    return v.length % 2 ? v[(v.length - 1) / 2]! : (v[v.length / 2 - 1]! + v[v.length / 2]!) / 2;
  };
  const early = samples.filter((s) => s.t >= first.t && s.t < first.t + windowMs);
  const late = samples.filter((s) => s.t > last.t - windowMs);
  const rssEarly = median(early.map((s) => s.rss));
  const rssLate = median(late.map((s) => s.rss));
  const fdEarly = median(early.map((s) => s.fds));
  const fdLate = median(late.map((s) => s.fds));
  const anyEarly = median(early.map((s) => s.fdsAnyMoment));
  const anyLate = median(late.map((s) => s.fdsAnyMoment));
  const growth = ((rssLate - rssEarly) / rssEarly) * 100;
  const rssAnyEarly = median(early.map((s) => s.rssAnyMoment));
  const rssAnyLate = median(late.map((s) => s.rssAnyMoment));
  // The trend: each minute's median from the warm-up on (a leak climbs minute by minute; a load that swings does not).
  const perMinute = (f: (s: Sample) => number): number[] => {
    const out: number[] = [];
    for (let t = first.t; t <= last.t; t += 60_000) {
      const inMinute = samples.filter((s) => s.t >= t && s.t < t + 60_000);
      if (inMinute.length > 0) out.push(Math.round(median(inMinute.map(f))));
    }
    return out;
  };
  const round1 = (x: number): number => Math.round(x * 10) / 10;
  const heapTotalMedians = (w: Sample[]): Record<string, number> =>
    Object.fromEntries(
      Object.keys(w[0]?.heapTotal ?? {}).map((k) => [k, round1(median(w.map((s) => s.heapTotal[k] ?? 0)))]),
    );
  jsonLine('soak.rss-growth', growth, '%', 0, {
    ...extra,
    sampled: `between two commands of the mixed loop (no query running), ${SETTLE_MS} ms after the last answered`,
    unsettled: samples.filter((s) => !s.settled).length,
    // The same at any moment (a query perhaps running: its page cache, sort and result are the node's RSS then).
    any_moment_growth_pct: round1(((rssAnyLate - rssAnyEarly) / rssAnyEarly) * 100),
    any_moment_minute_medians_mb: perMinute((s) => s.rssAnyMoment),
    // How often a command was running at the sample's moment, in each window: a longer query is caught more often.
    command_running: [early, late].map((w) => `${w.filter((s) => s.commandRunning).length} of ${w.length}`),
    rss_median_first_window_mb: Math.round(rssEarly),
    rss_median_last_window_mb: Math.round(rssLate),
    window_s: Math.round(windowMs / 1000),
    window_samples: [early.length, late.length],
    rss_range_mb: [
      Math.round(Math.min(...samples.map((s) => s.rss))),
      Math.round(Math.max(...samples.map((s) => s.rss))),
    ],
    // The growth from the first sample (load start, before warm-up), never hidden by the warm-up point.
    rss_start_mb: Math.round(samples[0]!.rss),
    growth_from_start_pct: Math.round(((last.rss - samples[0]!.rss) / samples[0]!.rss) * 1000) / 10,
    rss_first_mb: Math.round(first.rss),
    rss_last_mb: Math.round(last.rss),
    rss_max_mb: Math.round(Math.max(...samples.map((s) => s.rss))),
    // The highest RSS seen at all (at any moment, a query perhaps running).
    any_moment_max_mb: Math.round(Math.max(...samples.map((s) => s.rssAnyMoment))),
    anon_first_mb: Math.round(first.anon),
    anon_last_mb: Math.round(last.anon),
    file_first_mb: Math.round(first.file),
    file_last_mb: Math.round(last.file),
    heap_first_mb: first.heap,
    heap_last_mb: last.heap,
    // What each thread's V8 heap holds, in the minute after warm-up and in the last minute of load (medians).
    heap_total_first_mb: heapTotalMedians(early),
    heap_total_late_mb: heapTotalMedians(late),
    heap_total_minute_medians_mb: perMinute((s) => Object.values(s.heapTotal).reduce((a, b) => a + b, 0)),
    rss_minute_medians_mb: perMinute((s) => s.rss),
    anon_minute_medians_mb: perMinute((s) => s.anon),
    target: '<= 5%',
  });
  jsonLine('soak.fd-growth', fdLate - fdEarly, 'fds', 0, {
    sampled: `between two commands of the mixed loop (no query running), ${SETTLE_MS} ms after the last answered`,
    unsettled: samples.filter((s) => !s.settled).length,
    fds_minute_medians: perMinute((s) => s.fds),
    // The same at any moment (a query perhaps running, with its connections' descriptors): in the lines too.
    any_moment_growth: anyLate - anyEarly,
    any_moment_minute_medians: perMinute((s) => s.fdsAnyMoment),
    fds_median_first_window: fdEarly,
    fds_median_last_window: fdLate,
    window_s: Math.round(windowMs / 1000),
    window_samples: [early.length, late.length],
    fds_range: [Math.min(...samples.map((s) => s.fds)), Math.max(...samples.map((s) => s.fds))],
    fds_first: first.fds,
    fds_last: last.fds,
    // Of those, sockets (REST connections of the moment) and the rest (files, pipes, eventfds).
    sockets_first: first.sockets,
    sockets_last: last.sockets,
    other_fds_growth: last.fds - last.sockets - (first.fds - first.sockets),
    fd_kinds_first: first.kinds,
    fd_kinds_last: last.kinds,
    target: '0',
  });
  jsonLine('soak.acked-lost', Math.max(0, acked - distinct), 'rows', 0, {
    duplicated: stored - distinct,
    target: '0',
  });
} finally {
  await node.stop();
}
