// The TCP dispatch actor's side of `set node authentication` (peer/sign.ts has the format):
//   off   nothing is checked; a signature is not even read (EdgeLake interop exactly as before)
//   on    a message signed by an edgelake-rt node is taken when its signature, time and nonce hold (the key is
//         then checked against the ledger and the permissions by the node: node/auth/peer-auth.ts); an
//         unsigned message (EdgeLake peers cannot sign) only from an IP of the allow-list
// Every refusal is a PeerAuthError naming why; the dispatch actor closes the connection and counts it
// (`edgelake_rt_peer_messages_refused_total{reason}`, `get tcp server info`). A refused peer gets no answer,
// as EdgeLake's server breaks off a message that fails permissions_authenticate_tcp_message (tcpip_server.py
// L195): an answer to an unauthenticated source would make this node a reflector.
import type { KeyObject } from 'node:crypto';
import { ProtocolError } from '../../base/errors.js';
import { normalIp, type PeerPolicy } from '../../node/auth/users.js';
import { REPLAY_WINDOW_MS, parseAuth, publicKeyOf, verifyAuth, type AuthFields } from '../../peer/sign.js';

export type RefusalReason = 'unsigned' | 'bad_signature' | 'stale' | 'replay';

export class PeerAuthError extends ProtocolError {
  constructor(
    readonly reason: RefusalReason,
    message: string,
  ) {
    super(message);
  }
}

const MAX_KEYS = 1024;
/** Nonces remembered at once; past it (and after dropping the expired ones) a signed message is refused. */
const MAX_NONCES = 262_144;

/** One message's authentication as Inbound needs it (bound to the connection's peer IP). */
export interface MessageAuth {
  /** Block 1's authentication segment: the fields to verify at the last block, or undefined (unsigned, allowed). */
  begin(auth: Uint8Array): AuthFields | undefined;
  /** The last block arrived: the signature over `digest`, the time and the nonce must hold. */
  finish(f: AuthFields, digest: Uint8Array): void;
}

export class PeerVerifier {
  private policy: PeerPolicy;
  private readonly keys = new Map<string, KeyObject>();
  /** `<key> <nonce>` -> when it may be forgotten (ms). Insertion order is roughly time order. */
  private readonly seen = new Map<string, number>();

  constructor(
    policy: PeerPolicy,
    private readonly clock: () => number = Date.now,
  ) {
    this.policy = policy;
  }

  get enabled(): boolean {
    return this.policy.enabled;
  }

  setPolicy(p: PeerPolicy): void {
    this.policy = p;
  }

  /** The checks for a message from `peerIp`, or undefined when authentication is off. */
  forPeer(peerIp: string): MessageAuth | undefined {
    if (!this.policy.enabled) return undefined;
    const ip = normalIp(peerIp);
    return {
      begin: (auth) => {
        const f = auth.length > 0 ? parseAuth(auth) : undefined;
        if (f) return f;
        if (this.policy.allow.includes(ip)) return undefined;
        throw new PeerAuthError('unsigned', `node authentication: unsigned message from ${ip}, not in the allow list`);
      },
      finish: (f, digest) => this.finish(ip, f, digest),
    };
  }

  private finish(ip: string, f: AuthFields, digest: Uint8Array): void {
    const now = this.clock();
    if (Math.abs(now - f.timeMs) > REPLAY_WINDOW_MS)
      throw new PeerAuthError('stale', `node authentication: message from ${ip} signed ${now - f.timeMs} ms ago`);
    let key = this.keys.get(f.publicKey);
    if (!key) {
      try {
        key = publicKeyOf(f.publicKey);
      } catch (err) {
        throw new PeerAuthError('bad_signature', `node authentication: ${ip} sent a key that is not one (${err})`);
      }
      if (this.keys.size >= MAX_KEYS) this.keys.clear();
      this.keys.set(f.publicKey, key);
    }
    if (!verifyAuth(f, digest, key))
      throw new PeerAuthError('bad_signature', `node authentication: wrong signature on a message from ${ip}`);
    const id = `${f.publicKey} ${f.nonce}`;
    if (this.seen.has(id))
      throw new PeerAuthError('replay', `node authentication: message from ${ip} seen before (replayed)`);
    if (this.seen.size >= MAX_NONCES) this.forget(now);
    if (this.seen.size >= MAX_NONCES)
      throw new PeerAuthError('replay', 'node authentication: too many signed messages within the replay window');
    this.seen.set(id, f.timeMs + REPLAY_WINDOW_MS);
  }

  private forget(now: number): void {
    for (const [id, until] of this.seen) if (until < now) this.seen.delete(id);
  }
}
