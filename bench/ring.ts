// npm run bench -- ring
// Records/s of 64-byte records through Ring from a producer thread to the main thread, against a raw
// SharedArrayBuffer copy loop of 64-byte records between the same two threads (fixed slots, an Atomics
// index store per record, the other side's index reloaded only when full / empty: the baseline). Ring figures: push(value)/pop() (msgpack both ends),
// pushBytes/popBytes (pre-encoded), pushBytesMany/drainBytes and pushMany/drain (batches of 64 with one
// index store per batch: the producer's HEAD; the consumer takes up to 256 per TAIL store). Each mode runs for a fixed
// time after a discarded warm-up, alternating with the baseline; the figure is the median round.
import { Worker } from 'node:worker_threads';
import { Ring } from '../runtime/ring.js';
import { jsonLine, median, note } from './lib/report.js';
import type { RingMode } from './lib/ring-producer.js';
import { RAW, createRaw, rawSlots } from './lib/ring-raw.js';

const ROUND_MS = Number(process.env['BENCH_ROUND_MS'] ?? 1500);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
const CAPACITY = 1 << 20;

function startProducer(sab: SharedArrayBuffer, mode: RingMode, ms: number): Promise<Worker> {
  const url = new URL('./lib/ring-producer.ts', import.meta.url).href;
  const code = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(url)}); })`;
  const w = new Worker(code, { eval: true, workerData: { sab, mode, ms } });
  return new Promise((resolve, reject) => {
    w.once('message', () => resolve(w));
    w.once('error', reject);
  });
}

/** Consumes on this thread until the producer closes; records/s from the first record to the last. */
function consume(sab: SharedArrayBuffer, mode: RingMode): { n: number; secs: number } {
  let n = 0;
  let t0 = 0;
  if (mode === 'raw') {
    const { ctl, data, slots } = rawSlots(sab);
    const mask = slots - 1;
    let tail = 0;
    let headSeen = 0;
    for (;;) {
      if (headSeen === tail) {
        // Acquire: the slot bytes written before the producer's HEAD store are visible after this load.
        headSeen = Atomics.load(ctl, RAW.HEAD);
        if (headSeen === tail) {
          if (Atomics.load(ctl, RAW.CLOSED) === 1 && Atomics.load(ctl, RAW.HEAD) === tail) break;
          continue;
        }
      }
      if (t0 === 0) t0 = performance.now();
      const off = (tail & mask) * 64;
      const rec = data.slice(off, off + 64); // an owned copy, as Ring.popBytes returns
      if (rec.length !== 64) throw new Error('short record');
      tail++;
      // Release: the slot was copied out before the producer may reuse it.
      Atomics.store(ctl, RAW.TAIL, tail);
      n++;
    }
  } else {
    const ring = Ring.attach<string>(sab);
    for (;;) {
      let got = 0;
      if (mode === 'value') {
        const v = ring.pop();
        if (v !== undefined) got = 1;
      } else if (mode === 'bytes') {
        if (ring.popBytes() !== undefined) got = 1;
      } else if (mode === 'batch') got = ring.drainBytes(256).length;
      else got = ring.drain(256).length;
      if (got === 0) {
        if (!ring.waitForDataSync(50) && ring.isClosed()) break;
        continue;
      }
      if (t0 === 0) t0 = performance.now();
      n += got;
    }
  }
  return { n, secs: (performance.now() - t0) / 1000 };
}

async function round(mode: RingMode, ms: number): Promise<number> {
  const sab = mode === 'raw' ? createRaw(CAPACITY) : Ring.create(CAPACITY).sab;
  const w = await startProducer(sab, mode, ms);
  const done = new Promise<{ pushed: number }>((r) => w.once('message', r));
  w.postMessage('go');
  const { n, secs } = consume(sab, mode);
  const { pushed } = await done;
  await w.terminate();
  if (pushed !== n) throw new Error(`${mode}: pushed ${pushed}, popped ${n}`);
  return n / secs;
}

async function main(): Promise<void> {
  const modes: RingMode[] = ['value', 'bytes', 'batch', 'values'];
  for (const m of [...modes, 'raw' as const]) await round(m, 300); // warm-up, discarded
  const rates: Record<RingMode, number[]> = { value: [], bytes: [], batch: [], values: [], raw: [] };
  for (let i = 0; i < ROUNDS; i++) {
    rates.raw.push(await round('raw', ROUND_MS));
    for (const m of modes) rates[m].push(await round(m, ROUND_MS));
    note(
      `round ${i + 1}: ${(Object.keys(rates) as RingMode[]).map((m) => `${m} ${Math.round(rates[m].at(-1)!)}`).join(', ')} records/s`,
    );
  }
  const base = median(rates.raw);
  const common = {
    recordBytes: 64,
    ringBytes: CAPACITY,
    roundMs: ROUND_MS,
    rounds: ROUNDS,
    target: '>= 5000000 records/s',
  };
  jsonLine('ring.push-value', median(rates.value), 'records/s', base, { api: 'push(value) / pop()', ...common });
  jsonLine('ring.push-bytes', median(rates.bytes), 'records/s', base, { api: 'pushBytes / popBytes', ...common });
  jsonLine('ring.push-batch', median(rates.batch), 'records/s', base, {
    api: 'pushBytesMany(64) / drainBytes(256)',
    ...common,
  });
  jsonLine('ring.push-values-batch', median(rates.values), 'records/s', base, {
    api: 'pushMany(64 values) / drain(256)',
    ...common,
  });
}

await main();
