// What workers may send to or ask the node (the main thread), addressed as actor `node` (`NODE`).
import type { PeerReply } from '../peer/wire.js';
import type { ConnectionAddresses, ConnectionName } from './connections.js';
import { actorAddress, type Ask } from '../runtime/address.js';
import type { DbmsEntry } from '../storage/registry.js';
import type { Readiness, StatusSnapshot } from './metrics/status.js';
import type { QueryResult } from './query.js';
import type { SignFn } from '../peer/sign.js';
import type { TableSync } from './commands/builtin/tables.js';

export type NodeIn =
  /**
   * Run an EdgeLake command through the dispatcher; the reply is its text. With `inner` (a REST `destination`
   * header), `text` is the `run client (..) <inner>` wrapper and the REST method is checked against `inner`.
   */
  | Ask<
      {
        type: 'node.command';
        text: string;
        source: string;
        method?: 'GET' | 'POST';
        inner?: string;
        peer?: { ip: string; port: number };
        /** Who sent it from outside: a REST client or a TCP peer (the control socket and scripts send none). */
        via?: 'rest' | 'peer';
        /** The REST user that authenticated the request (user authentication on). */
        user?: { name: string; type: 'admin' | 'user' };
        /** Node authentication on: the key that signed the peer's request; it must be allowed the command. */
        signer?: string;
        /** How long the sender waits for the answer (the REST timeout): a query ends before, with its own error. */
        answerWithinMs?: number;
      },
      string
    >
  /** A peer's answer (or text to show), forwarded by the TCP dispatch actor to the reply registry. */
  | { type: 'node.peer.reply'; reply: PeerReply }
  /** An answer for job `jobId` arrived malformed: that receiver has failed (the dispatch actor says why). */
  | { type: 'node.peer.failed'; jobId: number; receiverId: number; peerIp: string; reason: string }
  /**
   * Node authentication (node/auth/peer-auth.ts): may the key that signed a peer's command run it? Rejects with
   * the reason (a key of no member, or no permission); resolves when allowed.
   */
  | Ask<{ type: 'node.peer.permit'; key: string; command: string; dbms?: string; table?: string }, void>
  /**
   * The authentication segment signing a message with this digest (peer/sign.ts), null when the node does not
   * sign; with no digest, an empty segment when it does (a sender asks before it packs a message).
   */
  | Ask<{ type: 'node.peer.sign'; digest: Uint8Array | null; dest?: string }, Uint8Array | null>
  /** A dictionary value ('' when not set). */
  | Ask<{ type: 'node.dict.get'; name: string }, string>
  | Ask<{ type: 'node.identity' }, NodeIdentity>
  /** Keep this actor's state on the main thread, to be handed back after a restart (not across node restarts). */
  | { type: 'node.stash.put'; value: unknown }
  /** What this actor put: typed by node/stash.ts `defineStash`. */
  | Ask<{ type: 'node.stash.get' }, unknown>
  /** A setting a service keeps on the node while it is not running (node/settings.ts `readSetting`). */
  | Ask<{ type: 'node.settings.get'; name: string }, unknown>
  /**
   * Start the sender's on-demand helper `helper` (node/service.ts HelperSpec `onDemand`), e.g. TCP's command worker
   * at the first command it is handed; resolves when it runs (at once if it already does).
   */
  | Ask<{ type: 'node.helper.start'; helper: string }, void>
  /** A `sql` query run in the Query Pool (node/query.ts `runQuery`): for callers on worker threads. */
  | Ask<{ type: 'node.query'; dbms: string; sql: string; timeoutMs?: number }, QueryResult>
  /** The connected logical databases and their configs (the operator opens its own connections). */
  | Ask<{ type: 'node.dbms.list' }, DbmsEntry[]>
  /**
   * `blockchain insert` of a policy (JSON text) into the local ledger, and to `master` (ip:port) when given. The
   * reply is the stored policy's JSON text.
   */
  | Ask<{ type: 'node.policy.insert'; policy: string; master?: string }, string>
  /** The metadata's file and versions (the synchronizer's request names them): MetadataInfo. */
  | Ask<{ type: 'node.metadata.info' }, MetadataInfo>
  /**
   * The ledger table of dbms `blockchain` becomes the metadata when it differs (`run blockchain sync where source =
   * dbms and dest = file`), as a change since the table held `seen` (node/commands/builtin/tables.ts).
   */
  | Ask<{ type: 'node.ledger.from-dbms'; seen?: string[] }, TableSync>
  /** `/metrics`: the Prometheus text exposition of the node's metrics (node/metrics/). */
  | Ask<{ type: 'node.metrics' }, string>
  /** `/readyz`: every service running, start done, no start task (journal replay) in progress. */
  | Ask<{ type: 'node.ready' }, Readiness>
  /** `/status.json`: what the status page shows. */
  | Ask<{ type: 'node.status' }, StatusSnapshot>
  /** A long task's progress (journal replay at start, a large file load): logged, `get progress`, `/status`. */
  | {
      type: 'node.progress';
      task: string;
      done: number;
      total: number;
      unit: string;
      finished: boolean;
      /** The node is not ready (`/readyz`) while this task runs (the start replay). */
      gate?: boolean;
    };

/** The node's own mailbox, on the main thread. */
export const NODE = actorAddress<NodeIn>('node');

export interface MetadataInfo {
  /** blockchain.json (`!blockchain_file`). */
  file: string;
  /** md5 of the file ('0' when empty). */
  version: string;
  /** The md5 the synchronizer sends the master (storage/metadata/ledger.ts `syncHash`). */
  syncHash: string;
}

export interface NodeIdentity {
  name: string;
  identity: string;
  connections: Partial<Record<ConnectionName, ConnectionAddresses>>;
}

/** A worker's SignFn (peer/sign.ts): the node signs, the private key stays on the main thread. */
export function askSign(ctx: {
  ask(
    to: typeof NODE,
    msg: { type: 'node.peer.sign'; digest: Uint8Array | null; dest?: string },
  ): Promise<Uint8Array | null>;
}): SignFn {
  return {
    // No digest: only whether the node signs (an empty segment when it does).
    active: async () => (await ctx.ask(NODE, { type: 'node.peer.sign', digest: null })) !== null,
    sign: async (digest, dest) => (await ctx.ask(NODE, { type: 'node.peer.sign', digest, dest })) ?? undefined,
  };
}
