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
import type { ActorContext } from '../../runtime/actor.js';
import { SharedText } from '../../runtime/shared-text.js';
import type { TcpIn } from './messages.js';
import type { Conn } from './state.js';

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
