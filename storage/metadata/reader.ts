// A worker's read-only view of the node's metadata (the LMDB store beside `!blockchain_file`, which the
// main thread's Ledger writes). The file can move (`set anylog home`), so each read names it and the view
// reopens when the store's path changed. LMDB readers in several threads share the one environment safely.
import { storePath } from './ledger.js';
import { LedgerStore } from './store.js';

export class MetadataReader {
  private store: LedgerStore | undefined;
  /** Closes of stores left behind by a move, awaited by `close` so none is dropped unobserved. */
  private readonly retired: Promise<void>[] = [];

  /** The store of the blockchain file `file`, opened read-only on first use or after a move. */
  at(file: string): LedgerStore {
    const path = storePath(file);
    if (this.store?.path !== path) {
      if (this.store) this.retired.push(this.store.close());
      this.store = LedgerStore.open(path, { readOnly: true });
    }
    return this.store;
  }

  async close(): Promise<void> {
    const last = this.store;
    this.store = undefined;
    await Promise.all([...this.retired.splice(0), last?.close()]);
  }
}
