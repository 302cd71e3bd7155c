// When the operator gives the journal's mapped pages back (storage/journal/map-release.ts: madvise DONTNEED on
// data.mdb's shared maps; the pages stay in the page cache). The operator is the journal's reader, and it does this
// in its own thread while its journal is open, which is what keeps the released ranges mapped to the journal.
// What maps journal pages into the process: reading entries back (a large PUT's catch-up, a replay) and trimming
// them. A trim reads each removed value's first overflow page (LMDB `mdb_cursor_del` frees the value's pages by
// its header), and the kernel maps the neighbouring cached pages with it (fault-around): after a 55 MB body was
// caught up and released, its trim mapped 42 of its 57 MB back within 100 ms (a scratch probe, not a bench). So
// the release follows every trim flush that removed something (the trim queue flushes at most every 500 ms: at
// most two releases a second, about a millisecond each), plus once per PERIOD_MS for reads no trim follows
// (entries waiting for `connect dbms`, the lag pass). A gap between releases would skip the last trim of a burst.
import { errorMessage } from '../../base/errors.js';
import type { Logger } from '../../base/log.js';
import type { Journal } from '../../storage/journal/journal.js';

export const PERIOD_MS = 10_000;

export class JournalMapRelease {
  private last = 0;
  private off = false;

  constructor(
    private readonly journal: Journal,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** Entries were trimmed (the trim mapped their pages). */
  trimmed(): void {
    this.release();
  }

  /** Called about once a second; releases when PERIOD_MS passed since the last release. */
  tick(): void {
    if (this.now() - this.last >= PERIOD_MS) this.release();
  }

  /** Releases now. A failure (madvise absent: not Linux) is logged once and the releases stop. */
  release(): void {
    if (this.off) return;
    this.last = this.now();
    try {
      const r = this.journal.releaseMapped();
      // DONTNEED walks the map's page tables only (about a millisecond after a 55 MB body): worth knowing if slow.
      if (r.ms > 50) this.log.warn('journal map release was slow', { ms: Math.round(r.ms), mappings: r.mappings });
    } catch (err) {
      this.off = true;
      this.log.info("the journal's map pages are not released: pages read stay resident", {
        error: errorMessage(err),
      });
    }
  }
}
