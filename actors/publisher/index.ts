// The Publisher actor (seed 003 "Publisher Process"; AnyLog only, not in EdgeLake): ships each file of its watch
// directory to an operator that hosts the file's table (route.ts), as EdgeLake's `file write` with generic flag 1
// (the operator's watch directory; peer/file-send.ts), then removes it (delete_json / delete_sql) or moves
// it to bkup_dir (compressed with compress_json / compress_sql).
//   - a file is removed only once an operator took all of it; until then it stays in the watch directory and
//     every scan (every 2 s, and on a new file) tries again: an operator that is down delays files, never loses
//     them. `get publisher` shows the failures per destination.
//   - the operators of a table's clusters are tried cluster by cluster (round robin over the clusters, as
//     EdgeLake's metadata layer does for queries), the first operator of a cluster that takes the file wins
//   - a JSON file named without its hash (`dbms.table.json`, `dbms.table.src.0.json`) gets the md5 hash section
//     before it goes (protocols/files/hash.ts), so two files of one name never overwrite each other at the
//     operator; other names go as they are
//   - a file name that is not EdgeLake's goes to error_dir (119); no operator for the table: it waits
// The metadata is read from the node's ledger store, read-only in this worker (storage/metadata/reader.ts).
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { defineActor, type ActorContext } from '../../runtime/actor.js';
import type { TimerHandle } from '../../runtime/clock.js';
import { ConfigError, assertNever, errorMessage } from '../../base/errors.js';
import { NODE, askSign } from '../../node/messages.js';
import { parseAddress } from '../../peer/address.js';
import { sendFile } from '../../peer/file-send.js';
import {
  createFileHasher,
  formatFileName,
  parseFileName,
  FILE_NAME_ERROR,
  type JsonFileName,
  type SqlFileName,
} from '../../protocols/files/names.js';
import type { NodeAddress } from '../../protocols/policy/address.js';
import { SerialPasses } from '../_shared/serial-passes.js';
import { selfAddress } from '../_shared/ha-members.js';
import { MetadataReader } from '../../storage/metadata/reader.js';
import type { LedgerStore } from '../../storage/metadata/store.js';
import { failFile, finishFile, regularStream, type MoveDirs } from '../_shared/file-moves.js';
import { publisherSchema, type PublisherConfig } from './config.js';
import type { PublisherIn } from './messages.js';
import { operatorGroups } from './route.js';
import { DISTRIBUTION_SETTING, type DistributionRule } from './distribution-rules.js';
import { readSetting } from '../../node/settings.js';
import { PublisherStats } from './stats.js';
import { Status } from '../../base/status.js';

const SCAN_MS = 2000;
/** A file younger than this may still be being written: the next scan takes it. */
const SETTLE_MS = 300;
const CONNECT_TIMEOUT_MS = 3000;

interface State {
  cfg: PublisherConfig;
  dirs: MoveDirs;
  stats: PublisherStats;
  watcher: FSWatcher;
  timer: TimerHandle;
  passes: SerialPasses;
  metadata: MetadataReader;
  /** Round robin over a table's clusters; read and written only by the scan in progress. */
  turn: Map<string, number>;
}

const skip = (name: string): boolean => name.startsWith('.') || /\.(part|tmp|transfer)$/.test(name);

async function md5Of(path: string, dbms: string, table: string): Promise<string> {
  const h = createFileHasher(dbms, table);
  // Regular files only: a FIFO's open would wait for a writer for ever (file-moves.ts `openRegular`).
  for await (const chunk of await regularStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** The name the operator gets (see the header). */
async function sendName(path: string, n: JsonFileName | SqlFileName): Promise<string> {
  if (n.type !== 'json' || n.tsd || n.hash !== '0') return n.fileName;
  return formatFileName({
    dbms: n.dbms,
    table: n.table,
    source: n.source,
    hash: await md5Of(path, n.dbms, n.table),
    instructions: n.instructions,
  });
}

type Report = (dbms: string, table: string, dest: string, error?: string) => void;

async function publishOne(
  state: State,
  ctx: ActorContext<PublisherIn>,
  name: string,
  store: LedgerStore,
  self: NodeAddress | undefined,
  down: Map<string, string>,
  report: Report,
  rules: readonly DistributionRule[] | undefined,
): Promise<boolean> {
  const path = join(state.dirs.watchDir, name);
  let n: JsonFileName | SqlFileName;
  try {
    const p = parseFileName(name);
    const inner = p.type === 'gz' ? parseFileName(p.inner) : p;
    if (inner.type === 'gz')
      throw new ConfigError(`file name ${JSON.stringify(name)}: .gz twice`, { code: FILE_NAME_ERROR });
    n = p.type === 'gz' ? { ...inner, fileName: name } : inner;
  } catch (err) {
    await failFile(path, name, state.dirs, FILE_NAME_ERROR, errorMessage(err));
    report('', '', '-', `${name}: ${errorMessage(err)}`);
    return true;
  }
  const groups = operatorGroups(store, n.dbms, n.table, state.cfg.company, self, rules);
  if (groups.length === 0) {
    report(n.dbms, n.table, '-', `no operator hosts ${n.dbms}.${n.table} (no cluster lists the table)`);
    return false;
  }
  const key = `${n.dbms}.${n.table}`;
  const first = (state.turn.get(key) ?? 0) % groups.length;
  state.turn.set(key, first + 1);
  const dest = await sendName(path, n);
  const source = self ? { ip: self.externalIp, port: self.externalPort } : { ip: '0.0.0.0', port: 0 };
  for (let g = 0; g < groups.length; g++) {
    for (const op of groups[(first + g) % groups.length]!) {
      if (down.has(op.address)) continue;
      try {
        await sendFile(parseAddress(op.address)!, path, dest, 1, source, CONNECT_TIMEOUT_MS, askSign(ctx));
      } catch (err) {
        const why = `${errorMessage(err)} (operator ${op.name})`;
        down.set(op.address, why);
        report(n.dbms, n.table, op.address, why);
        ctx.log.warn('file not delivered: it stays for the next scan', {
          file: name,
          operator: op.address,
          error: errorMessage(err),
        });
        continue;
      }
      report(n.dbms, n.table, op.address);
      const json = name.endsWith('.json') || name.endsWith('.json.gz');
      await finishFile(path, name, state.dirs, {
        archive: false,
        compress: !name.endsWith('.gz') && (json ? state.cfg.compress_json : state.cfg.compress_sql),
        delete: json ? state.cfg.delete_json : state.cfg.delete_sql,
        move: true,
      });
      return true;
    }
  }
  return false;
}

/** One pass over the watch directory. Outcomes come back as messages (state changes in `handle`). */
async function scan(state: State, ctx: ActorContext<PublisherIn>): Promise<number> {
  const info = await ctx.ask(NODE, { type: 'node.metadata.info' });
  const store = state.metadata.at(info.file);
  const self = selfAddress(await ctx.ask(NODE, { type: 'node.identity' }));
  const rules = await readSetting(ctx, DISTRIBUTION_SETTING);
  const names = (await readdir(state.dirs.watchDir)).filter((x) => !skip(x)).sort();
  const down = new Map<string, string>();
  const report: Report = (dbms, table, dest, error) =>
    ctx.send(ctx.self, { type: 'publisher.result', dbms, table, dest, ...(error !== undefined ? { error } : {}) });
  let pending = 0;
  for (const name of names) {
    if (ctx.signal.aborted) break;
    const path = join(state.dirs.watchDir, name);
    try {
      const st = await stat(path);
      if (!st.isFile()) continue;
      if (Date.now() - st.mtimeMs < SETTLE_MS) {
        pending++;
        continue;
      }
      if (!(await publishOne(state, ctx, name, store, self, down, report, rules))) pending++;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // removed meanwhile
      pending++;
      ctx.log.warn('file left for the next scan', { file: name, error: errorMessage(err) });
    }
  }
  return pending;
}

function startScan(state: State, ctx: ActorContext<PublisherIn>): void {
  if (!state.passes.request()) return;
  scan(state, ctx).then(
    (pending) => ctx.send(ctx.self, { type: 'publisher.idle', pending }),
    (err: unknown) => {
      ctx.log.error('publisher scan failed', { error: errorMessage(err) });
      ctx.send(ctx.self, { type: 'publisher.idle', pending: -1 });
    },
  );
}

export default defineActor<PublisherConfig, State, PublisherIn>({
  kind: 'publisher',
  config: (raw) => publisherSchema.parse(raw),
  init(ctx, cfg) {
    if (cfg.blockchain !== undefined && cfg.blockchain !== 'master')
      throw new ConfigError(
        `run publisher: blockchain = ${cfg.blockchain}: no blockchain platform is supported here (the metadata comes from the master through run blockchain sync)`,
        { code: Status.CommandStructure },
      );
    const d = ctx.node.dirs;
    const dirs: MoveDirs = {
      watchDir: cfg.watch_dir ?? d['watch_dir']!,
      bkupDir: cfg.bkup_dir ?? d['bkup_dir']!,
      errDir: cfg.error_dir ?? d['err_dir']!,
      archiveDir: d['archive_dir']!,
      distrDir: d['distr_dir']!,
    };
    const watcher = watch(dirs.watchDir, {
      depth: 0,
      ignoreInitial: true,
      ignored: (p: string) => skip(p.slice(p.lastIndexOf('/') + 1)),
    });
    watcher.on('add', () => ctx.send(ctx.self, { type: 'publisher.scan' }));
    watcher.on('error', (err: unknown) =>
      ctx.log.error('watch directory error', { dir: dirs.watchDir, error: errorMessage(err) }),
    );
    const timer = ctx.clock.setInterval(() => ctx.send(ctx.self, { type: 'publisher.scan' }), SCAN_MS);
    const state: State = {
      cfg,
      dirs,
      stats: new PublisherStats(),
      watcher,
      timer,
      passes: new SerialPasses(),
      metadata: new MetadataReader(),
      turn: new Map(),
    };
    ctx.send(ctx.self, { type: 'publisher.scan' });
    return state;
  },
  handle(state, msg, ctx) {
    switch (msg.type) {
      case 'publisher.scan':
        return startScan(state, ctx);
      case 'publisher.result':
        if (msg.error === undefined) state.stats.ok(msg.dbms, msg.table, msg.dest);
        else state.stats.fail(msg.dbms, msg.table, msg.dest, msg.error);
        return undefined;
      case 'publisher.idle':
        if (msg.pending >= 0) state.stats.pending = msg.pending;
        if (state.passes.done()) startScan(state, ctx);
        return undefined;
      case 'publisher.stats':
        return msg.topic === 'files' ? state.stats.files(msg.format) : state.stats.summary(ctx.node.name, msg.format);
      default:
        return assertNever(msg, 'publisher message');
    }
  },
  async stop(state) {
    state.timer.cancel();
    await state.watcher.close();
    await state.metadata.close();
  },
});
