// RSS of a node taking one 55 MB streaming PUT of 500k rows (issue 12, item 6: peak ≤ 320 MB, and back within
// 20% of idle after the rows landed). The node runs from dist/ in a child process (REST, streamer, operator,
// SQLite); its RSS is sampled from /proc every 20 ms while the PUT is sent, acknowledged and inserted, and then
// for BENCH_SETTLE_S seconds (20) after the last row is queryable: "after" is the median of that window's last 5 s. Baseline: the same node's idle RSS just before, after
// its first row and query (`idle_cold_mb` is before them).
// Linux only (/proc).
import { readFileSync, rmSync } from 'node:fs';
import { count, put, startNode } from './ingest-common.js';
import { jsonLine, note, percentile } from './lib/report.js';

const ROWS = Number(process.env['BENCH_ROWS'] ?? 500_000);
const SETTLE_S = Number(process.env['BENCH_SETTLE_S'] ?? 20);

/** Resident set (kB) of a process from /proc/<pid>/status: VmRSS now, VmHWM its peak so far. */
function status(pid: number): { rss: number; hwm: number; anon: number; file: number } {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string): number => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(s)?.[1] ?? NaN);
  return { rss: kb('VmRSS'), hwm: kb('VmHWM'), anon: kb('RssAnon'), file: kb('RssFile') + kb('RssShmem') };
}

function body(n: number): string {
  const base = Date.UTC(2026, 0, 1);
  const parts: string[] = [];
  for (let k = 0; k < n; k++)
    parts.push(
      JSON.stringify({
        timestamp: new Date(base + k).toISOString(),
        device: `dev-${k % 16}`,
        site: `site-${k % 5}`,
        value: k * 0.25,
        count: k,
        ok: k % 2 === 0,
      }),
    );
  return `[${parts.join(',')}]`;
}

const text = body(ROWS);
note(`put-55mb-rss: body ${(text.length / 1e6).toFixed(1)} MB, ${ROWS} rows`);
const node = await startNode('  bench:\n    type: sqlite\n');
const pid = node.proc.pid!;
try {
  await new Promise((r) => setTimeout(r, 3000));
  // Idle as started, and idle after its first use: a node loads its database engine and starts its first query
  // worker at the first rows and the first query (README, Known limits), both kept for its life. The PUT's
  // "after" is compared with the node idle after that first use (one row in another table, one query, 3 s), so
  // that it measures what the burst left behind, not what any first use loads.
  const idleCold = status(pid).rss;
  await put(node.port, { type: 'json', dbms: 'bench', table: 'first', mode: 'streaming' }, '[{"a":1}]');
  const firstBy = Date.now() + 30_000;
  while ((await count(node.port, 'bench', 'first')) < 1) {
    if (Date.now() > firstBy) throw new Error('the first row did not land within 30 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  await new Promise((r) => setTimeout(r, 3000));
  const idle = status(pid).rss;
  let peak = idle;
  let peakAnon = 0;
  let peakFile = 0;
  const sampler = setInterval(() => {
    const st = status(pid);
    peak = Math.max(peak, st.rss);
    peakAnon = Math.max(peakAnon, st.anon);
    peakFile = Math.max(peakFile, st.file);
  }, 20);
  const t0 = performance.now();
  await put(node.port, { type: 'json', dbms: 'bench', table: 'big', mode: 'streaming' }, text);
  const ackMs = performance.now() - t0;
  const deadline = Date.now() + 120_000;
  while ((await count(node.port, 'bench', 'big')) < ROWS) {
    if (Date.now() > deadline) throw new Error('the rows did not land within 120 s');
    await new Promise((r) => setTimeout(r, 250));
  }
  const landedMs = performance.now() - t0;
  const landed = await count(node.port, 'bench', 'big');
  if (landed !== ROWS) throw new Error(`${landed} rows landed, not ${ROWS}`);
  // RSS after: the whole settle window is sampled (every 500 ms) and the figure is the median of its last 5 s,
  // where the node has settled and stays; the lowest sample is printed beside it (after_min_mb). The heap shrinks
  // at the next GCs and the native heaps at the next trims, which idle workers run late.
  const settle: { at: number; rss: number }[] = [];
  const end = Date.now() + SETTLE_S * 1000;
  while (Date.now() < end) {
    settle.push({ at: Date.now(), rss: status(pid).rss });
    await new Promise((r) => setTimeout(r, 500));
  }
  const tail = settle.filter((x) => x.at >= end - 5000).map((x) => x.rss);
  const after = percentile(tail.length > 0 ? tail : [status(pid).rss], 50);
  const afterMin = Math.min(...settle.map((x) => x.rss));
  clearInterval(sampler);
  const hwm = status(pid).hwm;
  jsonLine('put-55mb-rss', peak / 1024, 'MB RSS peak', idle / 1024, {
    baselineIs: 'the same node idle, just before the PUT, after its first row and query',
    note: 'lower is better; ratio = peak / idle',
    target: 'peak <= 320 MB; after <= 1.2 x idle',
    body_mb: Number((Buffer.byteLength(text) / 1e6).toFixed(1)),
    rows: ROWS,
    vm_hwm_mb: Math.round(hwm / 1024),
    // RssFile counts mapped file pages (the LMDB journal, SQLite) that the kernel may drop; RssAnon is heap.
    peak_anon_mb: Math.round(peakAnon / 1024),
    peak_file_mb: Math.round(peakFile / 1024),
    after_anon_mb: Math.round(status(pid).anon / 1024),
    after_file_mb: Math.round(status(pid).file / 1024),
    after_mb: Math.round(after / 1024),
    after_min_mb: Math.round(afterMin / 1024),
    settle_s: SETTLE_S,
    after_ratio: Number((after / idle).toFixed(3)),
    idle_cold_mb: Math.round(idleCold / 1024),
    after_ratio_cold: Number((after / idleCold).toFixed(3)),
    ack_ms: Math.round(ackMs),
    landed_ms: Math.round(landedMs),
    rows_per_s: Math.round((ROWS * 1000) / landedMs),
    // glibc's malloc settings the node inherited (README "Known limits"): they change what is given back after the load.
    malloc_env:
      Object.entries(process.env)
        .filter(([k]) => k.startsWith('MALLOC_'))
        .map(([k, v]) => `${k}=${v ?? ''}`)
        .join(' ') || 'default',
  });
} finally {
  await node.stop();
  rmSync(node.root, { recursive: true, force: true });
}
