// The TCP dispatch actor's side of `set node authentication` (peer/sign.ts has the format):
//   off   nothing is checked; a signature is not even read (EdgeLake interop exactly as before)
//   on    a message signed by an edgelake-rt node is taken when it was signed for one of this node's addresses
//         (`ownAddresses`, plus `set node authentication .. where address = ..`) and its signature, time and nonce
//         hold, all checked at block 1 (the digest it signs is in the segment: peer/sign.ts), and its blocks hash to
//         that digest, checked at the last block (the key is then checked against the ledger and the permissions by the node: node/auth/peer-auth.ts); an
//         unsigned message (EdgeLake peers cannot sign) only from an IP of the allow-list
// Every refusal is a PeerAuthError naming why; the dispatch actor closes the connection and counts it
// (`edgelake_rt_peer_messages_refused_total{reason}`, `get tcp server info`). A refused peer gets no answer,
// as EdgeLake's server breaks off a message that fails permissions_authenticate_tcp_message (tcpip_server.py
// L195): an answer to an unauthenticated source would make this node a reflector.
import type { KeyObject } from 'node:crypto';
import { ProtocolError } from '../../base/errors.js';
import { normalIp, type PeerPolicy } from '../../node/auth/users.js';
import {
  REPLAY_WINDOW_MS,
  destination,
  digestMatches,
  parseAuth,
  publicKeyOf,
  verifyAuth,
  type AuthFields,
} from '../../peer/sign.js';

export type RefusalReason = 'unsigned' | 'bad_signature' | 'stale' | 'replay' | 'wrong_destination';

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
  /**
   * Block 1's authentication segment: its destination, time, signature and nonce are checked now; returns the
   * fields (the digest to compare at the last block), or undefined (unsigned, allowed).
   */
  begin(auth: Uint8Array): AuthFields | undefined;
  /** The last block arrived: the blocks must hash to the digest that was signed. */
  finish(f: AuthFields, digest: Uint8Array): void;
}

export class PeerVerifier {
  private policy: PeerPolicy;
  private readonly keys = new Map<string, KeyObject>();
  /** `<key> <nonce>` -> when it may be forgotten (ms). Insertion order is roughly time order. */
  private readonly seen = new Map<string, number>();

  /**
   * When this verifier started. The nonces seen before (by a previous run of the node or of this actor) are
   * gone, so a message signed earlier could be taken a second time within its window: it is refused as stale.
   * The cost: for as long as a sender's clock lags this node's, its messages are refused right after a start.
   */
  private readonly since: number;

  /** `destination()`s a signed message may name: this server's addresses and the policy's. */
  private own: Set<string>;

  constructor(
    policy: PeerPolicy,
    private readonly addresses: readonly string[],
    private readonly clock: () => number = Date.now,
  ) {
    this.policy = policy;
    this.own = ownSet(addresses, policy);
    this.since = clock();
  }

  get enabled(): boolean {
    return this.policy.enabled;
  }

  setPolicy(p: PeerPolicy): void {
    this.policy = p;
    this.own = ownSet(this.addresses, p);
  }

  /** The checks for a message from `peerIp`, or undefined when authentication is off. */
  forPeer(peerIp: string): MessageAuth | undefined {
    if (!this.policy.enabled) return undefined;
    const ip = normalIp(peerIp);
    return {
      begin: (auth) => {
        const f = auth.length > 0 ? parseAuth(auth) : undefined;
        if (f) return this.check(ip, f);
        if (this.policy.allow.includes(ip)) return undefined;
        throw new PeerAuthError('unsigned', `node authentication: unsigned message from ${ip}, not in the allow list`);
      },
      finish: (f, digest) => {
        if (!digestMatches(f, digest))
          throw new PeerAuthError('bad_signature', `node authentication: a message from ${ip} is not what was signed`);
      },
    };
  }

  private check(ip: string, f: AuthFields): AuthFields {
    const now = this.clock();
    if (Math.abs(now - f.timeMs) > REPLAY_WINDOW_MS)
      throw new PeerAuthError('stale', `node authentication: message from ${ip} signed ${now - f.timeMs} ms ago`);
    if (f.timeMs < this.since)
      throw new PeerAuthError('stale', `node authentication: message from ${ip} signed before this server started`);
    let key = this.keys.get(f.publicKey);
    if (!key) {
      try {
        key = publicKeyOf(f.publicKey);
      } catch (err) {
        throw new PeerAuthError('bad_signature', `node authentication: ${ip} sent a key that is not one (${err})`);
      }
      // An X25519 key has the length of an Ed25519 one, and verifying with it throws instead of answering false:
      // that crashed this actor (and so emptied the nonces seen, opening the replay window again).
      if (key.asymmetricKeyType !== 'ed25519')
        throw new PeerAuthError('bad_signature', `node authentication: ${ip} sent a ${key.asymmetricKeyType} key`);
      if (this.keys.size >= MAX_KEYS) this.keys.clear();
      this.keys.set(f.publicKey, key);
    }
    if (!verifyAuth(f, key))
      throw new PeerAuthError('bad_signature', `node authentication: wrong signature on a message from ${ip}`);
    // After the signature: only a message its key's holder signed, sent on by another node, counts here.
    if (!this.own.has(f.dest))
      throw new PeerAuthError(
        'wrong_destination',
        `node authentication: a message from ${ip} was signed for ${f.dest}, not for this node`,
      );
    const id = `${f.publicKey} ${f.nonce}`;
    if (this.seen.has(id))
      throw new PeerAuthError('replay', `node authentication: message from ${ip} seen before (replayed)`);
    if (this.seen.size >= MAX_NONCES) this.forget(now);
    if (this.seen.size >= MAX_NONCES)
      throw new PeerAuthError('replay', 'node authentication: too many signed messages within the replay window');
    this.seen.set(id, f.timeMs + REPLAY_WINDOW_MS);
    return f;
  }

  private forget(now: number): void {
    for (const [id, until] of this.seen) if (until < now) this.seen.delete(id);
  }
}

/**
 * The destinations a signed message may name here: the server's addresses (external, internal, bound) as
 * `destination()` writes them, loopback on the bound port when the server listens on it or on every interface,
 * and the addresses `set node authentication` was given (a name or NAT address peers use for this node).
 */
export function ownSet(addresses: readonly string[], policy: PeerPolicy): Set<string> {
  const out = new Set<string>();
  for (const a of [...addresses, ...(policy.addresses ?? [])]) {
    const at = a.lastIndexOf(':');
    if (at <= 0) continue;
    const ip = a.slice(0, at).replace(/^\[|\]$/g, '');
    const port = Number(a.slice(at + 1));
    out.add(destination(ip, port));
    if (ip === '0.0.0.0' || ip === '::') out.add(destination('127.0.0.1', port));
  }
  return out;
}
