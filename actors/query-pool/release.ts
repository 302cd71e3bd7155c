// What a query worker does after each SQLite query so that the query's closed connections let go of their database
// and WAL descriptors (storage/dbms/sqlite-query.ts runs each query on connections of its own and closes them when
// it settles). libsql-js closes a connection only when the last statement prepared on it is finalized, which happens
// when V8 collects the statement objects:
// - a young-generation collection once the answer is on its way frees the statements of most queries (~0.2 ms): a
//   worker that allocates little collects rarely, and 1,000 queries left ~300 descriptors open without it
//   (test/services/query-fds.test.ts);
// - the statements of a query that lasted through two young collections (a long scan while the temp-file watchdog
//   allocates; a large result copied out row by row) are promoted to old space and wait for a full collection, which
//   an idle query worker may not run for minutes. As the soak's table grew its queries grew longer, and the node's
//   open descriptors crept up by one or two a few minutes apart (bench/README.md soak). SQLite then keeps a closed
//   connection's database descriptor for the next open of that file while the writer holds its WAL-mode lock
//   (os_unix.c `unixClose`), so the most connections ever waiting at once stay as open descriptors.
// So a full collection follows every SQLite query within FULL_GC_GAP_MS, at most one per that gap: right after the
// query when none ran in the last gap. A full collection of a query worker's heap took ~5 ms in a probe, so at most
// 0.5% of a core for a worker answering queries without pause, nothing for an idle one. (Counting the waiting
// connections with a FinalizationRegistry does not work: V8 11's young-generation collection keeps a registered
// object alive, so every statement waited for a full collection: 605 descriptors after 300 queries.)
// The actor runs the collections (actors/query-pool/index.ts): the young one once the answer is on its way, the full
// one at the `query.collect` message this schedule asks for, so the timer only sends and `handle` collects.
import type { Clock, TimerHandle } from '../../runtime/clock.js';

/** At most one full collection per this long (ms), and one within this long after any query. */
export const FULL_GC_GAP_MS = 1000;

export class CollectSchedule {
  private lastFull = -Infinity;
  private timer: TimerHandle | undefined;

  constructor(
    private readonly clock: Clock,
    /** Asks the actor to collect in full (it sends itself `query.collect`). */
    private readonly due: () => void,
    private readonly gapMs = FULL_GC_GAP_MS,
  ) {}

  /** After a SQLite query settled: a full collection is due within the gap unless one is already. */
  afterQuery(): void {
    if (this.timer !== undefined) return;
    const wait = Math.max(0, this.lastFull + this.gapMs - this.clock.now());
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.due();
    }, wait);
  }

  /** The actor collected in full (at `query.collect`). */
  collected(): void {
    this.lastFull = this.clock.now();
  }

  /** The worker stops: no collection is left pending. */
  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }
}
