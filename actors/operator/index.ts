// The operator actor: lands rows in the local databases.
//   - batches from the streamer's ring (journal entries, applied exactly once: apply.ts)
//   - files in the watch directory (inotify events once a file is quiet, plus a scan at start and every 5 s: files.ts)
//   - journal replay: at start everything not yet applied, then every second what the ring path
//     has not delivered within the grace period (a crashed streamer, a full ring, no streamer at all)
//   - retries: a table whose batch failed waits out a backoff, then its pending journal entries are
//     tried again (`operator.retry`, retry.ts); its ring frames meanwhile stay in the journal
// EdgeLake's operator needs an operator policy and a cluster; this one also runs on a standalone
// node with neither (member 0), which is the embedded default.
import { defineActor, type ActorContext } from '../../runtime/actor.js';
import type { TimerHandle } from '../../runtime/clock.js';
import { assertNever, errorMessage } from '../../base/errors.js';
import { NODE } from '../../node/messages.js';
import { armRing } from '../../runtime/ring-pump.js';
import { Journal } from '../../storage/journal/journal.js';
import type { DbmsEntry } from '../../storage/registry.js';
import { TSD_DBMS } from '../../storage/schema/tsd.js';
import { countUnapplied, reconcile, replayAtStart as replayJournal } from './replay.js';
import { MERGE_BYTES, MERGE_ROWS, NEW_TABLE_ROWS, catchUp, drainRing } from './ring-drain.js';
import { RetryBook } from './retry.js';
import { Catalog } from './catalog.js';
import { operatorSchema, type OperatorConfig } from './config.js';
import type { FileContext } from './files.js';
import { Finisher, checkWatchDir } from '../_shared/file-moves.js';
import { filesNow, openWatch, scanWatchDir, type WatchDirState } from './watch-dir.js';
import type { OperatorIn, OperatorTopic } from './messages.js';
import { OperatorStats, renderTopics } from './stats.js';
import { TrimQueue } from './trim.js';
import { JournalMapRelease } from './map-release.js';
import { TsdInfo } from './tsd.js';
import { loadOperatorPolicy, tableOwner, type OperatorPolicy } from './policy.js';
import { readSetting } from '../../node/settings.js';
import { PARTITIONS } from '../../node/notices.js';

/** Journal entries younger than this are left to the ring path. */
const GRACE_MS = 2000;
const RECONCILE_MS = 1000;
const SCAN_MS = 5000;

interface State extends WatchDirState {
  cfg: OperatorConfig;
  policy: OperatorPolicy | undefined;
  journal: Journal;
  timers: TimerHandle[];
  reconciling: boolean;
  retryTimer: TimerHandle | undefined;
  retryAt: number;
  /** Watch-dir paths from watcher events, taken by the next `operator.files`. */
  queued: Set<string>;
  /** Gives the journal's mapped pages back after trims and periodically (map-release.ts). */
  mapRelease: JournalMapRelease;
}

/** Keeps one timer at the time the next table in backoff is due (none when no table waits). */
function armRetry(state: State, ctx: ActorContext<OperatorIn>): void {
  const now = Date.now();
  const wait = state.fctx.retries.nextIn(now);
  if (wait === undefined) return;
  if (state.retryTimer && state.retryAt <= now + wait) return;
  state.retryTimer?.cancel();
  state.retryAt = now + wait;
  state.retryTimer = ctx.clock.setTimeout(() => {
    state.retryTimer = undefined;
    ctx.send(ctx.self, { type: 'operator.retry' });
  }, wait);
}

/** Tables whose backoff is over: their pending entries from the journal, a bounded slice per message. */
async function retryDue(state: State, ctx: ActorContext<OperatorIn>): Promise<void> {
  let more = false;
  for (const r of state.fctx.retries.due(Date.now())) {
    if (!(await state.fctx.catalog.open(r.dbms))) {
      // Nothing to try until `connect dbms`: wait another (longer) backoff.
      state.fctx.retries.failed(r.dbms, r.table, 'transient', state.fctx.catalog.notOpen(r.dbms).message, Date.now());
      continue;
    }
    const out = await reconcile(state.fctx, { graceMs: 0, maxRows: MERGE_ROWS, maxBytes: MERGE_BYTES, only: r });
    // Nothing pending any more (applied by another path): the table is fine.
    if (out.tried === 0) state.fctx.retries.succeeded(r.dbms, r.table);
    // A backlog behind the retried batch: the next slice at once (after what the mailbox holds).
    if (out.more && !state.fctx.retries.waiting(r.dbms, r.table, Date.now())) more = true;
  }
  if (more) ctx.send(ctx.self, { type: 'operator.retry' });
}

/** The node's databases, for this operator to write; each connection opens at first use (catalog.ts). */
async function connectAll(state: State, list: DbmsEntry[]): Promise<void> {
  for (const d of list) await state.fctx.catalog.connect(d.name, d.config);
}

/**
 * The start replay (replay.ts: the entries the journal holds above the recorded positions when it begins, in passes
 * of one transaction per table), with its progress (n of N entries, rate) told to the node (`node.progress`: logs,
 * `get progress`, `/status`; `gate` holds `/readyz`) and to `/metrics`.
 */
async function replayAtStart(ctx: ActorContext<OperatorIn>, fctx: FileContext): Promise<number> {
  const total = await countUnapplied(fctx);
  const task = 'journal replay';
  const remaining = 'edgelake_rt_journal_replay_remaining_entries';
  ctx.metrics.set(remaining, {}, total);
  let entries = 0;
  const tell = (finished: boolean): void =>
    ctx.send(NODE, { type: 'node.progress', task, done: entries, total, unit: 'entries', finished, gate: true });
  // Told even when there is nothing to replay: a replay an earlier incarnation left unfinished is over.
  if (total === 0) return (tell(true), 0);
  tell(false);
  const r = await replayJournal(fctx, total, {
    // The first pass creates the tables the journal names: NEW_TABLE_ROWS, for the cost of their column inference.
    firstRows: NEW_TABLE_ROWS,
    rows: MERGE_ROWS,
    maxBytes: MERGE_BYTES,
    onApplied: (e) => {
      // Entries appended during the replay may be applied in its last pass: N stays the count it set out with.
      entries = Math.min(total, entries + e);
      ctx.metrics.set(remaining, {}, total - entries);
      tell(false);
    },
    // The dbms writes may complete without a macrotask turn (SQLite is synchronous): yield one, so the progress
    // and the metrics go out now and not all at the end.
    between: () => new Promise<void>((res) => setImmediate(res)),
  });
  ctx.metrics.set(remaining, {}, 0);
  tell(true);
  return r.rows;
}

async function dispatch(state: State, msg: OperatorIn, ctx: ActorContext<OperatorIn>): Promise<unknown> {
  switch (msg.type) {
    case 'operator.drain':
      await drainRing(state.fctx, ctx, msg.ring);
      return undefined;
    case 'operator.file': {
      if (!msg.paths) {
        await scanWatchDir(state, ctx);
        return undefined;
      }
      // The watch's quiet files are queued; the first ones queued send `operator.files`, which comes after the
      // messages already in the mailbox: files that arrived together are taken together.
      const before = state.queued.size;
      for (const p of msg.paths) state.queued.add(p);
      if (before === 0 && state.queued.size > 0) ctx.send(ctx.self, { type: 'operator.files' });
      return undefined;
    }
    case 'operator.files': {
      const paths = [...state.queued];
      state.queued.clear();
      await filesNow(state, paths);
      return undefined;
    }
    case 'operator.reconcile':
      await reconcile(state.fctx, { graceMs: GRACE_MS, maxRows: MERGE_ROWS, maxBytes: MERGE_BYTES });
      // Once a second too: a writer with nothing written since the last tick empties SQLite's log, so a kill
      // while idle leaves nothing to recover (storage/dbms/sqlite-wal.ts).
      await state.fctx.catalog.idle();
      state.mapRelease.tick();
      return undefined;
    case 'operator.catchup':
      await catchUp(state.fctx, ctx, { dbms: msg.dbms, table: msg.table });
      return undefined;
    case 'operator.retry':
      await retryDue(state, ctx);
      return undefined;
    case 'operator.dbms':
      await connectAll(state, [{ name: msg.name, config: msg.config }]);
      return undefined;
    case 'operator.dbms.disconnect':
      await state.fctx.catalog.disconnect(msg.name);
      return undefined;
    case 'operator.partitions':
      state.fctx.partitions = msg.list;
      // Also sent after `drop partition`: the partition tables this worker knows may be gone; read them again.
      for (const c of state.fctx.catalog.opened())
        for (const t of c.tables.keys()) if (t.startsWith('par_')) c.tables.delete(t);
      return undefined;
    case 'operator.stats':
      // The plain `get operator` shows tables in backoff too, while there are any.
      return renderTopics(state.fctx.stats, withRetry(msg.topics, state.fctx.retries), msg.format, {
        node: msg.nodeName ?? ctx.node.name,
        active: true,
        member: String(state.fctx.memberId),
        policy: state.cfg.policy ?? '',
        cluster: state.policy?.cluster ?? '',
        retries: state.fctx.retries.list(),
      });
    default:
      return assertNever(msg, 'operator message');
  }
}

const withRetry = (topics: OperatorTopic[], retries: RetryBook): OperatorTopic[] =>
  topics.length > 1 && retries.list().length > 0 && !topics.includes('retry') ? [...topics, 'retry'] : topics;

export default defineActor<OperatorConfig, State, OperatorIn>({
  kind: 'operator',
  config: (raw) => operatorSchema.parse(raw),
  async init(ctx, cfg) {
    const d = ctx.node.dirs;
    // EdgeLake: the operator policy must exist; its member and cluster are this operator's.
    const policy = cfg.policy === undefined ? undefined : await loadOperatorPolicy(ctx, cfg.policy);
    const journal = Journal.open(d['journal_dir']!);
    const mapRelease = new JournalMapRelease(journal, ctx.log);
    const catalog = new Catalog(d['dbms_dir']!, ctx.log, policy ? tableOwner(ctx, policy, cfg.master_node) : undefined);
    const stats = new OperatorStats();
    let seq = Date.now();
    const fctx: FileContext = {
      catalog,
      journal,
      stats,
      trims: new TrimQueue(journal, ctx.log, () => mapRelease.trimmed()),
      log: ctx.log,
      errDir: cfg.error_dir ?? d['err_dir']!,
      createTable: cfg.create_table,
      tsd: cfg.update_tsd_info,
      member: String(policy?.member ?? 0),
      limitTables: cfg.limit_tables,
      seen: new Map(),
      metrics: ctx.metrics,
      lag: new Map(),
      progress: (task, done, total, unit, finished) =>
        ctx.send(NODE, { type: 'node.progress', task, done, total, unit, finished }),
      skipped: new Set(),
      retries: new RetryBook(),
      // `partition` declarations made before this operator started; later ones come as `operator.partitions`.
      partitions: (await readSetting(ctx, PARTITIONS)) ?? [],
      dirs: {
        watchDir: cfg.watch_dir ?? d['watch_dir']!,
        archiveDir: cfg.archive_dir ?? d['archive_dir']!,
        bkupDir: cfg.bkup_dir ?? d['bkup_dir']!,
        errDir: cfg.error_dir ?? d['err_dir']!,
        distrDir: cfg.distr_dir ?? d['distr_dir']!,
      },
      cfg,
      finisher: new Finisher((path, err) =>
        ctx.log.error('archiving a processed file failed; it is moved again at the next scan', {
          path,
          error: errorMessage(err),
        }),
      ),
      tsdInfo: cfg.update_tsd_info ? new TsdInfo(catalog) : undefined,
      distribute: cfg.distributor
        ? { archiveDir: cfg.archive_dir ?? d['archive_dir']!, distrDir: cfg.distr_dir ?? d['distr_dir']! }
        : undefined,
      memberId: policy?.member ?? 0,
      // A unique row id for claimed files when tsd_info does not give one.
      nextRowId: () => String(++seq),
      // Set below to the watch's view, once the state holding the watch exists.
      writing: () => false,
    };
    let list = await ctx.ask(NODE, { type: 'node.dbms.list' });
    if (cfg.update_tsd_info && !list.some((x) => x.name === TSD_DBMS)) {
      // EdgeLake needs `connect dbms almgm` and `create table tsd_info` first; do it for the user.
      await ctx.ask(NODE, {
        type: 'node.command',
        text: `connect dbms ${TSD_DBMS} where type = sqlite`,
        source: 'operator',
      });
      list = await ctx.ask(NODE, { type: 'node.dbms.list' });
    }
    // Also checked on the main thread before the worker starts; here for a directory removed in between (a restart).
    await checkWatchDir(fctx.dirs.watchDir, 'watch_dir');
    // Opened before the start scan, so a file still being written at start is seen by both and taken once quiet. A
    // watch that cannot be opened (the inotify limits: ENOSPC) leaves the scans, which try it again each time.
    const watcher = await openWatch(ctx, fctx.dirs.watchDir).catch((err: unknown) => {
      ctx.log.warn('watch directory cannot be watched; taking its files by scans only', {
        path: fctx.dirs.watchDir,
        error: errorMessage(err),
      });
      return undefined;
    });
    const state: State = {
      cfg,
      policy,
      fctx,
      journal,
      watcher,
      timers: [],
      reconciling: false,
      leftLogged: new Map(),
      retryTimer: undefined,
      retryAt: 0,
      queued: new Set(),
      mapRelease,
    };
    fctx.writing = (name) => state.watcher?.pending(name) ?? false;
    await connectAll(state, list);
    state.timers.push(
      ctx.clock.setInterval(() => ctx.send(ctx.self, { type: 'operator.reconcile' }), RECONCILE_MS),
      ctx.clock.setInterval(() => ctx.send(ctx.self, { type: 'operator.file' }), SCAN_MS),
      ctx.clock.setInterval(() => void fctx.trims.flush(), 500),
    );
    // At start: everything the journal holds above the recorded positions, then the files left.
    const replayed = await replayAtStart(ctx, fctx);
    if (replayed > 0) ctx.log.info('journal replayed at start', { rows: replayed });
    // What the replay read goes now (its trims follow within the second and release again).
    mapRelease.release();
    armRetry(state, ctx);
    ctx.send(ctx.self, { type: 'operator.file' });
    for (const name of ctx.ringNames()) armRing(ctx, name, 'operator.drain', 1000);
    return state;
  },
  onRing(_state, name, ctx) {
    armRing(ctx, name, 'operator.drain', 1000);
  },
  async handle(state, msg, ctx) {
    try {
      return await dispatch(state, msg, ctx);
    } finally {
      armRetry(state, ctx);
    }
  },
  async stop(state) {
    state.retryTimer?.cancel();
    for (const t of state.timers) t.cancel();
    state.watcher?.close();
    await state.fctx.finisher.drain();
    await state.fctx.trims.flush();
    for (const name of state.fctx.catalog.names()) await state.fctx.catalog.disconnect(name);
    await state.journal.close();
  },
});
