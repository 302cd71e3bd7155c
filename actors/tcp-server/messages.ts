// The TCP server's mailboxes and the records its dispatch actor hands the command workers through their rings.
import type { Socket } from 'node:net';
import type { Address } from '../../protocols/tcp/builders.js';
import { assertNever } from '../../base/errors.js';
import type { AuthNotice } from '../../node/notices.js';
import { actorAddress, type Ask } from '../../runtime/address.js';

/** Command workers are `tcp-worker-1..threads`; the dispatch actor sees their rings under these ids. */
export const WORKER_PREFIX = 'tcp-worker-';

/** The dispatch actor (`tcp-server`). The `tcp.conn.*` messages are its own socket callbacks (never cloned). */
export type TcpIn =
  | { type: 'tcp.conn.open'; socket: Socket }
  | { type: 'tcp.conn.data'; conn: number; chunk: Buffer }
  | { type: 'tcp.conn.end'; conn: number }
  | { type: 'tcp.conn.error'; conn: number; error: string }
  | { type: 'tcp.conn.timeout'; conn: number }
  /** A worker ring has room again: resume the connection that waited for it. */
  | { type: 'tcp.conn.space'; conn: number }
  /** A command run by the dispatch actor (duplex.ts) finished: its answer, to write on its connection. */
  | { type: 'tcp.conn.answered'; conn: number; blocks: Uint8Array[] | undefined }
  | Ask<{ type: 'tcp.info' }, TcpInfo>
  /** The node could not start command worker `worker` (rings.ts `startWorker`): ask again at its next record. */
  | { type: 'tcp.worker.unstarted'; worker: string }
  /** The user table and the peer allow list changed (node/auth/store.ts). */
  | AuthNotice;

export const TCP_SERVER = actorAddress<TcpIn>('tcp-server');

export interface TcpStats {
  connections: number;
  open: number;
  commands: number;
  /** Commands answered by the dispatch actor from state it reads itself, without the node (local.ts). */
  local: number;
  answers: number;
  files: number;
  malformed: number;
  rejected: number;
  /** Messages refused by node authentication (peer-auth.ts), by reason. */
  refused: Record<string, number>;
  lastRefused: string;
  lastMalformed: string;
}

export interface TcpInfo {
  /** The address listened on (`0.0.0.0` with bind = false). */
  host: string;
  port: number;
  external: string;
  internal: string;
  bind: string;
  threads: number;
  stats: TcpStats;
}

/** A command worker (`tcp-worker-<n>`). */
export type TcpWorkerIn =
  /** The ring pump (runtime/ring-pump.ts). */
  | { type: 'tcp.ring'; ring: string; hasData: boolean }
  | { type: 'tcp.done'; n: number; failed?: boolean }
  | Ask<{ type: 'tcp.worker.info' }, TcpWorkerInfo>;

/** `tcp-worker-<n>`. */
export const tcpWorkerAt = (id: string) => actorAddress<TcpWorkerIn>(id);

export interface TcpWorkerInfo {
  id: string;
  inflight: number;
  handled: number;
  failed: number;
  files: number;
}

interface RecordBase {
  /** The connection's peer IP (replaces a `0.0.0.0` source in the header). */
  peerIp: string;
  /** Our address as written in answers to this peer. */
  replyFrom: Address;
  /** The request carried the edgelake-rt mark: answer marked, on a persistent connection. */
  rt: boolean;
  /** Node authentication was on and the message was signed by this key (checked against the ledger by the node). */
  signer?: string;
  /** Sign the answer (this node signs, and the requester is edgelake-rt or signed). */
  sign?: boolean;
}

/** What the dispatch actor pushes into a worker's ring (msgpack). `head` is block 1's 207-byte header. */
export type WorkerRecord =
  | (RecordBase & { k: 'cmd'; head: Uint8Array; command: string; payload: Uint8Array })
  | (RecordBase & { k: 'file.open'; conn: number; head: Uint8Array; command: string; dest: string })
  | { k: 'file.data'; conn: number; data: Uint8Array; last: boolean }
  | { k: 'file.abort'; conn: number; reason: string };

/** About the bytes a record takes in a ring (msgpack framing included). */
export function recordBytes(rec: WorkerRecord): number {
  switch (rec.k) {
    case 'cmd':
      return rec.head.length + rec.command.length * 3 + rec.payload.length + 256;
    case 'file.open':
      return rec.head.length + rec.command.length * 3 + rec.dest.length * 3 + 256;
    case 'file.data':
      return rec.data.length + 64;
    case 'file.abort':
      return rec.reason.length * 3 + 64;
    default:
      return assertNever(rec, 'worker record');
  }
}
