// Password hashing and secret sealing, on node:crypto only.
//   hashPassword: scrypt (N = 2^14, r = 8, p = 1, 32 bytes) with a 16-byte random salt, the parameters stored
//   beside the hash so they can be raised later without breaking old records.
//   seal/open: AES-256-GCM with a fresh 12-byte IV per value, the key derived from the local password by scrypt
//   with the store's own salt; the GCM tag makes a wrong key or a changed file fail instead of decrypting garbage.
import {
  createCipheriv,
  createDecipheriv,
  randomBytes,
  scrypt,
  timingSafeEqual,
  type ScryptOptions,
} from 'node:crypto';
import { CommandError } from '../../base/errors.js';
import { Status } from '../../base/status.js';

export interface PasswordHash {
  /** base64 */
  salt: string;
  /** base64 */
  hash: string;
  /** scrypt cost parameter. */
  n: number;
}

const N = 1 << 14;
const KEY_BYTES = 32;

export function scryptAsync(password: string, salt: Buffer, n = N): Promise<Buffer> {
  const opts: ScryptOptions = { N: n, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFC'), salt, KEY_BYTES, opts, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

export async function hashPassword(password: string): Promise<PasswordHash> {
  const salt = randomBytes(16);
  const hash = await scryptAsync(password, salt);
  return { salt: salt.toString('base64'), hash: hash.toString('base64'), n: N };
}

/** Constant-time comparison of the derived key with the stored one. */
export async function verifyPassword(password: string, stored: PasswordHash): Promise<boolean> {
  const want = Buffer.from(stored.hash, 'base64');
  const got = await scryptAsync(password, Buffer.from(stored.salt, 'base64'), stored.n);
  return want.length === got.length && timingSafeEqual(want, got);
}

/** One value sealed with AES-256-GCM (all base64). */
export interface Sealed {
  iv: string;
  tag: string;
  data: string;
}

export function seal(key: Buffer, plain: string): Sealed {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  const data = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
  return { iv: iv.toString('base64'), tag: c.getAuthTag().toString('base64'), data: data.toString('base64') };
}

export function open(key: Buffer, s: Sealed, what: string): string {
  try {
    const d = createDecipheriv('aes-256-gcm', key, Buffer.from(s.iv, 'base64'));
    d.setAuthTag(Buffer.from(s.tag, 'base64'));
    return Buffer.concat([d.update(Buffer.from(s.data, 'base64')), d.final()]).toString('utf8');
  } catch (err) {
    // GCM refuses a wrong key or a tampered file: say which secret, never what it held.
    throw new CommandError(`${what}: cannot be decrypted with the local password (changed file or wrong key)`, {
      code: Status.AuthenticationFailed,
      cause: err,
    });
  }
}
