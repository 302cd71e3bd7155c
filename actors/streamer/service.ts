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

const hms = (ms: number | undefined): string => (ms === undefined ? '' : new Date(ms).toISOString().slice(11, 19));

const getStreaming: CommandSpec = {
  words: ['get', 'streaming'],
  method: 'get',
  usage: 'get streaming [where format = json]',
  async run(inv, node) {
    // EdgeLake generic/streaming_data.py L713-820: one row per dbms.table.
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
      return {
        table: k,
        putFiles: p?.files ?? 0,
        putRows: p?.rows ?? 0,
        calls: t?.calls ?? 0,
        rows: t?.rows ?? 0,
        cached: t?.cached ?? 0,
        immediate: t?.immediate ?? 0,
        volumeKb: t?.volumeKb ?? Math.round(th.volume / 1024),
        fill: t?.fillPct ?? 0,
        time: t?.timeSec ?? th.time,
        left: t?.timeLeftSec ?? 0,
        last: hms(t?.lastFlush),
      };
    });
    if (formatOf(inv, node) === 'json') return pyJson(rows);
    return formatTable(
      [
        'DBMS-Table',
        'Put\nfiles',
        'Put\nRows',
        '',
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
        r.putFiles,
        r.putRows,
        '',
        r.calls,
        r.rows,
        r.cached,
        r.immediate,
        r.volumeKb,
        r.fill,
        r.time,
        r.left,
        r.last,
      ]),
      { header: 'Statistics' },
    );
  },
};

const getStreamingConfig: CommandSpec = {
  words: ['get', 'streaming', 'config'],
  method: 'get',
  usage: 'get streaming config [where format = json]',
  async run(inv, node) {
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
    return formatTable(
      ['Threshold', 'Value', 'Streamer'],
      [
        ['Threshold Time', `${th.time} seconds`, o.status],
        ['Threshold Volume', `${Math.round(th.volume / 1024)} KB`, ''],
        ['Write Immediate', th.writeImmediate, ''],
        ['Buffered Rows', o.Buffered_Rows, ''],
        ['Flushed Rows', o.Flushed_Rows, ''],
      ],
      { header: 'Flush Thresholds' },
    );
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
