// The blobs archiver actor (EdgeLake members/alarchiver.py): watches bwatch_dir (chokidar events plus a
// scan every 5 s, as EdgeLake's loop polls) and takes its files one at a time (process.ts). The index
// lives in the blobs dbms, connected as SQLite through the node when it is not connected yet; this
// worker writes it on its own connection. Rows go to the journal (RowProducer) and from there, through
// the streamer or the operator's replay, into the tables. Statistics are stashed on the main thread so
// a restarted worker goes on counting.
import { access, constants, mkdir, readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { defineActor, type ActorContext } from '../../runtime/actor.js';
import type { TimerHandle } from '../../runtime/clock.js';
import { ConfigError, DbmsError, EdgeRtError, assertNever, errorMessage } from '../../base/errors.js';
import { NODE } from '../../node/messages.js';
import { createUniqueEpoch } from '../../protocols/files/dest.js';
import { DBMS_NAME, openDbms } from '../../storage/dbms/open.js';
import type { DbmsAdapter } from '../../storage/dbms/types.js';
import { RowProducer } from '../_shared/row-producer.js';
import { ddl } from './catalog.js';
import { blobsArchiverSchema, type BlobsArchiverConfig } from './config.js';
import type { BlobsIn } from './messages.js';
import { BlobError } from './archive.js';
import { archiveOne, isCandidate, processFile, type ProcessContext } from './process.js';
import { checkFileId, checkNames } from './refs.js';
import { ArchiverStats, type StatsSnapshot } from './stats.js';
import { Status } from '../../base/status.js';
import { defineStash } from '../../node/stash.js';

const STASH = defineStash<StatsSnapshot>();

const SCAN_MS = 5000;

interface State {
  pc: ProcessContext;
  producer: RowProducer;
  watcher: FSWatcher;
  timer: TimerHandle;
  /** Files whose processing threw (not a bad file: e.g. err_dir not writable), logged once each. */
  stuck: Set<string>;
}

async function openIndex(ctx: ActorContext<BlobsIn>, cfg: BlobsArchiverConfig): Promise<DbmsAdapter> {
  const name = cfg.blobs_dbms;
  if (!DBMS_NAME.test(name))
    throw new ConfigError(`blobs archiver.blobs_dbms: '${name}' is not a dbms name (letters, digits, _)`);
  const list = () => ctx.ask(NODE, { type: 'node.dbms.list' });
  let entry = (await list()).find((d) => d.name === name);
  if (!entry) {
    // EdgeLake needs `connect dbms blobs_<dbms>` first; here the archiver connects its dbms itself.
    await ctx.ask(NODE, {
      type: 'node.command',
      text: `connect dbms ${name} where type = sqlite`,
      source: ctx.self,
    });
    entry = (await list()).find((d) => d.name === name);
    if (!entry) throw new DbmsError(`dbms '${name}' did not connect`, { code: Status.DbmsNotOpened });
  }
  const db = await openDbms(name, entry.config, {
    dbmsDir: ctx.node.dirs['dbms_dir']!,
    onIdleError: (err) => ctx.log.warn('blobs dbms connection dropped', { dbms: name, error: err.message }),
  });
  await db.execDDL(ddl());
  return db;
}

async function writableDir(dir: string, what: string): Promise<string> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await access(dir, constants.W_OK);
  } catch (err) {
    throw new ConfigError(`blobs archiver.${what}: '${dir}' is not a writable directory: ${errorMessage(err)}`, {
      code: Status.ProcessFailure,
      cause: err,
    });
  }
  return dir;
}

function saveStats(state: State, ctx: ActorContext<BlobsIn>): void {
  STASH.put(ctx, state.pc.stats.snapshot());
}

async function one(state: State, ctx: ActorContext<BlobsIn>, path: string): Promise<void> {
  try {
    const outcome = await processFile(state.pc, path);
    state.stuck.delete(path);
    if (outcome !== 'ignored') saveStats(state, ctx);
  } catch (err) {
    // Not the file's fault (it could not even be moved to err_dir): it stays, the next scan retries.
    if (!state.stuck.has(path))
      ctx.log.error('blobs archiver cannot process a file; retrying at each scan', { path, error: errorMessage(err) });
    state.stuck.add(path);
  }
}

export default defineActor<BlobsArchiverConfig, State, BlobsIn>({
  kind: 'blobs-archiver',
  config: (raw) => blobsArchiverSchema.parse(raw),
  async init(ctx, cfg) {
    const d = ctx.node.dirs;
    const blobs = await writableDir(cfg.blobs_dir ?? d['blobs_dir']!, 'blobs_dir');
    const dirs = {
      blobs,
      bwatch: await writableDir(cfg.bwatch_dir ?? d['bwatch_dir']!, 'bwatch_dir'),
      archive: await writableDir(cfg.archive_dir ?? join(blobs, 'archive'), 'archive_dir'),
      err: await writableDir(cfg.err_dir ?? d['err_dir']!, 'err_dir'),
    };
    const index = cfg.dbms ? await openIndex(ctx, cfg) : undefined;
    const producer = new RowProducer(ctx);
    const stash = await STASH.get(ctx);
    const pc: ProcessContext = {
      cfg,
      dirs,
      index,
      submit: (dbms, table, rows) => producer.submit(dbms, table, rows),
      stats: ArchiverStats.from(stash ?? undefined),
      log: ctx.log,
      now: () => new Date(ctx.clock.now()),
      uniqueEpoch: createUniqueEpoch(() => ctx.clock.now()),
    };
    const watcher = watch(dirs.bwatch, {
      depth: 0,
      ignoreInitial: true,
      ignored: (p: string) => p !== dirs.bwatch && !isCandidate(basename(p)),
      // A file copied in slowly is read once its size stops changing.
      awaitWriteFinish: { stabilityThreshold: 50, pollInterval: 20 },
    });
    watcher.on('add', (path: string) => ctx.send(ctx.self, { type: 'blobs.scan', path }));
    watcher.on('error', (err: unknown) =>
      ctx.log.error('bwatch directory error', { dir: dirs.bwatch, error: errorMessage(err) }),
    );
    const timer = ctx.clock.setInterval(() => ctx.send(ctx.self, { type: 'blobs.scan' }), SCAN_MS);
    ctx.send(ctx.self, { type: 'blobs.scan' });
    ctx.log.info('blobs archiver watching', {
      bwatch_dir: dirs.bwatch,
      blobs_dir: dirs.blobs,
      archive_dir: dirs.archive,
      dbms: cfg.dbms ? cfg.blobs_dbms : false,
    });
    return { pc, producer, watcher, timer, stuck: new Set() };
  },
  async handle(state, msg, ctx) {
    switch (msg.type) {
      case 'blobs.scan': {
        if (msg.path !== undefined) return one(state, ctx, msg.path);
        let names: string[];
        try {
          names = (await readdir(state.pc.dirs.bwatch)).filter(isCandidate).sort();
        } catch (err) {
          ctx.log.error('bwatch directory cannot be read', { dir: state.pc.dirs.bwatch, error: errorMessage(err) });
          return undefined;
        }
        for (const n of names) await one(state, ctx, join(state.pc.dirs.bwatch, n));
        return undefined;
      }
      case 'blobs.stats':
        return state.pc.stats.render(msg.format);
      case 'blobs.store': {
        checkNames(msg.dbms, msg.table, msg.source);
        const id = checkFileId(msg.id ?? basename(msg.source), 'file store');
        let rec;
        try {
          rec = await archiveOne(state.pc, msg.source, { dbms: msg.dbms, table: msg.table, id, refFile: '' });
        } catch (err) {
          if (err instanceof EdgeRtError) throw err;
          throw new BlobError(`file store: cannot archive '${msg.source}': ${errorMessage(err)}`, {
            code: Status.FileMoveFailed,
            cause: err,
          });
        }
        state.pc.stats.blob(`${msg.dbms}.${msg.table}`, id);
        saveStats(state, ctx);
        return rec.fileId;
      }
      default:
        return assertNever(msg, 'blobs archiver message');
    }
  },
  async stop(state) {
    state.timer.cancel();
    await state.watcher.close();
    await state.pc.index?.close();
    await state.producer.close();
  },
});
