// What both ends of edgelake-rt's peer traffic agree on beyond EdgeLake's block format (protocols/tcp):
// how a received message is classified, and the one header value that marks an edgelake-rt sender.
//
// The fast path between edgelake-rt nodes (bench/README.md, actors/tcp-server/README.md):
//   socket_id (header offset 16, 2 bytes) = RT_SOCKET_ID on every block an edgelake-rt node sends.
//   EdgeLake always writes 0 there (net_client.mem_view_send -> set_send_socket_info(mem_view, 0, ..)) and never
//   reads it on the TCP path (only debug_message and the UDP server do), so the mark is invisible to EdgeLake.
//   A receiver that sees the mark may keep reading the connection after a message's last block: the next block
//   with block_counter 1 starts another message. A requester that gets a marked reply knows the peer is
//   edgelake-rt and sends it further requests on one persistent connection; the peer's workers send their
//   replies on persistent connections too. Unmarked traffic (EdgeLake) keeps one message per connection.
import { OFFSET_SOCKET_ID } from '../protocols/tcp/header.js';

/** 'rt': the socket_id of blocks sent by edgelake-rt. */
export const RT_SOCKET_ID = 0x7274;

/** Writes the edgelake-rt mark into encoded blocks (the builders leave socket_id at 0, as EdgeLake does). */
export function markBlocks(blocks: readonly Uint8Array[]): void {
  for (const b of blocks) {
    b[OFFSET_SOCKET_ID] = RT_SOCKET_ID >> 8;
    b[OFFSET_SOCKET_ID + 1] = RT_SOCKET_ID & 0xff;
  }
}

/** EdgeLake's answer to a query: rows (info type 1) or the query's error (info type 4). */
export const JOB_REPLY = 'job reply';

const firstWord = (command: string): string => {
  const m = /^\s*(\S+)/.exec(command);
  return m ? m[1]!.toLowerCase() : '';
};

/**
 * Messages that are never run as commands: `job reply` (query results) and `print`/`echo` (replies, or text a peer
 * asks us to show). EdgeLake runs these as `print message` / `echo message` / `job reply message`, which read the
 * block instead of executing it (tcpip_server.py L216-219, member_cmd.py _print/_echo). They go to the node's
 * reply registry (peer/network.ts).
 */
export function isForNode(command: string): boolean {
  const w = firstWord(command);
  if (w === 'print' || w === 'echo') return true;
  return w === 'job' && /^\s*job\s+reply\b/i.test(command);
}

/** The `file write` command of a transfer (spaces in the destination sent as TAB). */
export function fileWriteDest(command: string): string | undefined {
  const m = /^file\s+write\s+(\S+)/.exec(command);
  return m ? m[1]!.replaceAll('\t', ' ') : undefined;
}

const utf8 = new TextDecoder('utf-8');

/**
 * The text of a `print`/`echo` reply: its payload, or, when the payload is empty, the command's words after the
 * first (EdgeLake's not-recognized answer carries its text in the command: `echo Command 'x' not recoginzed`).
 */
export function replyText(command: string, payload: Uint8Array): string {
  if (payload.length > 0) return utf8.decode(payload);
  return command.replace(/^\s*\S+\s?/, '').replaceAll('\t', ' ');
}

/** A message for the node's reply registry, as the TCP dispatch actor forwards it (`node.peer.reply`). */
export interface PeerReply {
  command: string;
  payload: Uint8Array;
  infoType: number;
  error: number;
  jobLocation: number;
  jobId: number;
  receiverId: number;
  partitionsUsed: number;
  genericFlag: number;
  socketId: number;
  /** The source address written in the header (the replier's, or ours in a `job reply`). */
  sourceIp: string;
  sourcePort: number;
  /** The IP the connection came from. */
  peerIp: string;
  /** Node authentication on: the key the answer is signed with (its signature checked, not yet the ledger). */
  signer?: string;
}
