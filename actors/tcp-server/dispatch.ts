// What the dispatch actor (index.ts) does with each item a connection's bytes amount to (inbound.ts):
//   answers (`print`, `echo`, `job reply`)  -> the node's reply registry (`node.peer.reply`), where `run client`
//                                             waits for them
//   commands                                -> a command worker through its ring (rings.ts); an edgelake-rt
//                                              peer's unsigned duplex-marked ones, on a node that does not sign,
//                                              are run from the dispatch actor and answered on their connection
//                                              (duplex.ts), or, `get status`, answered at once from state this
//                                              thread reads itself (local.ts)
//   `file write` transfers                  -> one worker for the whole transfer, piece by piece
// A signed message's key goes with it (checked against the ledger by the node); answers are signed when this node
// signs and the requester is edgelake-rt or signed.
import type { ActorContext } from '../../runtime/actor.js';
import { assertNever } from '../../base/errors.js';
import { NODE } from '../../node/messages.js';
import { replyAddress } from '../../peer/address.js';
import { peerReply } from '../../peer/wire.js';
import { encodeHeader } from '../../protocols/tcp/header.js';
import { drain, writeAnswer } from './conns.js';
import { MAX_RUNNING, answeredHere, runHere } from './duplex.js';
import { isQuery } from './execute.js';
import { localAnswer, localReply } from './local.js';
import type { InboundItem } from './inbound.js';
import type { TcpIn } from './messages.js';
import type { Conn, State } from './state.js';

/** Hands a connection's items on, then closes an EdgeLake peer's connection after its message. */
export function onItems(state: State, conn: Conn, items: InboundItem[], ctx: ActorContext<TcpIn>): void {
  const base = {
    peerIp: conn.peerIp,
    replyFrom: replyAddress(state.addresses, conn.peerIp)!,
    rt: conn.inbound.persistent,
  };
  for (const item of items) {
    const auth =
      item.k === 'file.data'
        ? {}
        : {
            ...(item.signer !== undefined ? { signer: item.signer } : {}),
            ...(state.signing && (base.rt || item.signer !== undefined) ? { sign: true } : {}),
          };
    switch (item.k) {
      case 'answer':
        state.stats.answers++;
        ctx.send(NODE, {
          type: 'node.peer.reply',
          reply: {
            ...peerReply(item.block.header, item.block.command, item.payload, conn.peerIp),
            ...(item.signer !== undefined ? { signer: item.signer } : {}),
          },
        });
        break;
      case 'command':
        state.stats.commands++;
        // Signed, or answered signed: the command worker's path, which checks and signs (duplex.ts).
        if (answeredHere(item.block) && item.signer === undefined && !state.signing) {
          const reply = localReply(conn, item.block.command, ctx);
          if (reply !== undefined) {
            state.stats.local++;
            const cmd = {
              head: item.block.header,
              rawHead: item.rawHead,
              command: item.block.command,
              peerIp: conn.peerIp,
              replyFrom: base.replyFrom,
              rt: true,
            };
            const blocks = localAnswer(conn, cmd, reply);
            if (blocks) writeAnswer(conn, blocks);
            break;
          }
          conn.running++;
          if (conn.running >= MAX_RUNNING && !conn.throttled) {
            conn.throttled = true;
            conn.socket.pause();
          }
          const here = {
            conn: conn.id,
            block: item.block,
            rawHead: item.rawHead,
            peerIp: conn.peerIp,
            replyFrom: base.replyFrom,
          };
          runHere(here, state.cfg.command_timeout * 1000, ctx);
          break;
        }
        if (!isQuery(item.block.header, item.block.command)) conn.workerCommands = true;
        conn.outbox.push({
          ...base,
          ...auth,
          k: 'cmd',
          head: item.rawHead,
          command: item.block.command,
          payload: item.payload,
        });
        break;
      case 'file.open':
        state.stats.files++;
        conn.outbox.push({
          ...base,
          ...auth,
          k: 'file.open',
          conn: conn.id,
          head: encodeHeader(item.block.header),
          command: item.block.command,
          dest: item.dest,
        });
        break;
      case 'file.data':
        conn.outbox.push({ k: 'file.data', conn: conn.id, data: item.data, last: item.last });
        break;
      default:
        assertNever(item, 'inbound item');
    }
  }
  drain(state, conn, ctx);
  if (!conn.inbound.persistent && conn.inbound.messages > 0 && !conn.inbound.midMessage) {
    // EdgeLake closes after the last block; so do we (the sender closes too).
    conn.socket.end();
  }
}
