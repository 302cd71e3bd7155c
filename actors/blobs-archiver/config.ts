// `run blobs archiver where blobs_dir, bwatch_dir, archive_dir, dbms, folder, compress, reuse_blobs`
// (EdgeLake member_cmd.py L11907-11956, members/alarchiver.py; the seeds also write `file`, an older name
// for `folder`). Directories default to the dictionary's `!blobs_dir`, `!bwatch_dir` and `!err_dir`
// (service.ts `defaults`); the archive to `<blobs_dir>/archive`.
// Defaults follow the seed documents (dbms = true, folder = false); EdgeLake's code has the opposite
// (dbms false, folder true), and its docs win here because the seeds are the contract given.
import { bool, schema, str, type Infer } from '../../runtime/config/schema.js';

const shape = {
  blobs_dir: str(undefined, { doc: 'where the blobs named by the JSON files wait ([dbms].[table].[file id])' }),
  bwatch_dir: str(undefined, { doc: 'watched: JSON files referencing blobs, and blobs dropped on their own' }),
  archive_dir: str(undefined, { doc: 'where blobs are archived (default <blobs_dir>/archive)' }),
  err_dir: str(undefined, { doc: 'where a file that cannot be processed goes, with a .reason.txt beside it' }),
  dbms: bool(true, { doc: 'index each blob in the blobs dbms table' }),
  folder: bool(false, { doc: 'archive by date folder (yy/mm/dd, UTC)' }),
  compress: bool(false, { doc: 'gzip the archived blob (retrieval gives the original bytes back)' }),
  reuse_blobs: bool(false, { doc: 'rows may name a blob archived before (it is not required in blobs_dir)' }),
  blobs_dbms: str('blobs', { doc: 'dbms holding the blobs index table (connected as SQLite when it is not)' }),
};
export const blobsArchiverSchema = schema('blobs archiver', shape, {
  aliases: { file: 'folder', blob_dir: 'blobs_dir', error_dir: 'err_dir' },
});
export type BlobsArchiverConfig = Infer<typeof shape>;
