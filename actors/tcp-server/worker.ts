// A TCP command worker (`tcp-worker-<n>`): consumes the ring the dispatch actor fills (runtime/ring.ts, linked by
// the node: node/wiring.ts `link`), runs each command through the node and sends the answer to the
// requester (execute.ts), and writes `file write` transfers (file-receive.ts). Many records are in progress at
// once (`max_inflight`): a command mostly waits for the node, an answer for its connection. Completions come
// back as `tcp.done` messages, so the counters change only in `handle`.
// A killed worker is restarted by the supervisor; records still in its ring wait there and are handled by the
// new incarnation (the one being handled when it died is lost: its requester times out).
import { readFile, rm } from 'node:fs/promises';
import { defineActor, type ActorContext } from '../../runtime/actor.js';
import { assertNever, errorMessage } from '../../base/errors.js';
import { NODE } from '../../node/messages.js';
import { armRing } from '../../runtime/ring-pump.js';
import { PeerSender } from '../../peer/sender.js';
import { decodeHeader, GenericFlag } from '../../protocols/tcp/header.js';
import { tcpWorkerSchema, type TcpWorkerConfig } from './config.js';
import { execute, nodeAuthDeps, type Command, type ExecDeps } from './execute.js';
import { FileSink, destinationPath, type FileContext } from './file-receive.js';
import { DATA_DIR_KEYS, PROTECTED_DIR_KEYS } from '../../node/files/confine.js';
import type { TcpWorkerIn, TcpWorkerInfo, WorkerRecord } from './messages.js';

const RING = 'tcp-server';
const TICK_MS = 1000;
const TRANSFER_IDLE_MS = 5 * 60_000;

interface Transfer {
  /** Each step waits for the previous: blocks are written in order. */
  chain: Promise<unknown>;
  sink: FileSink | undefined;
  failed: string | undefined;
  lastActivity: number;
  /** A large message (generic flag 3): the command header to answer with once the file is complete. */
  large: Omit<Command, 'command'> | undefined;
  /** A ledger from a master (generic flag 2): the node takes it once complete (EdgeLake write_data_block L5836). */
  ledgerFrom: string | undefined;
  /** Node authentication: the key that signed the transfer (it must be allowed the event that takes a ledger). */
  signer: string | undefined;
}

interface State {
  cfg: TcpWorkerConfig;
  armed: boolean;
  inflight: number;
  handled: number;
  failed: number;
  files: number;
  sender: PeerSender;
  deps: ExecDeps;
  fc: FileContext;
  transfers: Map<number, Transfer>;
}

/** Starts an async step; its end comes back as `tcp.done`. */
function track(state: State, ctx: ActorContext<TcpWorkerIn>, work: Promise<unknown>, what: string): void {
  state.inflight++;
  work.then(
    () => ctx.send(ctx.self, { type: 'tcp.done', n: 1 }),
    (err: unknown) => {
      ctx.log.warn(`${what} failed`, { error: errorMessage(err) });
      ctx.send(ctx.self, { type: 'tcp.done', n: 1, failed: true });
    },
  );
}

function onRecord(state: State, rec: WorkerRecord, ctx: ActorContext<TcpWorkerIn>): void {
  switch (rec.k) {
    case 'cmd': {
      const cmd: Command = {
        head: decodeHeader(rec.head),
        rawHead: rec.head,
        command: rec.command,
        peerIp: rec.peerIp,
        replyFrom: rec.replyFrom,
        rt: rec.rt,
        ...signed(rec),
      };
      track(state, ctx, execute(cmd, state.deps), `command from ${rec.peerIp}`);
      return;
    }
    case 'file.open': {
      const head = decodeHeader(rec.head);
      const large =
        head.genericFlag === GenericFlag.largeMessage
          ? { head, rawHead: rec.head, peerIp: rec.peerIp, replyFrom: rec.replyFrom, rt: rec.rt, ...signed(rec) }
          : undefined;
      const ledgerFrom = head.genericFlag === GenericFlag.ledger ? rec.peerIp : undefined;
      const t: Transfer = {
        chain: Promise.resolve(),
        sink: undefined,
        failed: undefined,
        lastActivity: Date.now(),
        large,
        ledgerFrom,
        signer: rec.signer,
      };
      state.transfers.set(rec.conn, t);
      state.files++;
      const step = (async () => {
        try {
          // Node authentication: a signed transfer needs the signer's permission for `file write` (the large
          // message's command is checked when it runs).
          if (rec.signer !== undefined && !large) await state.deps.permit(rec.signer, 'file write');
          t.sink = await FileSink.open(
            await destinationPath(rec.dest, head.genericFlag, await liveDirs(ctx, rec.dest, state.fc)),
          );
        } catch (err) {
          t.failed = errorMessage(err);
          throw err;
        }
      })();
      // The failure is kept in t.failed (later blocks are skipped) and reported once, by track().
      t.chain = step.catch(() => undefined);
      track(state, ctx, step, `file write ${rec.dest} from ${rec.peerIp}`);
      return;
    }
    case 'file.data': {
      const t = state.transfers.get(rec.conn);
      if (!t) return; // aborted before
      t.lastActivity = Date.now();
      if (rec.last) state.transfers.delete(rec.conn);
      const step = t.chain.then(async () => {
        if (t.failed || !t.sink) throw new Error(t.failed ?? 'file write: no destination');
        await t.sink.write(rec.data);
        if (!rec.last) return;
        const path = await t.sink.finish();
        if (t.large) await runLargeMessage(state, path, t.large);
        // The signer's permission for `file write` does not cover what the event does: replace the metadata.
        if (t.ledgerFrom !== undefined)
          await state.deps
            .run(`event blockchain_use_new ${path}`, `tcp ${t.ledgerFrom}`, undefined, t.signer)
            .catch(async (err: unknown) => {
              await rm(path, { force: true });
              throw err;
            });
      });
      t.chain = step.catch(async (err: unknown) => {
        t.failed ??= errorMessage(err);
        if (rec.last) await t.sink?.abort();
      });
      track(state, ctx, step, `file write ${t.sink?.path ?? ''}`);
      return;
    }
    case 'file.abort': {
      const t = state.transfers.get(rec.conn);
      if (!t) return;
      state.transfers.delete(rec.conn);
      track(
        state,
        ctx,
        t.chain.then(() => t.sink?.abort()),
        'file transfer abort',
      );
      return;
    }
    default:
      assertNever(rec, 'worker record');
  }
}

/** The node authentication fields a record carries on to its command. */
function signed(rec: { signer?: string; sign?: boolean }): { signer?: string; sign?: boolean } {
  return {
    ...(rec.signer !== undefined ? { signer: rec.signer } : {}),
    ...(rec.sign ? { sign: true } : {}),
  };
}

/** A command too long for one block arrived as a file: run it, then delete the file (net_client.large_message). */
async function runLargeMessage(state: State, path: string, cmd: Omit<Command, 'command'>): Promise<void> {
  const text = await readFile(path, 'utf8');
  await rm(path, { force: true });
  await execute({ ...cmd, command: text }, state.deps);
}

function pump(state: State, ctx: ActorContext<TcpWorkerIn>): void {
  const ring = ctx.ring<WorkerRecord>(RING);
  if (!ring) return;
  const room = state.cfg.max_inflight - state.inflight;
  if (room > 0) for (const rec of ring.drain(room)) onRecord(state, rec, ctx);
  if (state.inflight < state.cfg.max_inflight && !state.armed) {
    state.armed = true;
    armRing(ctx, RING, 'tcp.ring', TICK_MS);
  }
}

function expireTransfers(state: State, ctx: ActorContext<TcpWorkerIn>): void {
  const now = Date.now();
  for (const [conn, t] of state.transfers) {
    if (now - t.lastActivity < TRANSFER_IDLE_MS) continue;
    state.transfers.delete(conn);
    ctx.log.warn('file transfer idle for 5 minutes: dropped', { path: t.sink?.path ?? '' });
    track(
      state,
      ctx,
      t.chain.then(() => t.sink?.abort()),
      'idle file transfer abort',
    );
  }
}

/**
 * The node's directories now: `set anylog home` moves them after this worker started (the start-time copy in
 * `fc` would refuse a ledger file the master sends to the new home). Every directory key, and a `!key`
 * destination, is read from the dictionary when a transfer starts; node/files/confine.ts then decides.
 */
async function liveDirs(ctx: ActorContext<TcpWorkerIn>, dest: string, fc: FileContext): Promise<FileContext> {
  const keys: string[] = [...DATA_DIR_KEYS, ...PROTECTED_DIR_KEYS];
  const m = /^!([\w.]+)/.exec(dest);
  if (m && !keys.includes(m[1]!)) keys.push(m[1]!);
  const dirs = { ...fc.dirs };
  for (const k of keys) {
    const v = await ctx.ask(NODE, { type: 'node.dict.get', name: k });
    if (v !== '') dirs[k] = v;
  }
  return { root: fc.root, dirs };
}

export default defineActor<TcpWorkerConfig, State, TcpWorkerIn>({
  kind: 'tcp-worker',
  config: (raw) => tcpWorkerSchema.parse(raw),
  init(ctx, cfg) {
    const sender = new PeerSender({
      onError: (peer, err) => ctx.log.debug('answer connection failed', { peer, error: err.message }),
    });
    const state: State = {
      cfg,
      armed: false,
      inflight: 0,
      handled: 0,
      failed: 0,
      files: 0,
      sender,
      deps: {
        run: (text, source, peer, signer) =>
          ctx.ask(
            NODE,
            {
              type: 'node.command',
              text,
              source,
              via: 'peer',
              ...(peer ? { peer } : {}),
              ...(signer !== undefined ? { signer } : {}),
            },
            cfg.command_timeout * 1000,
          ),
        send: (to, blocks, rt) => sender.send(to.ip, to.port, blocks, { persistent: rt, backoffMs: 100 }),
        ...nodeAuthDeps(ctx),
        threadNumber: cfg.index,
      },
      fc: { root: ctx.node.root, dirs: ctx.node.dirs },
      transfers: new Map(),
    };
    pump(state, ctx);
    return state;
  },
  handle(state, msg, ctx) {
    switch (msg.type) {
      case 'tcp.ring':
        state.armed = false;
        if (!msg.hasData) expireTransfers(state, ctx);
        return pump(state, ctx);
      case 'tcp.done':
        state.inflight -= msg.n;
        state.handled += msg.n;
        if (msg.failed) state.failed += msg.n;
        return pump(state, ctx);
      case 'tcp.worker.info':
        return {
          id: ctx.self,
          inflight: state.inflight,
          handled: state.handled,
          failed: state.failed,
          files: state.files,
        } satisfies TcpWorkerInfo;
      default:
        return assertNever(msg, 'tcp-worker message');
    }
  },
  async stop(state, _reason, ctx) {
    state.sender.close();
    const aborts = [...state.transfers.values()].map((t) => t.chain.then(() => t.sink?.abort()));
    for (const r of await Promise.allSettled(aborts)) {
      if (r.status === 'rejected')
        ctx.log.warn('file transfer abort failed at stop', { error: errorMessage(r.reason) });
    }
  },
});
