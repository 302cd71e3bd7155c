// Signed messages between edgelake-rt nodes (issue 13; AnyLog signs every TCP message with the sender's key,
// spec/anylog-authentication.md). The signature travels in block 1's authentication segment, which EdgeLake's
// header already has (message_header.py set_authentication: "public string of the sender + signature of the
// sender + [ip + port + time]") and which its readers skip (get_data_offset_after_authentication).
//
//   auth segment (ASCII, AUTH_LENGTH = 294 bytes, fixed so a placeholder of the same length can be packed first):
//     "ert2" SP <public key: SPKI DER base64, 60 chars> SP <time: ms since epoch, 12 hex digits>
//            SP <nonce: 12 random bytes base64, 16 chars> SP <destination: ip:port, '#'-padded to 64 chars>
//            SP <digest: base64, 44 chars> SP <signature: Ed25519, base64, 88 chars>
//   digest  = SHA-256 over every block of the message, each from offset 0 to 207 + data_length, with socket_id
//             (the edgelake-rt mark, written after signing) hashed as 0 and the authentication segment left out;
//             so every header field of every block, the command and the whole payload are covered.
//   signed  = the segment up to the signature: "ert2" SP key SP time SP nonce SP destination SP digest
//
// Destination: the ip:port the sender connects to (`destination()`); a receiver takes the message only when it
// is one of its own addresses (actors/tcp-server/peer-auth.ts), so a member that received a signed message
// cannot replay it to a third node, where it would run with the original sender's permissions.
// The digest is in the segment so the signature is checked at block 1, before anything of the message is used
// (a file transfer is not written to disk unless its block 1 verifies); the last block's digest must equal it.
// Replay: the receiver takes a signed message only within REPLAY_WINDOW_MS of its time and only once per
// (public key, nonce) inside that window (actors/tcp-server/peer-auth.ts). A message captured and sent again
// later is stale; sent again at once, its nonce was seen.
// `ert1` (before destinations) is no segment of this version: read as unsigned.
// The sender packs its blocks with `placeholderAuth()` in block 1, patches what it patches (job id, mark),
// then `signBlocks` hashes them and writes the real segment over the placeholder.
import { createHash, createPublicKey, randomBytes, sign, verify, type Hash, type KeyObject } from 'node:crypto';
import { ProtocolError } from '../base/errors.js';
import {
  HEADER_SIZE,
  OFFSET_AUTHENTICATION_LENGTH,
  OFFSET_COMMAND_LENGTH,
  OFFSET_DATA_LENGTH,
  OFFSET_SOCKET_ID,
} from '../protocols/tcp/header.js';

export const AUTH_TAG = 'ert2';
const KEY_CHARS = 60;
const TIME_CHARS = 12;
const NONCE_CHARS = 16;
const DEST_CHARS = 64;
const DIGEST_CHARS = 44;
const SIG_CHARS = 88;
const SIGNED_CHARS = AUTH_TAG.length + 5 + KEY_CHARS + TIME_CHARS + NONCE_CHARS + DEST_CHARS + DIGEST_CHARS;
export const AUTH_LENGTH = SIGNED_CHARS + 1 + SIG_CHARS;
/** How far a message's time may be from the receiver's clock, either way. */
export const REPLAY_WINDOW_MS = 30_000;

const ascii = new TextDecoder('latin1');
const PLACEHOLDER = new Uint8Array(AUTH_LENGTH).fill(0x2e); // '.'

/**
 * A destination as both sides write it: `ip:port`, the IP lower case, IPv4-mapped IPv6 unwrapped and `localhost`
 * / `::1` read as 127.0.0.1 (as the TCP server sees peers: node/auth/users.ts normalIp).
 */
export function destination(ip: string, port: number): string {
  const x = ip
    .trim()
    .replace(/^::ffff:/i, '')
    .toLowerCase();
  return `${x === 'localhost' || x === '::1' ? '127.0.0.1' : x}:${port}`;
}

export function placeholderAuth(): Uint8Array {
  return PLACEHOLDER;
}

export interface AuthFields {
  publicKey: string;
  timeMs: number;
  nonce: string;
  /** `destination()` of the node the sender sent it to. */
  dest: string;
  /** The message digest the sender signed (base64); the blocks must hash to it. */
  digest: string;
  signature: string;
  /** The signed text (the segment up to the signature). */
  signed: Buffer;
}

/** The fields of an edgelake-rt authentication segment, or undefined when the bytes are not one. */
export function parseAuth(bytes: Uint8Array): AuthFields | undefined {
  if (bytes.length !== AUTH_LENGTH) return undefined;
  const parts = ascii.decode(bytes).split(' ');
  if (parts.length !== 7 || parts[0] !== AUTH_TAG) return undefined;
  const [, publicKey, time, nonce, dest, digest, signature] = parts as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (publicKey.length !== KEY_CHARS || !/^[0-9a-f]{12}$/.test(time)) return undefined;
  if (nonce.length !== NONCE_CHARS || signature.length !== SIG_CHARS) return undefined;
  if (dest.length !== DEST_CHARS || digest.length !== DIGEST_CHARS) return undefined;
  return {
    publicKey,
    timeMs: parseInt(time, 16),
    nonce,
    dest: dest.replace(/#+$/, ''),
    digest,
    signature,
    signed: Buffer.from(bytes.subarray(0, SIGNED_CHARS)),
  };
}

const ZERO2 = new Uint8Array(2);

/** Adds one block's covered bytes to `h` (see the header). */
export function hashBlock(h: Hash, block: Uint8Array): void {
  const v = new DataView(block.buffer, block.byteOffset, block.byteLength);
  const commandEnd = HEADER_SIZE + v.getUint16(OFFSET_COMMAND_LENGTH);
  const authEnd = commandEnd + v.getUint16(OFFSET_AUTHENTICATION_LENGTH);
  const end = HEADER_SIZE + v.getUint32(OFFSET_DATA_LENGTH);
  h.update(block.subarray(0, OFFSET_SOCKET_ID));
  h.update(ZERO2);
  h.update(block.subarray(OFFSET_SOCKET_ID + 2, commandEnd));
  h.update(block.subarray(authEnd, end));
}

export function messageHash(): Hash {
  return createHash('sha256');
}

/** A node's signing identity (the main thread holds it; workers ask the node). */
export interface MessageSigner {
  /** `get node id`: SPKI DER base64. */
  publicKey: string;
  key: KeyObject;
}

/** The authentication segment for a message with this digest, sent to `dest` (`destination()`). */
export function authSegment(signer: MessageSigner, digest: Uint8Array, dest: string, now = Date.now()): Uint8Array {
  if (signer.publicKey.length !== KEY_CHARS) throw new Error(`node key: ${signer.publicKey.length} chars, expected 60`);
  if (dest.length > DEST_CHARS || /[\s#]/.test(dest))
    throw new ProtocolError(`message destination '${dest}' cannot be signed (over ${DEST_CHARS} characters)`);
  const time = Math.floor(now).toString(16).padStart(TIME_CHARS, '0');
  const nonce = randomBytes(12).toString('base64');
  const digest64 = Buffer.from(digest).toString('base64');
  const signed = Buffer.from(
    `${AUTH_TAG} ${signer.publicKey} ${time} ${nonce} ${dest.padEnd(DEST_CHARS, '#')} ${digest64}`,
    'latin1',
  );
  const sig = sign(null, signed, signer.key).toString('base64');
  return Buffer.concat([signed, Buffer.from(` ${sig}`, 'latin1')]);
}

/** The digest of blocks packed with the placeholder. */
export function blocksDigest(blocks: readonly Uint8Array[]): Buffer {
  const h = messageHash();
  for (const b of blocks) hashBlock(h, b);
  return h.digest();
}

/** Writes `auth` over block 1's placeholder. */
export function writeAuth(blocks: readonly Uint8Array[], auth: Uint8Array): void {
  const b = blocks[0]!;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (v.getUint16(OFFSET_AUTHENTICATION_LENGTH) !== auth.length)
    throw new Error('signBlocks: block 1 was not packed with the placeholder');
  b.set(auth, HEADER_SIZE + v.getUint16(OFFSET_COMMAND_LENGTH));
}

/** Signs blocks packed with the placeholder, in place. */
export function signBlocks(blocks: readonly Uint8Array[], signer: MessageSigner, dest: string): void {
  writeAuth(blocks, authSegment(signer, blocksDigest(blocks), dest));
}

/** Is the signature right for the segment's signed text? (time, nonce, destination are the caller's to check) */
export function verifyAuth(f: AuthFields, key: KeyObject): boolean {
  return verify(null, f.signed, key, Buffer.from(f.signature, 'base64'));
}

/** Do the blocks received hash to the digest the sender signed? */
export function digestMatches(f: AuthFields, digest: Uint8Array): boolean {
  return Buffer.from(digest).toString('base64') === f.digest;
}

/** The public key object of a base64 SPKI key; throws on a key that is not one. */
export function publicKeyOf(publicKey: string): KeyObject {
  return createPublicKey({ key: Buffer.from(publicKey, 'base64'), format: 'der', type: 'spki' });
}

/**
 * How a sender that is not the key's holder gets a message signed: whether the node signs now (senders that do
 * not then send exactly what EdgeLake sends), and the segment for a digest (undefined: it stopped meanwhile).
 */
export interface SignFn {
  active(): Promise<boolean>;
  sign(digest: Uint8Array, dest: string): Promise<Uint8Array | undefined>;
}

/** A SignFn from a signer held on this thread. */
export function signFnOf(signer: () => MessageSigner | undefined): SignFn {
  return {
    active: async () => signer() !== undefined,
    sign: async (digest, dest) => {
      const s = signer();
      return s ? authSegment(s, digest, dest) : undefined;
    },
  };
}

/**
 * Signs blocks packed with the placeholder through `sign`; when the node stopped signing meanwhile, the
 * placeholder stays, which every receiver reads as unsigned (it is not an `ert2` segment).
 */
export async function signBlocksWith(blocks: readonly Uint8Array[], sign: SignFn, dest: string): Promise<void> {
  const auth = await sign.sign(blocksDigest(blocks), dest);
  if (auth) writeAuth(blocks, auth);
}
