// Commands the dispatch actor answers from node state it can read itself, without asking the main thread (issue
// 14, tcp-rtt): on an edgelake-rt peer's duplex connection (duplex.ts), `get status`, whose answer is the node's
// identity (`<name>@<TCP address> running`, node/commands/builtin/node.ts getStatus), read from the cell the node
// rewrites before any change of its name or TCP row is reported done (runtime/wire.ts NodeInfo.identity). The
// answer's bytes are the ones the main-thread path would send (execute.ts plainAnswer, tested byte for byte in
// test/network/local-answer.test.ts).
// Only the exact text `get status`: any other spelling, `where format = json`, or anything the interpreter could
// read otherwise goes through the node. And only while the connection has no command of its own at the node or
// at a command worker (one that may change the node's name: anything but a query), so that a peer that pipelines
// `set node name x` and `get status` on one connection is answered in order, as the node would answer.
// A connection that asks the same thing again (a monitor, a benchmark) gets a copy of its previous answer with the
// request's job fields written in, when the request is the previous one but for those fields: the answer keeps
// every other header field of the request (fast-reply.ts), so the copy is the block plainAnswer would build.
import type { ActorContext } from '../../runtime/actor.js';
import { SharedText } from '../../runtime/shared-text.js';
import { HEADER_SIZE, OFFSET_JOB_ID, OFFSET_JOB_LOCATION, OFFSET_RECEIVER_ID } from '../../protocols/tcp/header.js';
import { DISPATCH_THREAD_NUMBER } from './duplex.js';
import { plainAnswer, type Command } from './execute.js';
import type { TcpIn } from './messages.js';
import type { Conn } from './state.js';

/** The header fields a request of a connection changes from one to the next, which the answer copies. */
const JOB_FIELDS: readonly (readonly [offset: number, size: number])[] = [
  [OFFSET_JOB_LOCATION, 2],
  [OFFSET_JOB_ID, 4],
  [OFFSET_RECEIVER_ID, 2],
];
const JOB_BYTE = new Uint8Array(HEADER_SIZE);
for (const [at, size] of JOB_FIELDS) JOB_BYTE.fill(1, at, at + size);

/** The last answer written here on a connection, for the request it answered (Conn.lastLocal). */
export interface LastLocal {
  head: Uint8Array;
  reply: string;
  replyFrom: string;
  block: Uint8Array;
}

function sameBesideJob(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== HEADER_SIZE || b.length !== HEADER_SIZE) return false;
  for (let i = 0; i < HEADER_SIZE; i++) if (a[i] !== b[i] && JOB_BYTE[i] === 0) return false;
  return true;
}

/** The identity cell of the context's node (made once per actor context). */
let cell: { ctx: ActorContext<TcpIn>; text: SharedText | undefined } | undefined;

function identityOf(ctx: ActorContext<TcpIn>): string | undefined {
  if (cell?.ctx !== ctx) {
    const sab = ctx.node.identity;
    cell = { ctx, text: sab ? new SharedText(sab) : undefined };
  }
  return cell.text?.read();
}

/** The reply text of a command answered here, or undefined: the node answers it. */
export function localReply(conn: Conn, command: string, ctx: ActorContext<TcpIn>): string | undefined {
  if (command !== 'get status' || conn.running > 0 || conn.workerCommands) return undefined;
  const identity = identityOf(ctx);
  return identity === undefined ? undefined : `${identity} running`;
}

/** The blocks of a reply made here (execute.ts plainAnswer), from the connection's previous answer when it can. */
export function localAnswer(conn: Conn, cmd: Command, reply: string): Uint8Array[] | undefined {
  const from = `${cmd.replyFrom.ip}:${cmd.replyFrom.port}`;
  const last = conn.lastLocal;
  if (
    last &&
    reply !== '' &&
    last.reply === reply &&
    last.replyFrom === from &&
    sameBesideJob(last.head, cmd.rawHead)
  ) {
    const b = Buffer.allocUnsafe(last.block.length);
    b.set(last.block);
    for (const [at, size] of JOB_FIELDS) b.set(cmd.rawHead.subarray(at, at + size), at);
    return [b];
  }
  const blocks = plainAnswer(cmd, reply, DISPATCH_THREAD_NUMBER);
  if (blocks?.length === 1 && reply !== '' && cmd.rawHead.length === HEADER_SIZE)
    conn.lastLocal = { head: cmd.rawHead.slice(), reply, replyFrom: from, block: blocks[0]!.slice() };
  return blocks;
}
