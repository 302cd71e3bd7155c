// What workers may send to or ask the node (the main thread), addressed as actor `node`.
import type { PeerReply } from '../peer/wire.js';
import type { ConnectionAddresses, ConnectionName } from './connections.js';

export type NodeIn =
  /**
   * Run an EdgeLake command through the dispatcher; the reply is its text. With `inner` (a REST `destination`
   * header), `text` is the `run client (..) <inner>` wrapper and the REST method is checked against `inner`.
   */
  | {
      type: 'node.command';
      text: string;
      source: string;
      method?: 'GET' | 'POST';
      inner?: string;
      peer?: { ip: string; port: number };
    }
  /** A peer's answer (or text to show), forwarded by the TCP dispatch actor to the reply registry. */
  | { type: 'node.peer.reply'; reply: PeerReply }
  /** An answer for job `jobId` arrived malformed: that receiver has failed (the dispatch actor says why). */
  | { type: 'node.peer.failed'; jobId: number; receiverId: number; reason: string }
  | { type: 'node.dict.get'; name: string }
  | { type: 'node.identity' }
  /** Keep this actor's state on the main thread, to be handed back after a restart (not across node restarts). */
  | { type: 'node.stash.put'; value: unknown }
  | { type: 'node.stash.get' }
  /** A setting a service keeps on the node while it is not running (node/settings.ts `readSetting`). */
  | { type: 'node.settings.get'; name: string }
  /** The connected logical databases and their configs (the operator opens its own connections). */
  | { type: 'node.dbms.list' }
  /**
   * `blockchain insert` of a policy (JSON text) into the local ledger, and to `master` (ip:port) when given. The
   * reply is the stored policy's JSON text.
   */
  | { type: 'node.policy.insert'; policy: string; master?: string }
  /** The metadata's file and versions (the synchronizer's request names them): MetadataInfo. */
  | { type: 'node.metadata.info' };

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
