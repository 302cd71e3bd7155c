// The Distributor actor (seed 003 "HA Process", Data Distributor; AnyLog only, not in EdgeLake 1.4): copies the
// files the operator put in distr_dir (`run operator where distributor = true`) to every other operator of this
// node's cluster (members.ts), and archives each once all of them have it (send.ts).
//   - a scan every 2 s and when a file arrives; one scan at a time (a file that arrives meanwhile triggers one more)
//   - a member that is down delays its files, never loses them: the file stays in distr_dir until every member has
//     it, the member is retried with a backoff, and `get distributor` shows its pending files and last error
//   - a name that is not an operator's 8-section JSON name goes to err_dir (error 119): only files a member took
//     first are distributed (their name says which member and file id), so a receiver records them in
//     tsd_<member> and nothing is distributed twice
// Which members have which file, and the counters, are stashed on the node: a restarted worker goes on from them.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { watch, type FSWatcher } from 'node:fs';
import { defineActor, type ActorContext } from '../../runtime/actor.js';
import type { TimerHandle } from '../../runtime/clock.js';
import { assertNever, errorMessage } from '../../base/errors.js';
import { NODE } from '../../node/messages.js';
import { FILE_NAME_ERROR, parseFileName } from '../../protocols/files/names.js';
import { SerialPasses } from '../_shared/serial-passes.js';
import { MetadataReader } from '../../storage/metadata/reader.js';
import { failFile } from '../_shared/file-moves.js';
import { dataDistributorSchema, type DataDistributorConfig } from './config.js';
import { clusterView, selfAddress, type Member } from '../_shared/ha-members.js';
import type { DistributorIn } from './messages.js';
import { GzCache, archiveFile, sendToMember, type PassContext } from './send.js';
import { DistributorStats, type DistributorSnapshot } from './stats.js';
import { defineStash } from '../../node/stash.js';

const STASH = defineStash<DistributorSnapshot>();

const SCAN_MS = 2000;
/** Files taken per scan (oldest names first); the rest wait for the next one. */
const PER_SCAN = 2000;

interface State {
  cfg: DataDistributorConfig;
  pc: PassContext;
  stats: DistributorStats;
  watcher: FSWatcher;
  timer: TimerHandle;
  passes: SerialPasses;
  metadata: MetadataReader;
}

const skip = (name: string): boolean => name.startsWith('.') || /\.(part|tmp|transfer)$/.test(name);

/** Member's own 8-section JSON names, with that member; anything else is refused (error 119). */
async function distributable(
  state: State,
  ctx: ActorContext<DistributorIn>,
  names: readonly string[],
): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const name of names) {
    let reason =
      'the distributor takes the JSON files an operator of the cluster processed (8 sections with its member id)';
    try {
      const n = parseFileName(name);
      if (n.type === 'json' && typeof n.tsd?.member === 'number') {
        out.set(name, n.tsd.member);
        continue;
      }
    } catch (err) {
      reason = errorMessage(err);
    }
    const pc = state.pc;
    const dirs = {
      watchDir: pc.distrDir,
      archiveDir: pc.archiveDir,
      bkupDir: pc.archiveDir,
      errDir: pc.errDir,
      distrDir: pc.distrDir,
    };
    const dest = await failFile(join(pc.distrDir, name), name, dirs, FILE_NAME_ERROR, reason);
    ctx.log.warn('file in distr_dir refused', { file: name, dest, reason });
  }
  return out;
}

type Idle = Extract<DistributorIn, { type: 'distributor.idle' }>;

async function scan(state: State, ctx: ActorContext<DistributorIn>): Promise<Idle> {
  const info = await ctx.ask(NODE, { type: 'node.metadata.info' });
  const ident = await ctx.ask(NODE, { type: 'node.identity' });
  const view = clusterView(state.metadata.at(info.file), ident, state.cfg.cluster_id);
  const pc = state.pc;
  const self = selfAddress(ident);
  pc.source = self ? { ip: self.externalIp, port: self.externalPort } : { ip: '0.0.0.0', port: 0 };
  const names = (await readdir(pc.distrDir)).filter((n) => !skip(n)).sort();
  const origins = await distributable(state, ctx, names.slice(0, PER_SCAN));
  const files = [...origins.keys()];
  // Refused names went to err_dir.
  const present = new Set(names.filter((n, i) => i >= PER_SCAN || origins.has(n)));
  for (const f of pc.done.keys()) if (!present.has(f)) pc.done.delete(f);
  const idle = (cluster: string, members: Member[], archived: number, error?: string): Idle => {
    const pending: Record<string, number> = {};
    for (const m of members) pending[m.id] = [...present].filter((f) => !pc.done.get(f)?.has(m.id)).length;
    const waiting = present.size;
    return {
      type: 'distributor.idle',
      cluster,
      members,
      pending,
      waiting,
      archived,
      ...(error !== undefined ? { error } : {}),
    };
  };
  if (!view.ok) return idle('', [], 0, view.error);
  // The member a file comes from has it (and if this node's own policy was not recognized, it is not sent to itself).
  for (const [f, origin] of origins) {
    for (const m of view.peers) {
      if (m.member !== origin) continue;
      let set = pc.done.get(f);
      if (!set) pc.done.set(f, (set = new Set()));
      set.add(m.id);
    }
  }
  const gz = new GzCache();
  let archived = 0;
  await Promise.all(view.peers.map((m) => sendToMember(pc, ctx, m, files, gz)));
  for (const f of files) {
    if (ctx.signal.aborted) break;
    if (!view.peers.every((m) => pc.done.get(f)?.has(m.id))) continue;
    await archiveFile(pc, f);
    pc.done.delete(f);
    present.delete(f);
    archived++;
  }
  return idle(view.cluster, view.peers, archived);
}

function startScan(state: State, ctx: ActorContext<DistributorIn>): void {
  if (!state.passes.request()) return;
  scan(state, ctx).then(
    (idle) => ctx.send(ctx.self, idle),
    (err: unknown) => {
      ctx.log.error('distributor scan failed', { error: errorMessage(err) });
      ctx.send(ctx.self, {
        type: 'distributor.idle',
        cluster: state.stats.cluster,
        members: [],
        pending: {},
        waiting: state.stats.waiting,
        archived: 0,
        error: errorMessage(err),
      });
    },
  );
}

function onIdle(state: State, ctx: ActorContext<DistributorIn>, msg: Idle): void {
  const s = state.stats;
  const again = state.passes.done();
  s.lastScan = Date.now();
  s.scanError = msg.error ?? '';
  s.archived += msg.archived;
  s.waiting = msg.waiting;
  if (msg.error === undefined) {
    s.cluster = msg.cluster;
    const ids = new Set(msg.members.map((m) => m.id));
    for (const m of msg.members) s.member(m).pending = msg.pending[m.id] ?? 0;
    for (const id of [...s.members.keys()]) if (!ids.has(id)) s.members.delete(id);
  }
  STASH.put(ctx, s.snapshot(state.pc.done));
  if (again) startScan(state, ctx);
}

export default defineActor<DataDistributorConfig, State, DistributorIn>({
  kind: 'data-distributor',
  config: (raw) => dataDistributorSchema.parse(raw),
  async init(ctx, cfg) {
    const d = ctx.node.dirs;
    const stash = await STASH.get(ctx);
    const pc: PassContext = {
      distrDir: cfg.distr_dir ?? d['distr_dir']!,
      archiveDir: cfg.archive_dir ?? d['archive_dir']!,
      errDir: d['err_dir']!,
      compress: cfg.compress,
      source: { ip: '0.0.0.0', port: 0 },
      done: new Map((stash?.done ?? []).map(([f, ids]) => [f, new Set(ids)])),
      backoff: new Map(),
    };
    // A plain inotify watch as the trigger (chokidar stats every file it sees: a distr_dir taking thousands of
    // files a second kept a core busy); the scan reads the directory itself.
    const watcher = watch(pc.distrDir, { persistent: false }, (_event, name) => {
      if (name === null || !skip(name)) ctx.send(ctx.self, { type: 'distributor.scan' });
    });
    watcher.on('error', (err: unknown) =>
      ctx.log.error('distr_dir watch error', { dir: pc.distrDir, error: errorMessage(err) }),
    );
    const timer = ctx.clock.setInterval(() => ctx.send(ctx.self, { type: 'distributor.scan' }), SCAN_MS);
    const stats = DistributorStats.from(stash);
    // A member that failed before the restart is tried again at once.
    for (const m of stats.members.values()) m.retryAt = 0;
    ctx.send(ctx.self, { type: 'distributor.scan' });
    return { cfg, pc, stats, watcher, timer, passes: new SerialPasses(), metadata: new MetadataReader() };
  },
  handle(state, msg, ctx) {
    switch (msg.type) {
      case 'distributor.scan':
        return startScan(state, ctx);
      case 'distributor.sent': {
        const m = state.stats.member(msg.member);
        m.sent++;
        m.bytes += msg.bytes;
        m.retryAt = 0;
        return undefined;
      }
      case 'distributor.failed': {
        const m = state.stats.member(msg.member);
        m.errors++;
        m.lastError = `${msg.file}: ${msg.error}`;
        m.lastErrorAt = Date.now();
        m.retryAt = msg.retryAt;
        return undefined;
      }
      case 'distributor.idle':
        return onIdle(state, ctx, msg);
      case 'distributor.stats':
        return state.stats.render(msg.format, { distr: state.pc.distrDir, archive: state.pc.archiveDir }, Date.now());
      default:
        return assertNever(msg, 'distributor message');
    }
  },
  async stop(state) {
    state.timer.cancel();
    state.watcher.close();
    await state.metadata.close();
  },
});
