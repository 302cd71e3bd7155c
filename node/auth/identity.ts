// The node's identity (AnyLog `id create keys for node`, spec/anylog-authentication.md "Node keys and signed
// policies"): an Ed25519 key pair made with node:crypto.
//   <id_dir>/node_id.key   the private key, PKCS#8 PEM encrypted (PBES2, AES-256-CBC, as OpenSSL writes it)
//                          with the command's password, mode 0600; made once, never replaced
//   <id_dir>/node_id.pub   the public key, SPKI PEM
// `get node id` is the public key as one line of base64 (SPKI DER): it names the node in policies.
// A signed policy carries `public_key` (that line) and `signature` (base64 Ed25519) in its inner object; the
// signature covers the policy without `signature` and without what `blockchain insert` adds (`id`, `date`,
// `ledger`), as JSON with keys sorted at every level, so a policy signed and then inserted still authenticates on
// the ledger, and the order in which a ledger or a peer writes the keys does not matter.
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CommandError } from '../../base/errors.js';
import { Status } from '../../base/status.js';
import { jsonDumps } from '../../protocols/policy/pyrepr.js';
import { policyInner } from '../../protocols/policy/id.js';
import { isDict, type Policy, type PyValue } from '../../protocols/policy/pyvalue.js';

export const keyFiles = (idDir: string) => ({ key: join(idDir, 'node_id.key'), pub: join(idDir, 'node_id.pub') });

function fail(text: string, code: number = Status.CommandStructure): never {
  throw new CommandError(text, { code });
}

export function createNodeKeys(idDir: string, password: string): string {
  const f = keyFiles(idDir);
  if (existsSync(f.key)) fail('id create keys for node: the node has keys already (they are made once)');
  if (password.length < 4) fail('id create keys for node: the password needs at least 4 characters');
  mkdirSync(idDir, { recursive: true, mode: 0o700 });
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  writeFileSync(
    f.key,
    privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: password }),
    { mode: 0o600, flag: 'wx' },
  );
  writeFileSync(f.pub, publicKey.export({ type: 'spki', format: 'pem' }), { mode: 0o644 });
  return nodeId(idDir)!;
}

/** The node's public key as one base64 line, undefined when it has no keys. */
export function nodeId(idDir: string): string | undefined {
  const f = keyFiles(idDir);
  if (!existsSync(f.pub)) return undefined;
  return createPublicKey(readFileSync(f.pub)).export({ type: 'spki', format: 'der' }).toString('base64');
}

export function privateKeyOf(idDir: string, password: string): ReturnType<typeof createPrivateKey> {
  const f = keyFiles(idDir);
  if (!existsSync(f.key)) fail('the node has no keys (id create keys for node where password = ..)');
  try {
    return createPrivateKey({ key: readFileSync(f.key), format: 'pem', passphrase: password });
  } catch (err) {
    throw new CommandError('the private key cannot be opened with this password', {
      code: Status.AuthenticationFailed,
      cause: err,
    });
  }
}

function sorted(v: PyValue): PyValue {
  if (isDict(v))
    return new Map([...v.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, x]) => [k, sorted(x)]));
  if (Array.isArray(v)) return v.map(sorted);
  return v;
}

/** Keys the signature does not cover: itself, and what `blockchain insert` sets (protocols/policy/id.ts). */
const UNSIGNED_KEYS = ['signature', 'id', 'date', 'ledger'];

/** What the signature covers: the policy without UNSIGNED_KEYS, keys sorted at every level. */
function signedBytes(policy: Policy): Buffer {
  const copy = sorted(policy) as Policy;
  const inner = policyInner(copy);
  for (const k of UNSIGNED_KEYS) inner?.delete(k);
  return Buffer.from(jsonDumps(copy), 'utf8');
}

/** Signs in place: adds the node's `public_key` and the `signature` to the policy's inner object. */
export function signPolicy(policy: Policy, idDir: string, password: string): Policy {
  const key = privateKeyOf(idDir, password);
  const inner = policyInner(policy);
  if (!inner) fail('id sign: not a policy');
  inner.set('public_key', createPublicKey(key).export({ type: 'spki', format: 'der' }).toString('base64'));
  inner.delete('signature');
  inner.set('signature', sign(null, signedBytes(policy), key).toString('base64'));
  return policy;
}

/** Was the policy signed by the key it names? */
export function authenticatePolicy(policy: Policy): boolean {
  const inner = policyInner(policy);
  const pub = inner?.get('public_key');
  const sig = inner?.get('signature');
  if (typeof pub !== 'string' || typeof sig !== 'string') return false;
  try {
    const key = createPublicKey({ key: Buffer.from(pub, 'base64'), format: 'der', type: 'spki' });
    return verify(null, signedBytes(policy), key, Buffer.from(sig, 'base64'));
  } catch (err) {
    // A public key that is not one: the policy does not authenticate (the caller says so).
    if (err instanceof Error) return false;
    throw err;
  }
}
