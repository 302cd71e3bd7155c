// How either side of a ring (runtime/ring.ts) sleeps until the other has pushed or popped: written once as a
// generator of sleeps, driven by a blocking (Atomics.wait) or an async (Atomics.waitAsync) driver.
import { keepingAlive } from './ring-layout.js';

type WaitResult = 'ok' | 'not-equal' | 'timed-out';

/** One sleep of the wait protocol: on control word `word` while it holds `seq`, at most `ms`. */
export interface Sleep {
  word: number;
  seq: number;
  ms: number;
}

export type Sleeps = Generator<Sleep, boolean, WaitResult>;

/**
 * The sleep protocol: announce the sleep in `flagWord` of `ctl` (the other side then bumps `seqWord` and notifies
 * after its next push or pop), re-check, and sleep on `seqWord` while it still holds the value read before the
 * announcement, until `ready`, `closed`, or the deadline. Each sleep is yielded to the driver, which hands back its
 * result.
 */
export function* sleepUntil(
  ctl: Int32Array,
  ready: () => boolean,
  closed: () => boolean,
  seqWord: number,
  flagWord: number,
  timeoutMs: number,
): Sleeps {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (ready()) return true;
    if (closed()) return false;
    const seq = Atomics.load(ctl, seqWord);
    Atomics.store(ctl, flagWord, 1);
    // Re-check after announcing the sleep: a push or pop between the check and the flag would otherwise be missed.
    if (ready()) {
      Atomics.store(ctl, flagWord, 0);
      return true;
    }
    const left = deadline - Date.now();
    if (left <= 0) {
      Atomics.store(ctl, flagWord, 0);
      return false;
    }
    const res = yield { word: seqWord, seq, ms: left };
    Atomics.store(ctl, flagWord, 0);
    if (res === 'timed-out') return ready();
  }
}

/** Drives `steps` by blocking this thread. */
export function sleepSync(ctl: Int32Array, steps: Sleeps): boolean {
  let step = steps.next();
  while (!step.done) step = steps.next(Atomics.wait(ctl, step.value.word, step.value.seq, step.value.ms));
  return step.value;
}

/** Drives `steps` without blocking the thread. */
export async function sleepAsync(ctl: Int32Array, steps: Sleeps): Promise<boolean> {
  let step = steps.next();
  while (!step.done) {
    const r = Atomics.waitAsync(ctl, step.value.word, step.value.seq, step.value.ms);
    step = steps.next(r.async ? await keepingAlive(r.value) : r.value);
  }
  return step.value;
}
