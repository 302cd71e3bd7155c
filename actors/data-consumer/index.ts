// The Consumer actor (seed 003 "HA Process", Data Consumer; AnyLog only, not in EdgeLake 1.4): every `interval`
// compares this node's TSD tables with those of the other operators of its cluster over the date range, and pulls
// the files it lacks from a peer that has them (check.ts). `set consumer mode = suspend` stops the requests until
// `set consumer mode = active`; the mode is kept on the node (it survives a restart of the worker, not `exit`).
// The missing files and the counters are stashed on the node: a restarted worker goes on from them.
import { defineActor, type ActorContext } from '../../runtime/actor.js';
import type { TimerHandle } from '../../runtime/clock.js';
import { assertNever, errorMessage } from '../../base/errors.js';
import { NODE } from '../../node/messages.js';
import { MetadataReader } from '../../storage/metadata/reader.js';
import { clusterView } from '../_shared/ha-members.js';
import { runCheck, type CheckContext } from './check.js';
import { dataConsumerSchema, type ConsumerMode, type DataConsumerConfig } from './config.js';
import { parseDate } from './dates.js';
import { CONSUMER_KIND, CONSUMER_SETTING, type ConsumerIn } from './messages.js';
import { readSetting } from '../../node/settings.js';
import { ConsumerStats, renderFiles, type ConsumerSnapshot, type WantedFile } from './stats.js';
import { defineStash } from '../../node/stash.js';

const STASH = defineStash<ConsumerSnapshot>();

interface State {
  cfg: DataConsumerConfig;
  mode: ConsumerMode;
  files: Map<string, WantedFile>;
  stats: ConsumerStats;
  timer: TimerHandle;
  busy: boolean;
  metadata: MetadataReader;
}

function startCheck(state: State, ctx: ActorContext<ConsumerIn>): void {
  if (state.busy) return;
  state.busy = true;
  const cc: CheckContext = {
    cfg: state.cfg,
    files: state.files,
    mode: () => state.mode,
    cluster: async () => {
      const info = await ctx.ask(NODE, { type: 'node.metadata.info' });
      const ident = await ctx.ask(NODE, { type: 'node.identity' });
      return clusterView(state.metadata.at(info.file), ident, state.cfg.cluster_id);
    },
  };
  runCheck(cc, ctx).then(
    (msg) => ctx.send(ctx.self, msg),
    (err: unknown) => {
      ctx.log.error('consumer check failed', { error: errorMessage(err) });
      ctx.send(ctx.self, {
        type: 'consumer.checked',
        cluster: state.stats.cluster,
        start: state.stats.start,
        end: state.stats.end,
        peers: [],
        error: errorMessage(err),
      });
    },
  );
}

export default defineActor<DataConsumerConfig, State, ConsumerIn>({
  kind: CONSUMER_KIND,
  config: (raw) => {
    const cfg = dataConsumerSchema.parse(raw);
    // Refused at `run`, not at the first check.
    parseDate(cfg.start_date, Date.now(), 'data consumer.start_date');
    if (cfg.end_date !== undefined) parseDate(cfg.end_date, Date.now(), 'data consumer.end_date');
    return cfg;
  },
  async init(ctx, cfg) {
    const stash = await STASH.get(ctx);
    const set = await readSetting(ctx, CONSUMER_SETTING);
    const timer = ctx.clock.setInterval(() => ctx.send(ctx.self, { type: 'consumer.check' }), cfg.interval * 1000);
    ctx.send(ctx.self, { type: 'consumer.check' });
    return {
      cfg,
      mode: set?.mode ?? cfg.mode,
      files: new Map((stash?.files ?? []).map((f) => [f.hash, f])),
      stats: ConsumerStats.from(stash),
      timer,
      busy: false,
      metadata: new MetadataReader(),
    };
  },
  handle(state, msg, ctx) {
    switch (msg.type) {
      case 'consumer.check':
        return startCheck(state, ctx);
      case 'consumer.checked': {
        state.busy = false;
        const s = state.stats;
        s.checks++;
        s.lastCheck = Date.now();
        s.checkError = msg.error ?? '';
        s.start = msg.start;
        s.end = msg.end;
        if (msg.error === undefined) {
          s.cluster = msg.cluster;
          for (const r of msg.peers) s.apply(r);
          const ids = new Set(msg.peers.map((r) => r.peer.id));
          for (const id of [...s.peers.keys()]) if (!ids.has(id)) s.peers.delete(id);
        }
        STASH.put(ctx, s.snapshot(state.files));
        return undefined;
      }
      case 'consumer.mode':
        if (state.mode !== msg.mode) ctx.log.info('consumer mode changed', { mode: msg.mode });
        state.mode = msg.mode;
        if (msg.mode === 'active') startCheck(state, ctx);
        return undefined;
      case 'consumer.stats':
        return msg.topic === 'files'
          ? renderFiles(state.files.values(), msg.format)
          : state.stats.summary(msg.format, state.mode);
      default:
        return assertNever(msg, 'consumer message');
    }
  },
  async stop(state) {
    state.timer.cancel();
    await state.metadata.close();
  },
});
