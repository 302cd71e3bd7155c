// The dispatch actor's state (index.ts): the listening server, its addresses, and each open connection with what
// it waits for. Changed only in the actor's `handle` (socket callbacks send messages to self).
import type { Server, Socket } from 'node:net';
import type { TcpConnection } from '../../peer/address.js';
import type { TcpServerConfig } from './config.js';
import type { AssemblyBudget, Inbound } from './inbound.js';
import type { TcpStats, WorkerRecord } from './messages.js';
import type { PeerVerifier } from './peer-auth.js';
import type { LastLocal } from './local.js';

/** Commands are one block unless they carry data; anything bigger travels as a `file write` (large message). */
export const MAX_COMMAND_BYTES = 512 * 1024;
/** An edgelake-rt peer's connection stays open this long without a message. */
export const PERSISTENT_IDLE_MS = 10 * 60_000;

export interface Conn {
  id: number;
  socket: Socket;
  peerIp: string;
  inbound: Inbound;
  /** Records waiting for room in a ring (the socket is paused meanwhile). */
  outbox: WorkerRecord[];
  /** The worker ring of the file transfer in progress. */
  fileRing: string | undefined;
  /** Paused until a ring has room. */
  waiting: boolean;
  /** The peer closed while records still waited for room. */
  ended: boolean;
  /** Commands of this connection run by this actor, not yet answered (duplex.ts). */
  running: number;
  /** A command other than a query went from this connection to a command worker (local.ts). */
  workerCommands: boolean;
  /** The last answer made by this actor from its own state on this connection (local.ts). */
  lastLocal: LastLocal | undefined;
  /** Paused because `running` reached MAX_RUNNING. */
  throttled: boolean;
  /** Answers written in this event-loop turn go out in one system call. */
  corked: boolean;
}

export interface State {
  cfg: TcpServerConfig;
  server: Server;
  host: string;
  port: number;
  addresses: TcpConnection;
  conns: Map<number, Conn>;
  nextConn: number;
  nextWorker: number;
  /**
   * Command workers this incarnation has asked the node to start (they start on demand, at the first record
   * pushed into their ring: rings.ts `startWorker`).
   */
  workersAsked: Set<string>;
  stats: TcpStats;
  /** `set node authentication`: signatures checked, unsigned messages only from the allow list (peer-auth.ts). */
  verifier: PeerVerifier;
  /** This node signs its messages: answers to edgelake-rt requesters are signed too. */
  signing: boolean;
  /** Payload bytes held by all messages being assembled (inbound.ts `AssemblyBudget`). */
  assembly: AssemblyBudget;
}
