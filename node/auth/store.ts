// The node's authentication state on disk and in memory (main thread only): the user table, whether user
// authentication is on, the local password's verifier and the secrets sealed with it.
// File: <root>/state/auth.json, mode 0600, written whole to a temporary file and renamed (never half written):
//   { "version": 1, "enabled": bool, "users": [UserRecord], "local": PasswordHash?, "keySalt": base64?,
//     "secrets": { name: Sealed } }
// Passwords are never stored: users and the local password as salted scrypt hashes; secrets (`set private
// password ... in file`) as AES-256-GCM with a key derived from the local password (node/auth/crypto.ts).
// AnyLog's rule (authentication.md): a node that had a local password must be given the same one after a restart;
// a different one is refused, and the secrets stay sealed.
import { chmodSync, existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { CommandError, ConfigError } from '../../base/errors.js';
import { Status } from '../../base/status.js';
import { hashPassword, open, scryptAsync, seal, verifyPassword, type PasswordHash, type Sealed } from './crypto.js';
import { isIP } from 'node:net';
import { normalIp, type AuthTable, type PeerPolicy, type UserRecord, type UserType } from './users.js';

interface AuthFile {
  version: 1;
  enabled: boolean;
  users: UserRecord[];
  peers?: PeerPolicy;
  local?: PasswordHash;
  keySalt?: string;
  secrets: Record<string, Sealed>;
}

const NAME = /^[\w.@\-]{1,64}$/;

function fail(text: string, code: number = Status.CommandStructure): never {
  throw new CommandError(text, { code });
}

export class AuthStore {
  private data: AuthFile = { version: 1, enabled: false, users: [], secrets: {} };
  /** The key derived from the local password, once `set local password` was given this run. */
  private key: Buffer | undefined;
  private readonly session = new Map<string, string>();
  readonly file: string;

  constructor(
    stateDir: string,
    private readonly onChange: (table: AuthTable) => void,
  ) {
    this.file = join(stateDir, 'auth.json');
  }

  /** Reads the file if there is one (node start). A file others may read is tightened, not trusted less. */
  load(): void {
    if (!existsSync(this.file)) return this.onChange(this.table());
    if ((statSync(this.file).mode & 0o077) !== 0) chmodSync(this.file, 0o600);
    let parsed: AuthFile;
    try {
      parsed = JSON.parse(readFileSync(this.file, 'utf8')) as AuthFile;
    } catch (err) {
      // A damaged file must not silently turn authentication off: the node refuses to start.
      throw new ConfigError(`${this.file}: not readable as the authentication file`, { cause: err });
    }
    if (parsed.version !== 1 || !Array.isArray(parsed.users))
      throw new ConfigError(`${this.file}: unknown authentication file version`);
    this.data = { ...parsed, secrets: parsed.secrets ?? {} };
    this.onChange(this.table());
  }

  table(): AuthTable {
    return { enabled: this.data.enabled, users: this.data.users.map((u) => ({ ...u })), peers: this.peers };
  }

  get peers(): PeerPolicy {
    const p = this.data.peers ?? { enabled: false, allow: [] };
    return { enabled: p.enabled, allow: [...p.allow], ...(p.addresses ? { addresses: [...p.addresses] } : {}) };
  }

  /**
   * `set node authentication on|off [where allow = ..]`: while on, signed messages are checked and unsigned ones
   * (EdgeLake peers) are taken only from these IPs; without `allow` the list stays as it was. `addresses`:
   * ip:port (or name:port) signed messages may be addressed to besides the TCP server's own; kept likewise.
   */
  setPeers(enabled: boolean, allow: string[] | undefined, addresses?: string[]): void {
    const list = (allow ?? this.peers.allow).map(normalIp);
    for (const ip of list) if (isIP(ip) === 0) fail(`set node authentication: '${ip}' is not an IP address`);
    const own = (addresses ?? this.peers.addresses ?? []).map((a) => a.trim().toLowerCase());
    for (const a of own)
      if (!/^[\w.:[\]-]{1,58}:\d{1,5}$/.test(a)) fail(`set node authentication: address '${a}' is not ip:port`);
    this.data.peers = {
      enabled,
      allow: [...new Set(list)],
      ...(own.length > 0 ? { addresses: [...new Set(own)] } : {}),
    };
    this.commit();
  }

  get hasLocalPassword(): boolean {
    return this.data.local !== undefined;
  }

  get unlocked(): boolean {
    return this.key !== undefined;
  }

  async setLocalPassword(password: string): Promise<void> {
    if (password === '') fail('set local password: the password is empty');
    if (this.data.local) {
      if (!(await verifyPassword(password, this.data.local)))
        fail(
          'set local password: not the local password this node was given before (a restarted node needs the same one)',
          Status.AuthenticationFailed,
        );
    } else {
      this.data.local = await hashPassword(password);
      this.data.keySalt = randomBytes(16).toString('base64');
      this.save();
    }
    this.key = await scryptAsync(password, Buffer.from(this.data.keySalt!, 'base64'));
  }

  /** Stores a secret sealed with the local password (error when none was given this run). */
  putSecret(name: string, value: string): void {
    if (!this.key) fail(`${name}: 'in file' needs the local password first (set local password = ...)`);
    this.data.secrets[name] = seal(this.key, value);
    this.save();
  }

  /** Keeps a secret for this run only (memory of the main thread; never sent to a worker). */
  keepSecret(name: string, value: string): void {
    this.session.set(name, value);
  }

  getSecret(name: string): string | undefined {
    const kept = this.session.get(name);
    if (kept !== undefined) return kept;
    const s = this.data.secrets[name];
    if (!s) return undefined;
    if (!this.key) fail(`${name}: stored sealed; give the local password first (set local password = ...)`);
    return open(this.key, s, name);
  }

  hasSecret(name: string): boolean {
    return this.session.has(name) || this.data.secrets[name] !== undefined;
  }

  setEnabled(on: boolean): void {
    if (on && this.data.users.length === 0)
      fail('set user authentication on: no users yet (id add user where name = .. and password = ..)');
    this.data.enabled = on;
    this.commit();
  }

  get enabled(): boolean {
    return this.data.enabled;
  }

  users(): readonly Omit<UserRecord, 'password'>[] {
    return this.data.users.map(({ name, type, expires }) =>
      expires === undefined ? { name, type } : { name, type, expires },
    );
  }

  async addUser(name: string, password: string, type: UserType, expires: number | undefined): Promise<void> {
    if (!NAME.test(name)) fail(`id add user: '${name}' is not a valid user name (letters, digits, _ . @ -)`);
    if (password === '') fail('id add user: the password is empty');
    const known = this.data.users.find((u) => u.name === name);
    if (known) {
      // A start script run again adds the same user again: same password, nothing to refuse (type and
      // expiration follow the command). Another password is an error: that is `id update user password`.
      if (!(await verifyPassword(password, known.password)))
        fail(`id add user: user '${name}' exists with another password (id update user password)`);
      known.type = type;
      if (expires !== undefined) known.expires = expires;
      else delete known.expires;
      return this.commit();
    }
    const rec: UserRecord = { name, type, password: await hashPassword(password) };
    if (expires !== undefined) rec.expires = expires;
    this.data.users.push(rec);
    this.commit();
  }

  removeUser(name: string): void {
    const i = this.data.users.findIndex((u) => u.name === name);
    if (i < 0) fail(`id remove user: no user '${name}'`);
    if (this.data.enabled && this.data.users.length === 1)
      fail('id remove user: the last user cannot be removed while user authentication is on');
    this.data.users.splice(i, 1);
    this.commit();
  }

  async updatePassword(name: string, old: string, next: string): Promise<void> {
    const rec = this.data.users.find((u) => u.name === name);
    // One message for both cases: the command does not tell who exists.
    if (!rec || !(await verifyPassword(old, rec.password)))
      fail('id update user password: wrong user name or old password', Status.AuthenticationFailed);
    if (next === '') fail('id update user password: the new password is empty');
    rec.password = await hashPassword(next);
    this.commit();
  }

  private commit(): void {
    this.save();
    this.onChange(this.table());
  }

  private save(): void {
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.data), { mode: 0o600 });
    renameSync(tmp, this.file);
  }
}
