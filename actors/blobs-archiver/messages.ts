// The blobs archiver actor's mailbox.
import { actorAddress, type Ask } from '../../runtime/address.js';

export type BlobsIn =
  /** Internal: a file appeared in bwatch_dir (or the periodic scan runs: no path). */
  | { type: 'blobs.scan'; path?: string }
  | Ask<{ type: 'blobs.stats'; format: 'table' | 'json' }, string>
  /** `file store`: copy a file into the archive and index it (the source stays). Replies the file id. */
  | Ask<{ type: 'blobs.store'; source: string; dbms: string; table: string; id?: string }, string>;

export const BLOBS_ARCHIVER = actorAddress<BlobsIn>('blobs-archiver');
