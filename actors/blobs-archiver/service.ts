// The Blobs Archiver service on the main thread (EdgeLake members/alarchiver.py, member_cmd.py):
//   run blobs archiver where [blobs_dir = ..] [and bwatch_dir = ..] [and archive_dir = ..] [and dbms = true]
//                            [and folder = true] [and compress = true] [and reuse_blobs = true]
//   get blobs archiver [where format = json]
//   exit blobs | exit archiver
// and, on the blobs index (they work whether the archiver runs or not, as long as its dbms is connected):
//   get files where dbms = <dbms> [and table = ..] [and id = ..] [and hash = md5|sha256] [and date = YYMMDD]
//                   [and limit = n] [and format = json]                      (member_cmd.py L11230-11275)
//   file retrieve where dbms = <dbms> [and table = ..] [and id = ..] [and hash = ..] [and date = YYMMDD]
//                   [and limit = n] [and dest = <file or dir/>] [and dest_key = <name>]  (L11505-11575)
// and, through the running archiver (it owns the writing connection):
//   file store where [dbms = .. and table = ..] and source = <path> [and id = <file id>]   (L11360-11460)
// `dbms` names the data dbms the blob belongs to; EdgeLake's `blobs_<dbms>` spelling is accepted.
import { stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { CommandError, DbmsError, EdgeRtError, errorMessage } from '../../base/errors.js';
import { argWords, formatOf, whereObject, withKeyPositions } from '../../node/commands/args.js';
import { formatTable, pyJson } from '../../protocols/format/table.js';
import { int, required, schema, str } from '../../runtime/config/schema.js';
import {
  actorEntry,
  type CommandSpec,
  type Invocation,
  type NodeApi,
  type ServiceDescriptor,
  type ServiceInstance,
  runningInstance,
} from '../../node/service.js';
import { restoreBlob } from './archive.js';
import { commandPath } from '../../node/files/confine.js';
import { find, type BlobFilter, type BlobRecord } from './catalog.js';
import { blobsArchiverSchema, type BlobsArchiverConfig } from './config.js';
import { BLOBS_ARCHIVER, type BlobsIn } from './messages.js';
import { Status } from '../../base/status.js';
import { defineSetting } from '../../node/settings.js';

const KIND = 'blobs-archiver';
const DEFAULT_BLOBS_DBMS = 'blobs';
/** The dbms of the last archiver that ran: `get files` and `file retrieve` work after it exits. */
const BLOBS_DBMS_SETTING = defineSetting<string>('blobs-archiver.dbms');

const filterShape = {
  dbms: required(str()),
  table: str(),
  id: str(),
  hash: str(),
  date: str(),
  limit: int(undefined, { min: 0 }),
};
const getFilesSchema = schema('get files', { ...filterShape, format: str(), local: str() });
const retrieveSchema = schema('file retrieve', { ...filterShape, dest: str(), dest_key: str(), stream: str() });
const storeSchema = schema(
  'file store',
  { dbms: str(), table: str(), source: required(str()), id: str() },
  { aliases: { file: 'source' } },
);

function running(node: NodeApi): ServiceInstance | undefined {
  return runningInstance(node, KIND);
}

/** The dbms holding the index: the running archiver's, else the one it used last, else `blobs`. */
function blobsDbms(node: NodeApi): string {
  const cfg = running(node)?.config as BlobsArchiverConfig | undefined;
  return cfg?.blobs_dbms ?? node.settings.get(BLOBS_DBMS_SETTING) ?? DEFAULT_BLOBS_DBMS;
}

/** EdgeLake names blobs databases `blobs_<dbms>`; the index keys blobs by the data dbms. */
const dataDbms = (name: string): string => (name.startsWith('blobs_') ? name.slice(6) : name);

function filterOf(
  o: { dbms: string; table?: string; id?: string; hash?: string; date?: string; limit?: number },
  cmd: string,
): BlobFilter {
  const f: BlobFilter = { dbms: dataDbms(o.dbms) };
  if (o.table !== undefined) f.table = o.table;
  if (o.id !== undefined) f.id = o.id;
  if (o.hash !== undefined) {
    if (!/^([0-9a-f]{32}|[0-9a-f]{64})$/i.test(o.hash))
      throw new CommandError(`${cmd}: hash '${o.hash}' is neither an md5 nor a sha256 (hex)`, {
        code: Status.CommandStructure,
      });
    f.hash = o.hash;
  }
  if (o.date !== undefined) {
    if (!/^\d{6}$/.test(o.date))
      throw new CommandError(`The date key '${o.date}' is not in YYMMDD format`, { code: Status.CommandStructure });
    f.date = o.date;
  }
  // EdgeLake: an id or a hash names one file.
  const limit = o.id !== undefined || o.hash !== undefined ? 1 : o.limit;
  if (limit !== undefined && limit > 0) f.limit = limit;
  return f;
}

async function lookup(node: NodeApi, f: BlobFilter): Promise<BlobRecord[]> {
  const name = blobsDbms(node);
  if (!node.dbms.has(name))
    throw new DbmsError(
      `DBMS '${name}' not connected (the blobs index; run the blobs archiver or 'connect dbms ${name}')`,
      { code: Status.DbmsNotOpened },
    );
  try {
    return await find(node.dbms.reader(name), f);
  } catch (err) {
    if (/no such table|does not exist/i.test(errorMessage(err))) return [];
    throw err;
  }
}

function options<T>(inv: Invocation, node: NodeApi, parse: (raw: Record<string, unknown>) => T, cmd: string): T {
  if (!inv.where)
    throw new CommandError(`${cmd}: missing 'where dbms = <dbms> ...'`, { code: Status.CommandStructure });
  if (argWords(inv, node).length > 0)
    throw new CommandError(`${cmd}: options go after 'where'`, { code: Status.CommandStructure });
  return withKeyPositions(inv.where, () => parse(whereObject(inv, node)));
}

const getBlobsArchiver: CommandSpec = {
  words: ['get', 'blobs', 'archiver'],
  method: 'get',
  usage: 'get blobs archiver [where format = json]',
  async run(inv, node) {
    const format = formatOf(inv, node) as 'table' | 'json';
    const inst = running(node);
    // EdgeLake alarchiver.get_archiver
    if (!inst) return '\r\nArchiver not active';
    return node.ask(BLOBS_ARCHIVER, { type: 'blobs.stats', format });
  },
};

const getFiles: CommandSpec = {
  words: ['get', 'files'],
  method: 'get',
  usage:
    'get files where dbms = <dbms> [and table = ..] [and id = ..] [and hash = ..] [and date = YYMMDD] [and limit = n] [and format = json]',
  async run(inv, node) {
    if (!inv.where && inv.args.length > 0)
      throw new CommandError(
        "get files <directory> is not available in edgelake-rt; use 'get files where dbms = <dbms> ...'",
        {
          code: Status.CommandStructure,
        },
      );
    const o = options(inv, node, (raw) => getFilesSchema.parse(raw, 'get files'), 'get files');
    const format = formatOf(inv, node);
    const rows = await lookup(node, filterOf(o, 'get files'));
    if (format === 'json')
      return pyJson(
        rows.map((r) => ({
          dbms: r.dbms,
          table: r.table,
          file: r.fileId,
          size: r.size,
          md5: r.md5,
          sha256: r.sha256,
          content_type: r.contentType,
          date: r.archiveDate,
          compressed: r.compressed,
          path: r.archivePath,
        })),
      );
    return formatTable(
      ['DBMS', 'Table', 'File', 'Size', 'MD5', 'Content Type', 'Date', 'Archived'],
      rows.map((r) => [r.dbms, r.table, r.fileId, r.size, r.md5, r.contentType, r.archiveDate, r.archivePath]),
    );
  },
};

async function isDir(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

const fileRetrieve: CommandSpec = {
  words: ['file', 'retrieve'],
  method: 'post',
  usage:
    'file retrieve where dbms = <dbms> [and table = ..] [and id = <file id>] [and hash = <md5|sha256>] [and date = YYMMDD] [and limit = n] [and dest = <file or dir/>] [and dest_key = <name>]',
  async run(inv, node) {
    const o = options(inv, node, (raw) => retrieveSchema.parse(raw, 'file retrieve'), 'file retrieve');
    if (o.stream !== undefined)
      throw new CommandError("file retrieve: 'stream' (to a REST caller) is not supported in edgelake-rt", {
        code: Status.CommandStructure,
      });
    const rows = await lookup(node, filterOf(o, 'file retrieve'));
    if (rows.length === 0)
      throw new CommandError(`file retrieve: no blob in '${o.dbms}' matches`, { code: Status.FileDoesNotExist });
    const dest = o.dest ?? `${node.dict.get('tmp_dir') ?? join(node.root, 'data', 'tmp')}/`;
    const toDir = dest.endsWith('/') || (await isDir(dest));
    if (!toDir && rows.length > 1)
      throw new CommandError('file retrieve: several files match: dest must be a directory (end it with /)', {
        code: Status.CommandStructure,
      });
    let last = dest;
    for (const r of rows) {
      last = toDir ? join(dest, r.originalName) : dest;
      // Never over the node's databases, journal or ledger; from outside, only into its data directories.
      const target = await commandPath(inv, node, last, 'write', 'file retrieve');
      try {
        await restoreBlob(r, target);
      } catch (err) {
        if (err instanceof EdgeRtError) throw err;
        throw new CommandError(`file retrieve: cannot copy ${r.archivePath} to ${last}: ${errorMessage(err)}`, {
          code: Status.FileDoesNotExist,
          cause: err,
        });
      }
    }
    if (o.dest_key !== undefined) node.dict.set(o.dest_key, rows.length === 1 ? last : dest);
    return '';
  },
};

const fileStore: CommandSpec = {
  words: ['file', 'store'],
  method: 'post',
  usage: 'file store where [dbms = <dbms> and table = <table> and] source = <path> [and id = <file id>]',
  async run(inv, node) {
    const o = options(inv, node, (raw) => storeSchema.parse(raw, 'file store'), 'file store');
    let dbms = o.dbms;
    let table = o.table;
    let id = o.id;
    if (dbms === undefined && table === undefined) {
      // EdgeLake: dbms and table from the file name ([dbms].[table].[file name])
      const parts = basename(o.source).split('.');
      if (parts.length < 3)
        throw new CommandError(
          `Blobs file name in the wrong format, needs to start with [dbms name].[table name].[file name] and is: '${basename(o.source)}'`,
          { code: Status.FileNameStructure },
        );
      [dbms, table] = parts as [string, string];
      id ??= parts.slice(2).join('.');
    }
    if (dbms === undefined || table === undefined)
      throw new CommandError("Missing database name or table name info in 'file store' command", {
        code: Status.CommandStructure,
      });
    // From outside, only a file of the node's data directories (symlinks resolved) may be taken in.
    const source = await commandPath(inv, node, o.source, 'read', 'file store');
    const inst = running(node);
    if (!inst)
      throw new CommandError('file store: the blobs archiver is not running (it writes the blobs index)', {
        code: Status.ProcessFailure,
      });
    const msg: BlobsIn = { type: 'blobs.store', source, dbms: dataDbms(dbms), table };
    if (id !== undefined) msg.id = id;
    await node.ask(BLOBS_ARCHIVER, msg, 120_000);
    return '';
  },
};

export const blobsArchiverService: ServiceDescriptor = {
  kind: KIND,
  process: 'Blobs Archiver',
  run: [['blobs', 'archiver']],
  exit: ['archiver', 'blobs'],
  yaml: 'blobs_archiver',
  schema: blobsArchiverSchema,
  entry: actorEntry(import.meta.url),
  restart: 'permanent',
  shutdownMs: 10_000,
  defaults(node) {
    const out: Record<string, unknown> = {};
    for (const k of ['blobs_dir', 'bwatch_dir', 'err_dir'] as const) {
      const v = node.dict.get(k);
      if (v !== undefined && v !== '') out[k] = v;
    }
    return out;
  },
  details(instances) {
    const c = instances[0]?.config as BlobsArchiverConfig | undefined;
    if (!c) return '';
    const py = (b: boolean): string => (b ? 'True' : 'False');
    // EdgeLake alarchiver.data_archiver status_msg_
    return `Flags: dbms = ${py(c.dbms)}, folder = ${py(c.folder)}, compress = ${py(c.compress)}, reuse_blobs = ${py(c.reuse_blobs)}`;
  },
  afterStart(inst, node) {
    node.settings.set(BLOBS_DBMS_SETTING, (inst.config as BlobsArchiverConfig).blobs_dbms);
  },
  commands: [getBlobsArchiver, getFiles, fileRetrieve, fileStore],
};
