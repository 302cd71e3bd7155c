// `time file` commands over the TSD tables of almgm (AnyLog "Managing Data files"; seed 003: the tsd_info records
// "support the High Availability (HA) processes"). They run on the main thread with the node's reader of almgm.
//   time file tables
//       the TSD tables of this node (tsd_info and a tsd_<member> per cluster member whose files it holds)
//   time file get [where table = tsd_info|tsd_<member>|* and hash = <md5> and start_date = <date> and
//                  end_date = <date> and limit = <n> and format = table|json]
//       the rows: file_time >= start_date and < end_date (dates as in dates.ts), limit 100 (0: no limit), ordered
//       by table and file_id. `table = *` (edgelake-rt, as AnyLog's `time file summary`) reads every TSD table.
//       JSON: a list of {"table", "file_id", "dbms_name", "table_name", "source", "file_hash", "instructions",
//       "file_time", "rows", "status1", "status2"}. The data consumer of a cluster member asks its peers this.
//   time file send where hash = <md5> [and dest = <ip:port>]
//       edgelake-rt's, for the data consumer: finds the archived file of that hash (archive-find.ts) and sends it
//       as `file write <name>` with generic flag 1 to `dest`, by default the peer that asked (the reply address of
//       its message), which puts it in its watch directory; a `.json.gz` goes compressed under its `.gz` name and
//       the receiving TCP server decompresses it. Answers {"file", "bytes", "dest"}.
import { signFnOf } from '../../peer/sign.js';
import { readdir } from 'node:fs/promises';
import { CommandError } from '../../base/errors.js';
import { formatOf, whereObject, withKeyPositions } from '../../node/commands/args.js';
import type { DispatchEnv } from '../../node/commands/dispatcher.js';
import { int, ipPort, required, schema, str } from '../../runtime/config/schema.js';
import { formatTable, pyJson } from '../../protocols/format/table.js';
import { parseAddress } from '../../peer/address.js';
import { sendFile } from '../../peer/file-send.js';
import type { CommandSpec, NodeApi } from '../../node/service.js';
import { TSD_DBMS, TSD_INFO, tsdFileTime } from '../../storage/schema/tsd.js';
import { findArchived } from './archive-find.js';
import { parseDate } from './dates.js';
import { Status } from '../../base/status.js';

const TSD_TABLE = /^tsd_(info|\d+)$/;
const COLUMNS = [
  'file_id',
  'dbms_name',
  'table_name',
  'source',
  'file_hash',
  'instructions',
  'file_time',
  'rows',
  'status1',
  'status2',
] as const;

export interface TsdRow {
  table: string;
  file_id: number;
  dbms_name: string;
  table_name: string;
  source: string;
  file_hash: string;
  instructions: string;
  file_time: string;
  rows: number;
  status1: string;
  status2: string;
}

export interface TsdQuery {
  table: string;
  hash?: string | undefined;
  start?: Date | undefined;
  end?: Date | undefined;
  /** 0: no limit. */
  limit: number;
}

const getSchema = schema('time file get', {
  table: str(TSD_INFO),
  hash: str(),
  start_date: str(),
  end_date: str(),
  limit: int(100, { min: 0 }),
  format: str(),
});

const sendSchema = schema('time file send', { hash: required(str()), dest: ipPort() });

async function tsdTables(node: NodeApi): Promise<string[]> {
  return (await node.dbms.reader(TSD_DBMS).listTables()).filter((t) => TSD_TABLE.test(t)).sort();
}

const text = (v: unknown): string =>
  v === null || v === undefined ? '' : v instanceof Date ? tsdFileTime(v) : String(v);

/** The TSD rows `q` asks for, on this node. */
export async function tsdRows(node: NodeApi, q: TsdQuery): Promise<TsdRow[]> {
  const reader = node.dbms.reader(TSD_DBMS);
  const all = await tsdTables(node);
  if (q.table !== '*' && !TSD_TABLE.test(q.table))
    throw new CommandError(`time file: '${q.table}' is not a TSD table (tsd_info, tsd_<member> or *)`, {
      code: Status.CommandStructure,
    });
  const tables = q.table === '*' ? all : all.filter((t) => t === q.table);
  const out: TsdRow[] = [];
  const sqlite = reader.engine === 'sqlite';
  for (const t of tables) {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (cond: string, v: unknown): void => {
      params.push(v);
      where.push(`${cond} ${sqlite ? '?' : `$${params.length}`}`);
    };
    if (q.hash !== undefined) add('file_hash =', q.hash);
    if (q.start) add('file_time >=', tsdFileTime(q.start));
    if (q.end) add('file_time <', tsdFileTime(q.end));
    const room = q.limit === 0 ? 0 : q.limit - out.length;
    if (q.limit !== 0 && room <= 0) break;
    const sql =
      `SELECT ${COLUMNS.join(', ')} FROM ${t}${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY file_id` +
      (room > 0 ? ` LIMIT ${room}` : '');
    for (const r of (await reader.select(sql, params)).rows) {
      out.push({
        table: t,
        file_id: Number(r[0]),
        dbms_name: text(r[1]),
        table_name: text(r[2]),
        source: text(r[3]),
        file_hash: text(r[4]),
        instructions: text(r[5]),
        file_time: text(r[6]),
        rows: Number(r[7] ?? 0),
        status1: text(r[8]),
        status2: text(r[9]),
      });
    }
  }
  return out;
}

const timeFileTables: CommandSpec = {
  words: ['time', 'file', 'tables'],
  method: 'get',
  usage: 'time file tables',
  async run(_inv, node) {
    return formatTable(
      ['Table'],
      (await tsdTables(node)).map((t) => [t]),
    );
  },
};

const timeFileGet: CommandSpec = {
  words: ['time', 'file', 'get'],
  method: 'get',
  usage:
    'time file get [where table = tsd_info|tsd_<member>|* and hash = .. and start_date = .. and end_date = .. and limit = 100 and format = json]',
  async run(inv, node) {
    const o = withKeyPositions(inv.where, () => getSchema.parse(whereObject(inv, node), 'time file get'));
    const format = formatOf(inv, node);
    const now = Date.now();
    const rows = await tsdRows(node, {
      table: o.table,
      hash: o.hash,
      start: o.start_date === undefined ? undefined : parseDate(o.start_date, now, 'time file get.start_date'),
      end: o.end_date === undefined ? undefined : parseDate(o.end_date, now, 'time file get.end_date'),
      limit: o.limit,
    });
    if (format === 'json') return pyJson(rows);
    return formatTable(
      ['Table', ...COLUMNS],
      rows.map((r) => [r.table, ...COLUMNS.map((c) => r[c])]),
    );
  },
};

/** The archive directories of this node: the running operator's and distributor's, and `!archive_dir`. */
async function archiveDirs(node: NodeApi): Promise<string[]> {
  const dirs = [
    ...['operator', 'data-distributor'].flatMap((k) => node.instances(k).map((i) => i.config['archive_dir'])),
    node.resolve('!archive_dir'),
  ].filter((d): d is string => typeof d === 'string' && d !== '');
  const out: string[] = [];
  for (const d of dirs) {
    if (out.includes(d)) continue;
    try {
      await readdir(d);
      out.push(d);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  return out;
}

const timeFileSend: CommandSpec = {
  words: ['time', 'file', 'send'],
  method: 'post',
  usage: 'time file send where hash = <md5> [and dest = <ip:port>]',
  async run(inv, node) {
    const o = withKeyPositions(inv.where, () => sendSchema.parse(whereObject(inv, node), 'time file send'));
    const dest = o.dest !== undefined ? parseAddress(o.dest) : (inv.env as DispatchEnv).peer;
    if (!dest || dest.port === 0)
      throw new CommandError('time file send: no destination (give dest = <ip:port>, or send it from a peer)', {
        code: Status.CommandStructure,
      });
    const row = (await tsdRows(node, { table: '*', hash: o.hash, limit: 1 }))[0];
    if (!row) throw new CommandError(`time file send: no file with hash ${o.hash} in the TSD tables of this node`);
    const found = await findArchived(await archiveDirs(node), {
      hash: row.file_hash,
      dbms: row.dbms_name,
      table: row.table_name,
      fileId: row.file_id,
      member: row.table === TSD_INFO ? undefined : Number(row.table.slice(4)),
      fileTime: row.file_time,
    });
    if (!found)
      throw new CommandError(
        `time file send: the file of hash ${o.hash} (${row.dbms_name}.${row.table_name}, ${row.table} file id ${row.file_id}) is not in the archive`,
      );
    const tcp = node.connections.get('TCP');
    const source = (tcp && parseAddress(tcp.external)) || { ip: '0.0.0.0', port: 0 };
    const gz = found.path.endsWith('.gz');
    const bytes = await sendFile(
      dest,
      found.path,
      gz ? `${found.name}.gz` : found.name,
      1,
      source,
      undefined,
      signFnOf(() => node.peerAuth?.messageSigner),
    );
    return pyJson({ file: found.name, bytes, dest: `${dest.ip}:${dest.port}` });
  },
};

export const timeFileCommands: readonly CommandSpec[] = [timeFileTables, timeFileGet, timeFileSend];
