// `run blobs archiver where blobs_dir, bwatch_dir, archive_dir, dbms, folder, compress, reuse_blobs`
// (EdgeLake member_cmd.py L11907-11930; the seeds also write `file`, an older name for `folder`).
import { bool, schema, str, type Infer } from '../../runtime/config/schema.js';

const shape = {
  blobs_dir: str(),
  bwatch_dir: str(),
  archive_dir: str(),
  dbms: bool(true, { doc: 'index each blob in the blobs dbms table' }),
  folder: bool(false, { doc: 'archive by date folder (yy/mm/dd)' }),
  compress: bool(false),
  reuse_blobs: bool(false),
  blobs_dbms: str('blobs', { doc: 'dbms holding the blobs index table' }),
};
export const blobsArchiverSchema = schema('blobs archiver', shape, {
  aliases: { file: 'folder', blob_dir: 'blobs_dir' },
});
export type BlobsArchiverConfig = Infer<typeof shape>;
