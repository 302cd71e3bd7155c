// Commands an edgelake-rt requester marked RT_DUPLEX_SOCKET_ID (peer/wire.ts): the dispatch actor runs them
// through the node itself and writes the answer on the connection the command came on, where the requester reads
// it (peer/answer-reader.ts). Against the command worker's path (ring -> worker -> node -> worker -> a connection
// to the requester's TCP server -> its dispatch actor -> its main thread), each round trip saves two thread hops
// here, one there, a msgpack record and a ring wake-up (bench/README.md, tcp-rtt).
// Queries are not answered here: their result sets are built by a command worker (execute.ts answerQuery), off
// the thread that reads every connection. Nor, with node authentication, signed commands or any command while
// this node signs its answers: the command worker checks permissions and signs (index.ts sends them there). What a command does is the same either way: execute.ts runs it.
// Bounded: at most MAX_RUNNING commands of one connection at once; past that the connection is paused until one
// is answered (the socket's buffer then fills and TCP pushes back on the requester).
import type { ActorContext } from '../../runtime/actor.js';
import { errorMessage } from '../../base/errors.js';
import { NODE } from '../../node/messages.js';
import type { Address } from '../../protocols/tcp/builders.js';
import type { DecodedBlock } from '../../protocols/tcp/decoder.js';
import { RT_DUPLEX_SOCKET_ID } from '../../peer/wire.js';
import { execute, isQuery, nodeAuthDeps, type ExecDeps } from './execute.js';
import type { TcpIn } from './messages.js';

/** socket_counter of the answers written here: EdgeLake writes its worker thread's number; 0 is this thread. */
export const DISPATCH_THREAD_NUMBER = 0;

/** Commands of one connection running at once. */
export const MAX_RUNNING = 256;

/** Is this command answered by the dispatch actor on its own connection? */
export function answeredHere(block: DecodedBlock): boolean {
  return block.header.socketId === RT_DUPLEX_SOCKET_ID && !isQuery(block.header, block.command);
}

export interface HereCommand {
  conn: number;
  block: DecodedBlock;
  /** The request's header bytes as received (inbound.ts). */
  rawHead: Uint8Array;
  peerIp: string;
  replyFrom: Address;
}

/**
 * Runs the command; its answer (or none: an event nobody waits for) comes back to the dispatch actor as
 * `tcp.conn.answered`, which writes it if the connection is still open.
 */
/** What every command run here shares (made again only for another context or `command_timeout`). */
let shared: { ctx: ActorContext<TcpIn>; timeoutMs: number; deps: Omit<ExecDeps, 'send'> } | undefined;

function sharedDeps(timeoutMs: number, ctx: ActorContext<TcpIn>): Omit<ExecDeps, 'send'> {
  if (shared?.ctx !== ctx || shared.timeoutMs !== timeoutMs) {
    shared = {
      ctx,
      timeoutMs,
      deps: {
        run: (text, source, peer) =>
          ctx.ask(NODE, { type: 'node.command', text, source, via: 'peer', ...(peer ? { peer } : {}) }, timeoutMs),
        // As the command worker asks them (worker.ts); only unsigned commands come here, on a node that does not
        // sign (index.ts), so execute() asks neither, but the node stays the one that decides.
        ...nodeAuthDeps(ctx),
        threadNumber: DISPATCH_THREAD_NUMBER,
      },
    };
  }
  return shared.deps;
}

export function runHere(c: HereCommand, timeoutMs: number, ctx: ActorContext<TcpIn>): void {
  let answer: Uint8Array[] | undefined;
  const deps: ExecDeps = {
    ...sharedDeps(timeoutMs, ctx),
    send: (_to, blocks) => {
      answer = blocks;
      return Promise.resolve();
    },
  };
  const cmd = {
    head: c.block.header,
    rawHead: c.rawHead,
    command: c.block.command,
    peerIp: c.peerIp,
    replyFrom: c.replyFrom,
    rt: true,
  };
  execute(cmd, deps).then(
    () => ctx.send(ctx.self, { type: 'tcp.conn.answered', conn: c.conn, blocks: answer }),
    (err: unknown) => {
      ctx.log.warn(`command from ${c.peerIp} failed`, { error: errorMessage(err) });
      ctx.send(ctx.self, { type: 'tcp.conn.answered', conn: c.conn, blocks: undefined });
    },
  );
}
