// The Blockchain Sync actor (EdgeLake blockchain/bsync.py synchronizer L207-330): every `time` seconds it asks the
// master for its ledger with `event get_blockchain <blockchain dir>/blockchain.new <version> 0`. The master answers
// on our TCP server with a `file write` of its ledger (generic flag 2), or nothing when <version> is what it
// holds; the TCP worker then runs `event blockchain_use_new <file>`, which merges the ledger into this node's
// metadata on the main thread (node/commands/builtin/blockchain-events.ts). This actor only keeps the schedule
// and sends the request, so a slow or dead master never holds up the node.
//   source = master   the loop above; `connection = ip:port` is required
//   source = dbms     EdgeLake's master loop (bsync.py `master_synchronizer`): every `time` seconds the ledger table
//                     of dbms `blockchain` becomes the ledger file and the metadata when it differs from them (a
//                     policy another writer put in the table is taken; `dest = file`)
//   dest = dbms       with source = master, each ledger taken from the master is written to that table too
//                     (bsync.py `blockchain update dbms` after a changed file): blockchain-events.ts `useNew`
//   source = blockchain   refused: no blockchain platform is supported here
// The md5 sent is that of the last ledger taken from the master, or 0 while this node has changes the master has
// not confirmed (EdgeLake always sends 0 with `dest = file`, so its master resends the whole ledger every period).
// `sync.now` (a bare `run blockchain sync`, a policy deletion) syncs at once; the schedule then goes on.
import { dirname, join } from 'node:path';
import { defineActor, type ActorContext } from '../../runtime/actor.js';
import type { TimerHandle } from '../../runtime/clock.js';
import { ConfigError, assertNever, errorMessage } from '../../base/errors.js';
import { NODE, askSign } from '../../node/messages.js';
import type { Address } from '../../protocols/tcp/builders.js';
import { blockchainSyncSchema, type BlockchainSyncConfig } from './config.js';
import type { SyncIn, SyncInfo } from './messages.js';
import { parseAddress, sendCommand, sourceFor } from '../../peer/send-command.js';
import type { TcpConnection } from '../../peer/address.js';
import { Status } from '../../base/status.js';
import { SerialPasses } from '../_shared/serial-passes.js';

interface State {
  cfg: BlockchainSyncConfig;
  master: Address | undefined;
  timer: TimerHandle | undefined;
  /** One request at a time; a sync asked for while one is being sent is sent once more when it ends. */
  passes: SerialPasses;
  calls: number;
  /** Syncs whose request could not reach the master (`get synchronizer` Sync Err). */
  failures: number;
  lastError: string;
  /** source = dbms: the policy ids the ledger table held at the last look. */
  seen: string[] | undefined;
}

/** The request of one sync; resolves with the error text ('' when sent). */
async function request(ctx: ActorContext<SyncIn>, master: Address): Promise<string> {
  const info = await ctx.ask(NODE, { type: 'node.metadata.info' });
  const ident = await ctx.ask(NODE, { type: 'node.identity' });
  const tcp = ident.connections['TCP'];
  if (!tcp) return 'no TCP server runs here to receive the ledger (run tcp server first)';
  // EdgeLake: utils_io.get_writeable_file_name(blockchain_file, "new"); spaces travel as TAB.
  const dest = join(dirname(info.file), 'blockchain.new').replaceAll(' ', '\t');
  const text = `event get_blockchain ${dest} ${info.syncHash} 0`;
  const source = sourceFor(tcp, master, '127.0.0.1');
  if (isSelf(tcp, master)) return requestSelf(ctx, text, source);
  try {
    await sendCommand(master, text, source, { tries: 1, connectTimeoutMs: 5000, sign: askSign(ctx) });
    return '';
  } catch (err) {
    return errorMessage(err);
  }
}

/** `connection` names this node's own TCP server: a master node syncing from itself. */
function isSelf(tcp: TcpConnection, master: Address): boolean {
  const m = `${master.ip}:${master.port}`;
  return m === tcp.external || m === tcp.internal || m === tcp.bind;
}

/**
 * The request to this node itself goes to its dispatcher with the address it would carry over TCP (the ledger, if
 * it differs, is still sent as a `file write` to our TCP server), instead of a connection to our own TCP server
 * and a command worker started for it: an idle master node runs no TCP command worker (bench/README.md memory).
 * What the master answers an error with (`echo`, e.g. an empty ledger) would arrive as an answer no job waits for
 * (peer/network.ts `show`): it is logged here, and the request counts as sent, as it would over TCP.
 */
async function requestSelf(ctx: ActorContext<SyncIn>, text: string, source: Address): Promise<string> {
  try {
    await ctx.ask(NODE, { type: 'node.command', text, source: 'blockchain-sync', peer: source });
  } catch (err) {
    ctx.log.info('the master (this node) answered the ledger request with an error', { error: errorMessage(err) });
  }
  return '';
}

function schedule(state: State, ctx: ActorContext<SyncIn>, ms: number): void {
  state.timer?.cancel();
  state.timer = ctx.clock.setTimeout(() => ctx.send(ctx.self, { type: 'sync.tick' }), ms);
}

function tick(state: State, ctx: ActorContext<SyncIn>): void {
  schedule(state, ctx, state.cfg.time * 1000);
  if (!state.passes.request()) return;
  state.calls++;
  if (!state.master) {
    const ask = state.seen
      ? { type: 'node.ledger.from-dbms' as const, seen: state.seen }
      : { type: 'node.ledger.from-dbms' as const };
    ctx.ask(NODE, ask, 30_000).then(
      (r) => ctx.send(ctx.self, { type: 'sync.sent', seen: r.seen }),
      (err: unknown) => ctx.send(ctx.self, { type: 'sync.sent', error: errorMessage(err) }),
    );
    return;
  }
  const master = state.master;
  request(ctx, master).then(
    (error) => ctx.send(ctx.self, { type: 'sync.sent', ...(error ? { error } : {}) }),
    (err: unknown) => ctx.send(ctx.self, { type: 'sync.sent', error: errorMessage(err) }),
  );
}

export default defineActor<BlockchainSyncConfig, State, SyncIn>({
  kind: 'blockchain-sync',
  config: (raw) => blockchainSyncSchema.parse(raw),
  init(ctx, cfg) {
    if (cfg.source === 'blockchain')
      throw new ConfigError(
        `run blockchain sync: source = blockchain${cfg.platform ? ` (platform = ${cfg.platform})` : ''} is not supported: edgelake-rt has no blockchain platform; sync from a master node with 'source = master and connection = <ip:port>'`,
        { code: Status.CommandStructure },
      );
    let master: Address | undefined;
    if (cfg.source === 'master') {
      if (!cfg.connection)
        throw new ConfigError(
          `run blockchain sync: source = master needs 'connection = <ip:port>' of the master node`,
          { code: Status.CommandStructure },
        );
      master = parseAddress(cfg.connection);
      if (!master)
        throw new ConfigError(`run blockchain sync: connection: expected <ip:port> (got '${cfg.connection}')`, {
          code: Status.CommandStructure,
        });
    }
    if (!(cfg.time > 0))
      throw new ConfigError(`run blockchain sync: time must be more than 0 seconds`, { code: Status.CommandStructure });
    const state: State = {
      cfg,
      master,
      timer: undefined,
      passes: new SerialPasses(),
      calls: 0,
      failures: 0,
      lastError: '',
      seen: undefined,
    };
    // EdgeLake's loop asks at once, then sleeps.
    schedule(state, ctx, 0);
    return state;
  },
  handle(state, msg, ctx) {
    switch (msg.type) {
      case 'sync.tick':
        return tick(state, ctx);
      case 'sync.now':
        // At once (or, while a request is being sent, once more after it: the tick queues it).
        schedule(state, ctx, 0);
        return undefined;
      case 'sync.sent': {
        const again = state.passes.done();
        if (msg.error && msg.error !== state.lastError)
          ctx.log.warn(
            state.master
              ? 'Synchronizer process failed to connect to Master'
              : 'Synchronizer process failed to read the ledger table',
            {
              connection: state.cfg.connection ?? '',
              error: msg.error,
            },
          );
        state.lastError = msg.error ?? '';
        if (msg.seen) state.seen = msg.seen;
        if (msg.error) state.failures++;
        if (again) schedule(state, ctx, 0);
        return undefined;
      }
      case 'sync.info':
        return {
          source: state.cfg.source === 'dbms' ? 'DBMS' : state.cfg.source,
          connection: state.master ? (state.cfg.connection ?? '') : 'table blockchain.ledger',
          time: state.cfg.time,
          calls: state.calls,
          failures: state.failures,
          lastError: state.lastError,
        } satisfies SyncInfo;
      default:
        return assertNever(msg, 'blockchain-sync message');
    }
  },
  stop(state) {
    state.timer?.cancel();
  },
});
