// Streamed rows as EdgeLake files. EdgeLake's streamer writes every flush as a JSON file that its
// operator then ingests, so each flush gets a row in almgm.tsd_info and, with `distributor = true`,
// a copy for the HA distributor. Here streamed rows go from the journal straight into the table, so
// the operator does that bookkeeping per applied batch itself:
//   - with update_tsd_info: a tsd_info row (its file_id is the rows' tsd_id), filled in after the insert
//   - with distributor: the batch as an EdgeLake file (`dbms.table.0.<md5>.0.<member>.<file id>.<date>.json`,
//     one JSON object per line) in the archive (for peers' consumers asking for it by hash) and a copy in
//     distr_dir (for this node's distributor)
// The file is written after the rows commit; a crash in between leaves those rows unreplicated until a
// peer's data consumer finds them missing (it compares tsd tables), so nothing is lost for good.
import { mkdir, writeFile, rename, copyFile } from 'node:fs/promises';
import { rowsText } from '../../protocols/frames/json-bytes.js';
import { dirname, join } from 'node:path';
import { archivePath } from '../../protocols/files/dest.js';
import { fileHash, tsdFileName, type JsonFileName } from '../../protocols/files/names.js';
import { DUPLICATE_FILE, type TsdInfo } from './tsd.js';
import { DbmsError } from '../../base/errors.js';

export interface BatchFileContext {
  tsdInfo: TsdInfo | undefined;
  /** Set when `distributor = true`. */
  distribute: { archiveDir: string; distrDir: string } | undefined;
  memberId: number;
  nextRowId: () => string;
}

export interface PendingBatchFile {
  tsdId: number;
  finish(rows: number): Promise<void>;
}

/** Lines of an EdgeLake file for a JSON array text of rows (deterministic: the hash depends on it). */
function fileContent(rowsJson: string | Uint8Array): string {
  return (JSON.parse(rowsText(rowsJson)) as unknown[]).map((r) => JSON.stringify(r)).join('\n') + '\n';
}

async function writeAtomic(path: string, content: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${path.slice(dirname(path).length + 1)}.part`);
  await writeFile(tmp, content, { mode: 0o600 });
  await rename(tmp, path);
}

/** True when applied batches get a tsd_info row or an HA file (`beginBatchFile` then needs their rows whole). */
export const keepsBatchFiles = (ctx: BatchFileContext): boolean =>
  ctx.tsdInfo !== undefined || ctx.distribute !== undefined;

/** Before the insert: the tsd row (when kept). After it: `finish` fills the row count and writes the files. */
export async function beginBatchFile(
  ctx: BatchFileContext,
  dbms: string,
  table: string,
  rowsJson: string | Uint8Array,
): Promise<PendingBatchFile | undefined> {
  if (!keepsBatchFiles(ctx)) return undefined;
  const content = fileContent(rowsJson);
  const now = new Date();
  let hash = fileHash(dbms, table, content);
  let tsdId = 0;
  for (let n = 1; ctx.tsdInfo; n++) {
    try {
      tsdId = await ctx.tsdInfo.begin(dbms, table, '0', hash, '0', now);
      break;
    } catch (err) {
      // Two streamed batches with the same rows are both data (EdgeLake would have dropped the second
      // file as a duplicate): give this one a distinct hash.
      if (!(err instanceof DbmsError && err.code === DUPLICATE_FILE) || n > 100) throw err;
      hash = fileHash(dbms, table, `${content}#${n}`);
    }
  }
  return {
    tsdId,
    async finish(rows) {
      if (ctx.tsdInfo) await ctx.tsdInfo.finish(tsdId, rows);
      if (!ctx.distribute) return;
      const base: JsonFileName = {
        type: 'json',
        fileName: '',
        dbms,
        table,
        source: '0',
        hash,
        instructions: '0',
        warnings: [],
      };
      const name = tsdFileName(base, ctx.memberId, tsdId > 0 ? tsdId : ctx.nextRowId(), now);
      const archived = join(ctx.distribute.archiveDir, archivePath(name, now).slice(0, -3));
      await writeAtomic(archived, content);
      await mkdir(ctx.distribute.distrDir, { recursive: true });
      const tmp = join(ctx.distribute.distrDir, `.${name}.part`);
      await copyFile(archived, tmp);
      await rename(tmp, join(ctx.distribute.distrDir, name));
    },
  };
}
