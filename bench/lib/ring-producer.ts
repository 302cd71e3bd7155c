// Producer thread of the ring benchmark (started by bench/ring.ts): pushes 64-byte records into the
// shared memory it is given, in the mode asked for, until `ms` have passed; then closes the ring.
//   value  Ring.push(value): msgpack-encodes a 62-character string (64 bytes encoded) per record
//   bytes  Ring.pushBytes(pre-encoded 64 bytes)
//   batch  Ring.pushBytesMany(64 pre-encoded records) (one HEAD store per batch)
//   values Ring.pushMany(64 values): msgpack per record, one HEAD store per batch
//   raw    the baseline: fixed 64-byte slots in a SharedArrayBuffer, an Atomics index per record
import { parentPort, workerData } from 'node:worker_threads';
import { Packr } from 'msgpackr';
import { Ring } from '../../runtime/ring.js';
import { RAW, rawSlots } from './ring-raw.js';

export type RingMode = 'value' | 'bytes' | 'batch' | 'values' | 'raw';

const { sab, mode, ms } = workerData as { sab: SharedArrayBuffer; mode: RingMode; ms: number };

const VALUE = 'v'.repeat(62);
const ENCODED = new Packr({ useRecords: false, moreTypes: false }).pack(VALUE);
if (ENCODED.length !== 64) throw new Error(`a record should encode to 64 bytes, not ${ENCODED.length}`);

function produceRing(): number {
  const ring = Ring.attach<string>(sab);
  const batch = Array.from({ length: 64 }, () => ENCODED);
  const values = Array.from({ length: 64 }, () => VALUE);
  const end = performance.now() + ms;
  let n = 0;
  while (performance.now() < end) {
    for (let k = 0; k < 1024;) {
      let ok: number;
      if (mode === 'value') ok = ring.push(VALUE) ? 1 : 0;
      else if (mode === 'bytes') ok = ring.pushBytes(ENCODED) ? 1 : 0;
      else if (mode === 'batch') ok = ring.pushBytesMany(batch);
      else ok = ring.pushMany(values);
      if (ok === 0) ring.waitForSpaceSync(mode === 'batch' || mode === 'values' ? 64 * 68 : 64, 50);
      k += ok;
      n += ok;
    }
  }
  ring.close();
  return n;
}

function produceRaw(): number {
  const { ctl, data, slots } = rawSlots(sab);
  const mask = slots - 1;
  const end = performance.now() + ms;
  let head = 0;
  let tailSeen = 0;
  while (performance.now() < end) {
    for (let k = 0; k < 1024; k++) {
      // Acquire: the consumer's TAIL store comes after it copied the slot out. Reloaded only when full.
      while (head - tailSeen >= slots) tailSeen = Atomics.load(ctl, RAW.TAIL);
      data.set(ENCODED, (head & mask) * 64);
      head++;
      // Release: the slot's bytes are ordered before this store.
      Atomics.store(ctl, RAW.HEAD, head);
    }
  }
  Atomics.store(ctl, RAW.CLOSED, 1);
  return head;
}

parentPort!.once('message', () => {
  const t0 = performance.now();
  const n = mode === 'raw' ? produceRaw() : produceRing();
  parentPort!.postMessage({ pushed: n, ms: performance.now() - t0 });
});
parentPort!.postMessage('ready');
