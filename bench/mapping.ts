// Mapping throughput: the compiled vector-5 topic (spec interop vector 5) against a hand-written function
// doing the same extraction (same checks, same name rule, same `now` text). Payloads are already-parsed
// objects, so JSON.parse (the same cost for both) does not hide the mapping cost. The two run in
// alternating 100 ms slices, after a 1 s warm-up, for ~5 s each: on a shared noisy machine the ratio is
// the figure that counts. Prints one JSON line.
import { performance } from 'node:perf_hooks';
import { compileTopic } from '../protocols/mapping/compile.js';
import { normalizeName } from '../protocols/mapping/names.js';
import type { MapResult } from '../protocols/mapping/result.js';
import { formatNow } from '../protocols/mapping/timestamp.js';
import { jsonLine } from './lib/report.js';

const WARMUP_MS = 1000;
const MEASURE_MS = 5000;
const SLICE_MS = 100;
const BATCH = 1024;

const mapper = compileTopic({
  name: 'sensors',
  dbms: 'testdb',
  table: 'bring [sensor]',
  extra: {
    'column.timestamp.timestamp': 'now',
    'column.value': { type: 'float', value: 'bring [reading][value]' },
    'column.unit.str': 'bring [reading][unit]',
  },
});

let lastMs = NaN;
let lastStamp = '';
/** What a person would write for this one topic. */
function handWritten(msg: unknown, now: Date): MapResult {
  const ms = now.getTime();
  if (ms !== lastMs) {
    lastMs = ms;
    lastStamp = formatNow(now);
  }
  if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) {
    return { error: { code: 299, reason: 'not a JSON object' } };
  }
  const sensor = (msg as Record<string, unknown>)['sensor'];
  const table = typeof sensor === 'string' ? sensor.trim() : '';
  if (table === '') return { error: { code: 127, reason: 'table bring [sensor] is empty' } };
  const reading = (msg as Record<string, unknown>)['reading'];
  if (reading === null || typeof reading !== 'object') return { error: { code: 125, reason: 'reading missing' } };
  const value = (reading as Record<string, unknown>)['value'];
  const unit = (reading as Record<string, unknown>)['unit'];
  if (typeof value !== 'number' || !Number.isFinite(value)) return { error: { code: 124, reason: 'value' } };
  if (typeof unit !== 'string' || unit === '') return { error: { code: 125, reason: 'unit missing' } };
  return { rows: [{ dbms: 'testdb', table: normalizeName(table), row: { timestamp: lastStamp, value, unit } }] };
}

const messages = Array.from({ length: BATCH }, (_, i) => ({
  sensor: `Temp-${i % 16}`,
  reading: { value: 20 + (i % 100) / 10, unit: i % 2 ? 'C' : 'F' },
}));

type Fn = (m: unknown, now: Date) => MapResult;
let sink = 0;
/** Runs `fn` over batches for `ms` milliseconds; returns [messages, elapsed ms]. */
function run(fn: Fn, ms: number): [number, number] {
  const start = performance.now();
  let n = 0;
  let elapsed = 0;
  do {
    const now = new Date();
    for (let i = 0; i < BATCH; i++) {
      const r = fn(messages[i], now);
      if ('rows' in r) sink += r.rows.length;
      else throw new Error(`benchmark message failed: ${r.error.reason}`);
    }
    n += BATCH;
    elapsed = performance.now() - start;
  } while (elapsed < ms);
  return [n, elapsed];
}

const totals = { mapper: [0, 0], baseline: [0, 0] };
for (let t = 0; t < WARMUP_MS; t += 2 * SLICE_MS) {
  run(mapper, SLICE_MS);
  run(handWritten, SLICE_MS);
}
for (let t = 0; t < MEASURE_MS; t += SLICE_MS) {
  for (const [name, fn] of [
    ['mapper', mapper],
    ['baseline', handWritten],
  ] as const) {
    const [n, ms] = run(fn, SLICE_MS);
    totals[name][0]! += n;
    totals[name][1]! += ms;
  }
}

const rate = (x: number[]): number => Math.round((x[0]! / x[1]!) * 1000);
const value = rate(totals.mapper);
const baseline = rate(totals.baseline);
if (sink === 0) throw new Error('benchmark produced no rows');
jsonLine('mapping', value, 'msg/s', baseline, {
  baselineIs:
    'a hand-written function doing the same extraction (same checks, name rule and now text), alternating slices',
});
