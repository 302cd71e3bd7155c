// The Streamer service as the node sees it:
//   run streamer [where prep_dir, watch_dir, err_dir]
//   set buffer threshold where time = <n> <unit> and volume = <n>[KB|MB] [and dbms = d and table = t]
//                              [and write_immediate = true|false]
//   get streaming [where format = json] | get streaming config [where format = json]
//   flush buffers
// Thresholds live on the node (EdgeLake lets them be set before the streamer runs).
import { CommandError } from '../../base/errors.js';
import { formatTable, pyJson } from '../../protocols/format/table.js';
import { formatOf, whereObject } from '../../node/commands/args.js';
import { bool, duration, schema, str } from '../../runtime/config/schema.js';
import {
  actorEntry,
  type CommandSpec,
  type NodeApi,
  type ServiceDescriptor,
  runningInstance,
} from '../../node/service.js';
import { streamerSchema } from './config.js';
import { STREAMER } from './messages.js';
import { DEFAULT_THRESHOLDS, parseVolume, THRESHOLDS_SETTING, type Thresholds } from './thresholds.js';
import { Status } from '../../base/status.js';
import { PUT_STATS, type RestPutStats } from '../_shared/put-stats.js';

const KIND = 'streamer';

const thresholdSchema = schema('set buffer threshold', {
  time: duration(),
  volume: str(),
  dbms: str(),
  table: str(),
  write_immediate: bool(),
});

export function thresholds(node: NodeApi): Thresholds {
  return node.settings.get(THRESHOLDS_SETTING) ?? DEFAULT_THRESHOLDS;
}

function actorId(node: NodeApi): string | undefined {
  return runningInstance(node, KIND)?.id;
}

const setThreshold: CommandSpec = {
  words: ['set', 'buffer', 'threshold'],
  method: 'post',
  usage:
    'set buffer threshold where time = 1 second and volume = 10KB [and dbms = d and table = t] [and write_immediate = true]',
  run(inv, node) {
    const o = thresholdSchema.parse(whereObject(inv, node), 'set buffer threshold');
    const cur = thresholds(node);
    const next: Thresholds = { ...cur, tables: { ...cur.tables } };
    const volume = o.volume === undefined ? undefined : parseVolume(o.volume);
    if (o.volume !== undefined && volume === undefined)
      throw new CommandError(
        `set buffer threshold.volume: expected bytes like 10000, 10KB or 2MB (got "${o.volume}")`,
        { code: Status.CommandStructure },
      );
    if ((o.dbms === undefined) !== (o.table === undefined))
      throw new CommandError('set buffer threshold: give both dbms and table, or neither', {
        code: Status.CommandStructure,
      });
    if (o.dbms !== undefined && o.table !== undefined) {
      const key = `${o.dbms}.${o.table}`;
      const base = next.tables[key] ?? { time: cur.time, volume: cur.volume };
      next.tables[key] = { time: o.time ?? base.time, volume: volume ?? base.volume };
    } else {
      if (o.time !== undefined) next.time = o.time;
      if (volume !== undefined) next.volume = volume;
    }
    if (o.write_immediate !== undefined) next.writeImmediate = o.write_immediate;
    node.settings.set(THRESHOLDS_SETTING, next);
    const id = actorId(node);
    if (id) node.send(STREAMER, { type: 'streamer.thresholds', thresholds: next });
    return '';
  },
};

/** EdgeLake's `%02u:%02u:%02u` of a number of seconds (utils_data.py `seconds_to_hms`). */
function hms(sec: number): string {
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${two(Math.floor(sec / 3600))}:${two(Math.floor(sec / 60) % 60)}:${two(sec % 60)}`;
}

/** Python's `format(n, ",")`. */
function commas(n: number): string {
  const [int, frac] = String(n).split('.');
  const grouped = int!.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return frac === undefined ? grouped : `${grouped}.${frac}`;
}

const getStreaming: CommandSpec = {
  words: ['get', 'streaming'],
  method: 'get',
  usage: 'get streaming [where format = json]',
  async run(inv, node) {
    // EdgeLake generic/streaming_data.py `show_info` (config_only False): one row per dbms.table.
    const id = actorId(node);
    const stats = id ? await node.ask(STREAMER, { type: 'streamer.stats' }) : undefined;
    const rest = node.instances('rest-server').find((i) => i.status === 'running');
    const puts: Pick<RestPutStats, 'files'> = rest
      ? await node.ask(PUT_STATS, { type: 'rest.put-stats' })
      : { files: {} };
    const keys = new Set([...Object.keys(puts.files), ...(stats?.tables.map((t) => t.table) ?? [])]);
    const th = stats?.thresholds ?? thresholds(node);
    const rows = [...keys].sort().map((k) => {
      const t = stats?.tables.find((x) => x.table === k);
      const p = puts.files[k];
      const limit = th.tables[k] ?? th;
      return {
        table: k,
        putFiles: p?.files ?? 0,
        putRows: p?.rows ?? 0,
        calls: t?.calls ?? 0,
        rows: t?.rows ?? 0,
        // Rows still in the streamer's buffer: not handed to the operator, so not yet queryable.
        cached: t?.cached ?? 0,
        immediate: t?.immediate ?? 0,
        volumeKb: t?.volumeKb ?? Math.round(limit.volume / 1024),
        fill: t?.fillPct ?? 0,
        time: t?.timeSec ?? limit.time,
        left: t?.timeLeftSec ?? limit.time,
        // Time since data last arrived (EdgeLake: `int(time.time()) - stat_list[5]`); empty for tables only
        // written by `mode: file` PUTs, whose arrival time this node does not keep.
        last: t?.idleSec === undefined ? '' : hms(t.idleSec),
      };
    });
    if (formatOf(inv, node) === 'json')
      return pyJson(
        rows.map((r) => ({
          table: r.table,
          'File Put': r.putFiles,
          'File Rows': r.putRows,
          'Streaming Put': r.calls,
          'Streaming Rows': r.rows,
          'Streaming Cached': r.cached,
          Immediate: r.immediate,
          'Threshold Volume': r.volumeKb,
          '% Buffer Fill': r.fill,
          'Threshold Time': r.time,
          'Time Left': r.left,
          'Last Process': r.last,
        })),
      );
    return formatTable(
      [
        '\nDBMS-Table',
        'Put\nfiles',
        'Put\nRows',
        ' ',
        'Streaming\nCalls',
        'Streaming\nRows',
        'Cached\nRows',
        'Counter\nImmediate',
        'Threshold\nVolume(KB)',
        'Buffer\nFill(%)',
        'Threshold\nTime(sec)',
        'Time Left\n(Sec)',
        'Last Process\nHH:MM:SS',
      ],
      rows.map((r) => [
        r.table,
        commas(r.putFiles),
        commas(r.putRows),
        '',
        commas(r.calls),
        commas(r.rows),
        commas(r.cached),
        commas(r.immediate),
        r.volumeKb,
        r.fill,
        r.time,
        r.left,
        r.last,
      ]),
      // EdgeLake's header is "\r\nStatistics", after the table's own line break.
      { header: '\r\nStatistics' },
    );
  },
};

const getStreamingConfig: CommandSpec = {
  words: ['get', 'streaming', 'config'],
  method: 'get',
  usage: 'get streaming config [where format = json]',
  async run(inv, node) {
    // EdgeLake generic/streaming_data.py `show_info` (config_only True).
    const id = actorId(node);
    const stats = id ? await node.ask(STREAMER, { type: 'streamer.stats' }) : undefined;
    const th = thresholds(node);
    const o = {
      status: id ? 'Running' : 'Not Running',
      Threshold_Time: th.time,
      Threshold_Volume: th.volume,
      Write_Immediate: th.writeImmediate,
      Buffered_Rows: stats?.bufferedRows ?? 0,
      Flushed_Rows: stats?.flushedRows ?? 0,
    };
    if (formatOf(inv, node) === 'json') return pyJson(o);
    let out = formatTable(
      ['Threshold', 'Value', 'Streamer'],
      [
        ['Threshold Time', th.time, o.status],
        ['Threshold Volume', commas(th.volume), ''],
        ['Write Immediate', String(th.writeImmediate ? 'True' : 'False'), ''],
        ['Buffered Rows', commas(o.Buffered_Rows), ''],
        ['Flushed Rows', commas(o.Flushed_Rows), ''],
      ],
      { header: 'Flush Thresholds' },
    );
    // Per-table thresholds as EdgeLake's utils_print.py `format_dictionary` (key first, titles Table and
    // Time / Volume), each value Python's str of [time, volume, write_immediate].
    const tables = Object.entries(th.tables);
    if (tables.length > 0) {
      const width = Math.max('Table'.length, ...tables.map(([k]) => k.length));
      out += `\r\n${'Table'.padEnd(width)}   Time / Volume\r\n${'-'.repeat(width)}   ${'-'.repeat(13)}\r\n`;
      for (const [k, v] of tables)
        out += `${k.padEnd(width)} : [${v.time}, ${v.volume}, ${th.writeImmediate ? 'True' : 'False'}]\r\n`;
    }
    return out;
  },
};

const flushBuffers: CommandSpec = {
  words: ['flush', 'buffers'],
  method: 'post',
  usage: 'flush buffers',
  run(_inv, node) {
    const id = actorId(node);
    if (id) node.send(STREAMER, { type: 'streamer.flush' });
    return '';
  },
};

export const streamerService: ServiceDescriptor = {
  kind: KIND,
  process: 'Streamer',
  run: [['streamer']],
  exit: ['streamer'],
  yaml: 'streamer',
  schema: streamerSchema,
  entry: actorEntry(import.meta.url),
  restart: 'permanent',
  shutdownMs: 3000,
  consumes: ['rest-server', 'msg-client', 'kafka-consumer', 'grpc-client', 'blobs-archiver'],
  details(_instances, node) {
    const th = thresholds(node);
    const secs = th.time >= 1 ? `${th.time} seconds` : `${Math.round(th.time * 1000)} ms`;
    return `Default streaming thresholds are ${secs} and ${th.volume.toLocaleString('en-US')} bytes`;
  },
  commands: [setThreshold, getStreaming, getStreamingConfig, flushBuffers],
};
