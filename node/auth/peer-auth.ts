// The node's side of signed peer messages (main thread; the format is peer/sign.ts, the TCP server's checks
// actors/tcp-server/peer-auth.ts):
//   signing   the node signs every TCP message it sends once it has keys and their password for this run:
//             `id create keys for node where password = ..`, or `set private password = ..` (kept for the run,
//             or `in file`, sealed with the local password, and then taken again after a restart once
//             `set local password` is given). The private key stays on the main thread: workers ask
//             (`node.peer.sign`) with the digest of what they send.
//   checking  with node authentication on, a message whose signature the TCP server verified names its key;
//             the key must be a member on the ledger (node/auth/permissions.ts), and a command must be allowed
//             by its permissions (`node.peer.permit`). Refusals are counted
//             (`edgelake_rt_peer_messages_refused_total{reason = unknown_key | not_permitted}`).
import { createPublicKey, type KeyObject } from 'node:crypto';
import { CommandError } from '../../base/errors.js';
import { Status } from '../../base/status.js';
import { authSegment, type MessageSigner } from '../../peer/sign.js';
import type { Policy } from '../../protocols/policy/pyvalue.js';
import { nodeId, privateKeyOf } from './identity.js';
import { indexPermissions, validate, type Decision, type PermissionIndex } from './permissions.js';
import { sqlScope } from './sql-scope.js';

export interface PolicySource {
  file: string;
  version(): string;
  policies(): Policy[];
}

export type NodeRefusal = 'unknown_key' | 'not_permitted';

export class NodePeerAuth {
  private signer: MessageSigner | undefined;
  private cached: { at: string; index: PermissionIndex } | undefined;
  /** Refusals made here, by reason (the TCP server counts its own). */
  readonly refused: Record<NodeRefusal, number> = { unknown_key: 0, not_permitted: 0 };

  constructor(
    private readonly ledger: () => PolicySource,
    private readonly onChange: () => void,
    private readonly onRefuse: (reason: NodeRefusal) => void,
  ) {}

  get signing(): boolean {
    return this.signer !== undefined;
  }

  /** Opens the node's private key with `password` and signs with it from now on. */
  unlock(idDir: string, password: string): void {
    const publicKey = nodeId(idDir);
    if (publicKey === undefined) return;
    const key: KeyObject = privateKeyOf(idDir, password);
    // The key file and the public file must be one pair (a copied-in public file would sign unverifiably).
    const derived = createPublicKey(key).export({ type: 'spki', format: 'der' }).toString('base64');
    if (derived !== publicKey)
      throw new CommandError('node keys: node_id.pub is not the public key of node_id.key', {
        code: Status.AuthenticationFailed,
      });
    const was = this.signing;
    this.signer = { publicKey, key };
    if (!was) this.onChange();
  }

  /** The authentication segment for a message digest, undefined when the node does not sign. */
  sign(digest: Uint8Array, dest: string): Uint8Array | undefined {
    return this.signer ? authSegment(this.signer, digest, dest) : undefined;
  }

  /** The signer for senders on the main thread (`run client`). */
  get messageSigner(): MessageSigner | undefined {
    return this.signer;
  }

  /** The members and grants of the ledger now (rebuilt when the ledger changed). */
  index(): PermissionIndex {
    const l = this.ledger();
    const at = `${l.file} ${l.version()}`;
    if (this.cached?.at !== at) this.cached = { at, index: indexPermissions(l.policies()) };
    return this.cached.index;
  }

  validate(key: string, command: string, dbms?: string, table?: string): Decision {
    const index = this.index();
    // A `sql` command without its dbms and table named: the tables its statement reads (sql-scope.ts), each
    // allowed (the dbms alone let any table of it through when one was listed).
    if (dbms === undefined && key !== index.root && /^\s*sql\s/i.test(command)) {
      const scope = sqlScope(command);
      if (!scope.ok) return { allowed: false, why: scope.why };
      let d: Decision = { allowed: false, why: 'no table' };
      for (const p of scope.parts) {
        d = validate(index, key, command, p.dbms, p.table);
        if (!d.allowed)
          return p.table === '*' ? { allowed: false, why: `${d.why} (a subquery may read any table)` } : d;
      }
      return d;
    }
    return validate(index, key, command, dbms, table);
  }

  /** A signed answer counts only from a member's key. */
  isMember(key: string): boolean {
    const i = this.index();
    return i.members.has(key) || i.root === key;
  }

  /** Throws a CommandError that says why, unless `key` may run the command (counted when refused). */
  permit(key: string, command: string, dbms?: string, table?: string): void {
    if (!this.isMember(key)) {
      this.refuse('unknown_key');
      throw new CommandError(
        'node authentication: the key that signed this message is not a member of this network (no signed member or node policy on the ledger)',
        { code: Status.FailedMessageAuthentication },
      );
    }
    const d = this.validate(key, command, dbms, table);
    if (!d.allowed) {
      this.refuse('not_permitted');
      throw new CommandError(`node authentication: permission denied: ${d.why}`, {
        code: Status.UnauthorizedCommand,
      });
    }
  }

  refuse(reason: NodeRefusal): void {
    this.refused[reason]++;
    this.onRefuse(reason);
  }
}
