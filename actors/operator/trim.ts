// Journal trimming after the rows are in the database: positions are coalesced per
// (dbms, table, stream) and trimmed in the background, off the insert path. A trim that fails is
// harmless (the entries are at or below the recorded position and replay skips them) and is retried.
// A flush that removed entries tells `onTrimmed` (the journal's map release: map-release.ts).
import { errorMessage } from '../../base/errors.js';
import type { Logger } from '../../base/log.js';
import type { Journal } from '../../storage/journal/journal.js';

export class TrimQueue {
  private readonly due = new Map<string, { dbms: string; table: string; stream: string; seq: number }>();
  private running = false;

  constructor(
    private readonly journal: Journal,
    private readonly log: Logger,
    private readonly onTrimmed: () => void = () => undefined,
  ) {}

  add(dbms: string, table: string, stream: string, seq: number): void {
    const k = `${dbms}\u0000${table}\u0000${stream}`;
    const cur = this.due.get(k);
    if (!cur || cur.seq < seq) this.due.set(k, { dbms, table, stream, seq });
  }

  /** Trims what is due; concurrent calls coalesce. */
  async flush(): Promise<void> {
    if (this.running || this.due.size === 0) return;
    this.running = true;
    const work = [...this.due.values()];
    this.due.clear();
    let removed = 0;
    try {
      for (const w of work) removed += await this.journal.trim(w.dbms, w.table, w.stream, w.seq);
      if (removed > 0) this.onTrimmed();
    } catch (err) {
      for (const w of work) this.add(w.dbms, w.table, w.stream, w.seq);
      this.log.warn('journal trim failed; will retry', { error: errorMessage(err) });
    } finally {
      this.running = false;
    }
  }
}
