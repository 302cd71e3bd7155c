// Data PUTs (EdgeLake http_server.py L1844-1950, L2708-2757):
//   headers  dbms, table (lower-cased), type (json), mode = streaming | file (default file),
//            source (default 0), instructions (default 0)
//   mode = streaming: the rows are appended to the durable journal, and the reply waits for that
//     commit (EdgeLake keeps them in memory for up to 60 s); then they go to the streamer's ring.
//   mode = file: the rows become `dbms.table.source.hash.instructions.json` (one JSON object per
//     line, Python json.dumps spacing) written to prep_dir, fsynced and renamed into watch_dir
//     before the reply; the reply carries the hash.
// Deviation: EdgeLake gives byte-identical bodies the same file name (the second overwrites the first
// or is dropped later as a duplicate, though both were answered `Success`). Here the file is linked
// into watch_dir exclusively: a name already taken gets a distinct hash (md5 over the content and a
// counter), and the operator claims every file under a unique 8-segment name before it inserts, so
// every acknowledged PUT is ingested once.
import { randomUUID } from 'node:crypto';
import { link, open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { DbmsError, ProtocolError, errorMessage } from '../../base/errors.js';
import { pyJson } from '../../protocols/format/table.js';
import type { RowProducer, RowsPiece, StagedRows } from '../_shared/row-producer.js';
import { fileHash, formatFileName } from '../../protocols/files/names.js';
import { isReservedTableName, normalizeTableName, reservedTableMessage } from '../../storage/schema/names.js';
import { CHUNK_BYTES, RowsSplitter } from './body-stream.js';
import { collectGarbage } from '../../runtime/gc.js';
import type { Headers } from './request.js';
import { Status } from '../../base/status.js';

export interface IngestTarget {
  dbms: string;
  table: string;
  mode: 'streaming' | 'file';
  source: string;
  instructions: string;
}

const DBMS = /^[a-z_][a-z0-9_]{0,62}$/i;
const SEGMENT = /^[\w\-]{1,64}$/;

/** Validates the ingest headers; names that would reach SQL are checked here, before any ack. */
export function ingestTarget(h: Headers): IngestTarget {
  const dbms = h['dbms']?.trim();
  const rawTable = h['table']?.trim();
  if (!dbms) throw new ProtocolError("Missing 'dbms' header");
  if (!rawTable) throw new ProtocolError("Missing 'table' header");
  if (!DBMS.test(dbms)) throw new ProtocolError(`dbms '${dbms}': use letters, digits and _`);
  const type = (h['type'] ?? 'json').trim().toLowerCase();
  if (type !== 'json') throw new ProtocolError(`type '${type}' is not supported (use json)`);
  const mode = (h['mode'] ?? 'file').trim().toLowerCase();
  if (mode !== 'streaming' && mode !== 'file')
    throw new ProtocolError(`mode must be streaming or file (got '${mode}')`);
  const source = (h['source'] ?? '0').trim();
  const instructions = (h['instructions'] ?? '0').trim();
  if (!SEGMENT.test(source)) throw new ProtocolError(`source '${source}': use letters, digits, _ and -`);
  if (!SEGMENT.test(instructions))
    throw new ProtocolError(`instructions '${instructions}': use letters, digits, _ and -`);
  const table = normalizeTableName(rawTable.toLowerCase());
  if (isReservedTableName(table))
    throw new ProtocolError(reservedTableMessage(table), { code: Status.CommandStructure });
  return { dbms: dbms.toLowerCase(), table, mode, source, instructions };
}

export interface IngestDeps {
  producer: RowProducer;
  prepDir: string;
  watchDir: string;
}

export interface IngestResult {
  hash: string;
  rows: number;
}

/**
 * Reads a body into a splitter (body-stream.ts `readRowsBody`, bounded by the server's limit); while `pressure`
 * gives a promise, the body is paused until it settles.
 */
export type BodyReader = (splitter: RowsSplitter, pressure?: () => Promise<void> | undefined) => Promise<void>;

/** Bytes of staged pieces that may wait for LMDB before the body is paused (a disk slower than the client). */
const STAGE_AHEAD_BYTES = 4 << 20;
/** A staged body's dead pieces are collected every this many bytes, and at its end. */
const GC_EVERY_BYTES = 8 << 20;

/**
 * The body is read in pieces of ~512 KB of rows (body-stream.ts). A body of one piece is journaled in one append
 * (most PUTs). A larger one is journaled as it arrives, staged (storage/journal/staged.ts): every piece but the
 * last goes to the journal invisible as soon as the next one is parsed, and the last piece makes them all visible
 * in one transaction; so the PUT is acknowledged whole or not at all, and this worker holds about two pieces of
 * it, not the body. A body that fails or is abandoned midway has its staged pieces removed.
 */
export async function ingestStreaming(t: IngestTarget, read: BodyReader, deps: IngestDeps): Promise<IngestResult> {
  let held: RowsPiece | undefined;
  let staged: StagedRows | undefined;
  let rows = 0;
  let sinceGc = 0;
  // Bytes, count and keys only: validated by a scan, no objects built (protocols/frames/rows-scan.ts).
  const splitter = new RowsSplitter(
    (c) => {
      rows += c.count;
      if (held) {
        (staged ??= deps.producer.stage(t.dbms, t.table)).add(held);
        // The pieces journaled so far are garbage now: collected every GC_EVERY_BYTES (runtime/gc.ts).
        sinceGc += held.bytes.length;
        if (sinceGc >= GC_EVERY_BYTES) {
          collectGarbage();
          sinceGc = 0;
        }
      }
      held = { bytes: c.bytes, count: c.count, keys: c.keys, repeats: c.repeats };
    },
    CHUNK_BYTES,
    false,
  );
  try {
    await read(splitter, () => staged?.room(STAGE_AHEAD_BYTES));
    // The splitter refuses a body without rows, so a piece is held here.
    if (staged) {
      await staged.commit(held!);
      collectGarbage();
    } else await deps.producer.submitPieces(t.dbms, t.table, [held!]);
  } catch (err) {
    if (staged) {
      try {
        await staged.discard();
      } catch (e) {
        throw new DbmsError(`${errorMessage(err)}; its staged pieces stay until the next start: ${errorMessage(e)}`, {
          cause: e,
        });
      }
    }
    throw err;
  }
  return { hash: '0', rows };
}

async function writeDurably(path: string, content: string): Promise<void> {
  const fh = await open(path, 'wx', 0o600);
  try {
    await fh.writeFile(content, 'utf8');
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export async function ingestFile(t: IngestTarget, read: BodyReader, deps: IngestDeps): Promise<IngestResult> {
  // EdgeLake's file: one `json.dumps(row)` per line, written from each piece as it is parsed.
  const lines: string[] = [];
  let count = 0;
  await read(
    new RowsSplitter((c) => {
      lines.push(
        c
          .rows()
          .map((r) => pyJson(r))
          .join('\n') + '\n',
      );
      count += c.count;
    }),
  );
  const content = lines.join('');
  lines.length = 0;
  const prep = join(deps.prepDir, `${t.dbms}.${t.table}.${randomUUID()}.tmp`);
  await writeDurably(prep, content);
  let src = prep;
  try {
    for (let n = 0; n < 1000; n++) {
      const hash = fileHash(t.dbms, t.table, n === 0 ? content : `${content}#${n}`);
      const name = formatFileName({
        dbms: t.dbms,
        table: t.table,
        source: t.source,
        hash,
        instructions: t.instructions,
      });
      try {
        // link() fails if the name exists, where rename() would silently replace an unprocessed file.
        await link(src, join(deps.watchDir, name));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
        if ((err as NodeJS.ErrnoException).code === 'EXDEV' && src === prep) {
          // The operator watches a directory on another file system: the temporary file is written there instead,
          // under a name the operator skips (hidden, `.tmp`).
          src = join(deps.watchDir, `.${t.dbms}.${t.table}.${randomUUID()}.tmp`);
          await writeDurably(src, content);
          n--;
          continue;
        }
        throw err;
      }
      await syncDir(deps.watchDir);
      return { hash, rows: count };
    }
    throw new ProtocolError(`could not find a free file name for ${t.dbms}.${t.table}`);
  } finally {
    await unlink(prep);
    if (src !== prep) await unlink(src);
  }
}
