// The blobs archiver actor's mailbox.
export type BlobsIn =
  /** Internal: a file appeared in bwatch_dir (or the periodic scan runs: no path). */
  | { type: 'blobs.scan'; path?: string }
  | { type: 'blobs.stats'; format: 'table' | 'json' }
  /** `file store`: copy a file into the archive and index it (the source stays). Replies the file id. */
  | { type: 'blobs.store'; source: string; dbms: string; table: string; id?: string };
