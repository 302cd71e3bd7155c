// The user table as services see it (REST server, message broker): whether user authentication is on and each
// user's salted scrypt hash. The node (node/auth/store.ts) is its only writer; it keeps it in the node's settings
// (`AUTH_USERS`, read by a service at start) and tells the running services (`auth.users`, node/notices.ts).
// `Authenticator` checks credentials against one table; verified credentials are remembered (by a SHA-256 of
// the credentials, never the password) so a client sending the same header does not pay scrypt per request.
import { createHash } from 'node:crypto';
import { defineSetting } from '../settings.js';
import { verifyPassword, type PasswordHash } from './crypto.js';

export type UserType = 'admin' | 'user';

export interface UserRecord {
  name: string;
  type: UserType;
  password: PasswordHash;
  /** ms since epoch after which the user can no longer connect; undefined = never. */
  expires?: number;
}

/** `set node authentication`: while on, unsigned TCP messages (EdgeLake peers) only from these IPs. */
export interface PeerPolicy {
  enabled: boolean;
  allow: string[];
  /**
   * ip:port a signed message may be addressed to besides the TCP server's own addresses (a name or NAT address
   * the peers use for this node: actors/tcp-server/peer-auth.ts).
   */
  addresses?: string[];
}

export interface AuthTable {
  enabled: boolean;
  users: UserRecord[];
  peers: PeerPolicy;
  /** The node signs its TCP messages (it has keys and their password: node/auth/peer-auth.ts). */
  signing?: boolean;
}

/** An IP as the TCP server sees it (IPv4-mapped IPv6 and `localhost` normalised). */
export function normalIp(ip: string): string {
  const x = ip
    .trim()
    .replace(/^::ffff:/i, '')
    .toLowerCase();
  return x === 'localhost' || x === '::1' ? '127.0.0.1' : x;
}

export const AUTH_USERS = defineSetting<AuthTable>('auth.users');

export const NO_AUTH: AuthTable = { enabled: false, users: [], peers: { enabled: false, allow: [] } };

/** EdgeLake/AnyLog's 401 text (AnyLog documentation, authentication.md). */
export const AUTH_FAILED_TEXT = 'Failed AnyLog Client Authentication';

/** `Authorization: Basic base64(user:password)` -> [user, password], undefined when absent or malformed. */
export function parseBasic(header: string | undefined): [string, string] | undefined {
  if (!header) return undefined;
  const m = /^\s*basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!m) return undefined;
  const text = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon <= 0) return undefined;
  return [text.slice(0, colon), text.slice(colon + 1)];
}

interface Remembered {
  ok: boolean;
  at: number;
}

/** Failed attempts are remembered briefly too: a client repeating a wrong header costs one scrypt per window. */
const FAIL_MS = 5_000;
const CACHE_MAX = 1_000;

export class Authenticator {
  private table: AuthTable;
  private readonly cache = new Map<string, Remembered>();
  /** Requests refused for missing or wrong credentials. */
  refused = 0;

  constructor(table: AuthTable | undefined) {
    this.table = table ?? NO_AUTH;
  }

  get enabled(): boolean {
    return this.table.enabled;
  }

  /** A new table: what was verified against the old one no longer counts. */
  replace(table: AuthTable): void {
    this.table = table;
    this.cache.clear();
  }

  /** The user (name and type) these credentials authenticate, or undefined. Always passes when auth is off. */
  async check(
    user: string | undefined,
    password: string | undefined,
    now = Date.now(),
  ): Promise<{ name: string; type: UserType } | undefined> {
    if (user === undefined || password === undefined) return undefined;
    const rec = this.table.users.find((u) => u.name === user);
    if (!rec || (rec.expires !== undefined && now >= rec.expires)) return undefined;
    const key = createHash('sha256').update(`${user}\u0000${password}`).digest('base64');
    const seen = this.cache.get(key);
    if (seen && (seen.ok || now - seen.at < FAIL_MS)) return seen.ok ? { name: rec.name, type: rec.type } : undefined;
    const table = this.table;
    const ok = await verifyPassword(password, rec.password);
    // The table may have been replaced while scrypt ran: remember only against the table it was checked with.
    if (this.table === table) {
      if (this.cache.size >= CACHE_MAX) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(key, { ok, at: now });
    }
    return ok ? { name: rec.name, type: rec.type } : undefined;
  }

  /** Checks an `Authorization` header value. */
  checkHeader(header: string | undefined, now = Date.now()): Promise<{ name: string; type: UserType } | undefined> {
    const c = parseBasic(header);
    return this.check(c?.[0], c?.[1], now);
  }
}
