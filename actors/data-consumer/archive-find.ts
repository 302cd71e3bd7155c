// Finding an ingested file in the archive by its TSD entry (for `time file send`): the operator archives each file
// as archive_dir/YY/MM/DD/<8-section name>.json.gz, YYMMDD from the name's date (protocols/files/dest.ts), and the
// name carries dbms, table, hash, member and file id. So the TSD row of the hash says where to look:
//   the day of its file_time (and the days either side, for a date written near midnight),
//   a name with its dbms and table, its file id, the member of its TSD table (any member for tsd_info, which holds
//   this node's own files) and the hash (a name with hash 0 is checked by hashing its content).
import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { ProtocolError } from '../../base/errors.js';
import { createFileHasher, parseFileName } from '../../protocols/files/names.js';

export interface ArchivedFile {
  /** Path of the archived file (`.json` or `.json.gz`). */
  path: string;
  /** Its 8-section `.json` name. */
  name: string;
}

export interface TsdRef {
  hash: string;
  dbms: string;
  table: string;
  fileId: number;
  /** The member of its TSD table (`tsd_<member>`), undefined for tsd_info. */
  member: number | undefined;
  /** tsd_info.file_time: `YYYY-MM-DD HH:MM:SS...` UTC. */
  fileTime: string;
}

function dayDirs(fileTime: string): string[] {
  const t = Date.parse(`${fileTime.slice(0, 19).replace(' ', 'T')}Z`);
  if (Number.isNaN(t)) return [];
  return [0, -1, 1].map((k) => {
    const d = new Date(t + k * 86_400_000).toISOString();
    return `${d.slice(2, 4)}/${d.slice(5, 7)}/${d.slice(8, 10)}`;
  });
}

async function md5Of(path: string, dbms: string, table: string): Promise<string> {
  const h = createFileHasher(dbms, table);
  const src = createReadStream(path);
  for await (const chunk of path.endsWith('.gz') ? src.pipe(createGunzip()) : src) h.update(chunk as Buffer);
  return h.digest('hex');
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** The archived file of `ref` in any of `archiveDirs`, or undefined. */
export async function findArchived(archiveDirs: readonly string[], ref: TsdRef): Promise<ArchivedFile | undefined> {
  for (const root of archiveDirs) {
    for (const day of dayDirs(ref.fileTime)) {
      const dir = join(root, day);
      for (const entry of (await listDir(dir)).sort()) {
        const name = entry.endsWith('.json.gz') ? entry.slice(0, -3) : entry;
        if (!name.endsWith('.json') || !name.startsWith(`${ref.dbms}.${ref.table}.`)) continue;
        let n;
        try {
          n = parseFileName(name);
        } catch (err) {
          if (err instanceof ProtocolError) continue; // not an operator's name: not this file
          throw err;
        }
        if (n.type !== 'json' || !n.tsd || n.tsd.rowId !== String(ref.fileId)) continue;
        if (n.dbms !== ref.dbms || n.table !== ref.table) continue;
        if (ref.member !== undefined && n.tsd.member !== ref.member) continue;
        if (n.hash !== ref.hash && (n.hash !== '0' || (await md5Of(join(dir, entry), n.dbms, n.table)) !== ref.hash))
          continue;
        return { path: join(dir, entry), name };
      }
    }
  }
  return undefined;
}
