// User authentication commands (AnyLog's interface, summarised in spec/anylog-authentication.md; EdgeLake 1.4
// keeps them as stubs: generic/version.py `al_auth_*`):
//   set local password = <p>                      protects secrets on disk; checked (not replaced) after a restart
//   set private password = <p> [in file]          `in file`: kept sealed with the local password
//   set user authentication on|off                REST (and the message broker) require users when on
//   get authentication                            the state
//   id add user where name = .. and password = .. [and type = admin|user] [and expiration = <n> <unit>]
//   id remove user where name = ..
//   id update user password where name = .. and old = .. and new = ..
//   get users                                     names, types, expirations (never hashes)
//   set node authentication on [where allow = <ip>, ..]   peer messages must be signed by a member's key and allowed
//   set node authentication off                           by its permissions (node/auth/peer-auth.ts); unsigned ones
//                                                         (EdgeLake peers) only from the allow list; a signed
//                                                         one only when addressed to this node (its TCP
//                                                         addresses, or one given as `address = <ip:port>, ..`)
// Who may run them: the node's owner (control socket, scripts); a REST client while user authentication is off,
// or an `admin` user while it is on; never a TCP peer (a peer must not switch its neighbour's authentication off).
import { CommandError } from '../../../base/errors.js';
import { Status } from '../../../base/status.js';
import { formatTable } from '../../../protocols/format/table.js';
import type { AuthStore } from '../../auth/store.js';
import type { UserType } from '../../auth/users.js';
import type { CommandSpec, Invocation, NodeApi } from '../../service.js';
import type { DispatchEnv } from '../dispatcher.js';
import { whereObject } from '../args.js';
import { idDir } from './identity.js';

function fail(text: string, code: number = Status.CommandStructure): never {
  throw new CommandError(text, { code });
}

function store(node: NodeApi): AuthStore {
  return node.auth ?? fail('authentication is not available on this node');
}

/** Refuses the command unless the node's owner or an admin user sent it (see the header). */
export function ownerOnly(inv: Invocation, node: NodeApi, what: string): void {
  const env = inv.env as DispatchEnv;
  if (env.via === 'peer' || env.peer) fail(`${what}: not accepted from a TCP peer`, Status.UnauthorizedCommand);
  if (env.via === 'rest' && store(node).enabled && env.user?.type !== 'admin')
    fail(`${what}: needs an admin user`, Status.UnauthorizedCommand);
}

/** Opens the node's private key for signing (node/auth/peer-auth.ts); a node without keys has nothing to open. */
export function unlockNodeKey(node: NodeApi, password: string): void {
  node.peerAuth?.unlock(idDir(node), password);
}

/** The value after `=`: one word (resolved: `!x`, `$X`) or one quoted string, then the optional `in file`. */
function assigned(inv: Invocation, node: NodeApi, what: string): { value: string; inFile: boolean } {
  const [eq, v, ...rest] = inv.args;
  if (eq?.kind !== 'op' || eq.text !== '=' || !v || (v.kind !== 'word' && v.kind !== 'string'))
    fail(`${what}: expected '${what} = <password>'`);
  const words = rest.map((t) => t.text.toLowerCase());
  const inFile = words.join(' ') === 'in file';
  if (rest.length > 0 && !inFile) fail(`${what}: unexpected words after the password`);
  return { value: v.kind === 'word' ? node.resolve(v.text) : v.text, inFile };
}

const UNIT_MS: Record<string, number> = {
  second: 1000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
  week: 604_800_000,
  month: 2_592_000_000,
  year: 31_536_000_000,
};

/** `2 minutes`, `1 day`, `30 seconds` -> ms. */
export function durationMs(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]+?)s?\s*$/i.exec(text);
  const unit = m ? UNIT_MS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined)
    fail(`expiration: expected '<n> seconds|minutes|hours|days|weeks|months|years' (got '${text}')`);
  return Number(m[1]) * unit;
}

function opt(o: Record<string, unknown>, key: string, what: string): string {
  const v = o[key];
  if (v === undefined || v === '') fail(`${what}: missing '${key}'`);
  return String(v);
}

const setLocal: CommandSpec = {
  words: ['set', 'local', 'password'],
  method: 'post',
  usage: 'set local password = <password>',
  async run(inv, node) {
    ownerOnly(inv, node, 'set local password');
    const { value, inFile } = assigned(inv, node, 'set local password');
    if (inFile) fail("set local password: 'in file' applies to the private password");
    await store(node).setLocalPassword(value);
    // A private password kept `in file` opens the node's key again (a restarted node signs once given this).
    if (store(node).hasSecret('private_password')) unlockNodeKey(node, store(node).getSecret('private_password')!);
    return '';
  },
};

const setPrivate: CommandSpec = {
  words: ['set', 'private', 'password'],
  method: 'post',
  usage: 'set private password = <password> [in file]',
  async run(inv, node) {
    ownerOnly(inv, node, 'set private password');
    const { value, inFile } = assigned(inv, node, 'set private password');
    const s = store(node);
    // Checked before it is kept: a wrong password would leave the node unable to sign without saying so.
    unlockNodeKey(node, value);
    if (inFile) s.putSecret('private_password', value);
    else s.keepSecret('private_password', value);
    return '';
  },
};

const setUserAuth: CommandSpec = {
  words: ['set', 'user', 'authentication'],
  method: 'post',
  usage: 'set user authentication on|off',
  run(inv, node) {
    ownerOnly(inv, node, 'set user authentication');
    const [w, ...extra] = inv.args.map((t) => t.text.toLowerCase());
    if ((w !== 'on' && w !== 'off') || extra.length > 0) fail('set user authentication: expected on or off');
    store(node).setEnabled(w === 'on');
    return '';
  },
};

const setNodeAuth: CommandSpec = {
  words: ['set', 'node', 'authentication'],
  method: 'post',
  usage:
    'set node authentication on where allow = <ip>[, <ip>...] and address = <ip:port>[, ...] | set node authentication off',
  run(inv, node) {
    ownerOnly(inv, node, 'set node authentication');
    const [w, ...extra] = inv.args.map((t) => t.text.toLowerCase());
    if ((w !== 'on' && w !== 'off') || extra.length > 0) fail('set node authentication: expected on or off');
    const where = whereObject(inv, node);
    const listOf = (v: unknown): string[] | undefined =>
      v === undefined
        ? undefined
        : (Array.isArray(v)
            ? v.map(String)
            : String(v)
                .replace(/^[[(]|[\])]$/g, '')
                .split(',')
          )
            .map((x) => x.trim())
            .filter((x) => x !== '');
    store(node).setPeers(w === 'on', listOf(where['allow']), listOf(where['address']));
    return '';
  },
};

const getAuth: CommandSpec = {
  words: ['get', 'authentication'],
  method: 'get',
  usage: 'get authentication',
  async run(_inv, node) {
    const s = store(node);
    return formatTable(
      ['Authentication', 'Status'],
      [
        ['User authentication', s.enabled ? 'ON' : 'OFF'],
        ['Users', s.users().length],
        ['Local password', s.hasLocalPassword ? (s.unlocked ? 'Set' : 'Set, not given since start') : 'Not set'],
        ['Node authentication', s.peers.enabled ? 'ON' : 'OFF'],
        ['Peers allowed', s.peers.allow.join(', ')],
        ['Node signs messages', node.peerAuth?.signing ? 'Yes' : 'No'],
        ['Peer messages refused', await refusedText(node)],
      ],
    );
  },
};

/** `edgelake_rt_peer_messages_refused_total` by reason: `unsigned 2, replay 1` (0 when none). */
async function refusedText(node: NodeApi): Promise<string> {
  const m = node.metrics;
  if (!m) return '';
  const values = (await m.counter('edgelake_rt_peer_messages_refused_total').get()).values.filter((v) => v.value > 0);
  if (values.length === 0) return '0';
  return values.map((v) => `${String(v.labels['reason'])} ${v.value}`).join(', ');
}

const getUsers: CommandSpec = {
  words: ['get', 'users'],
  method: 'get',
  usage: 'get users',
  run(_inv, node) {
    return formatTable(
      ['Name', 'Type', 'Expiration'],
      store(node)
        .users()
        .map((u) => [u.name, u.type, u.expires === undefined ? '' : new Date(u.expires).toISOString()]),
    );
  },
};

const addUser: CommandSpec = {
  words: ['id', 'add', 'user'],
  method: 'post',
  usage: 'id add user where name = <n> and password = <p> [and type = admin|user] [and expiration = <n> <unit>]',
  async run(inv, node) {
    ownerOnly(inv, node, 'id add user');
    const o = whereObject(inv, node);
    const what = 'id add user';
    const type = String(o['type'] ?? 'user').toLowerCase();
    if (type !== 'admin' && type !== 'user') fail(`${what}: type is admin or user (got '${type}')`);
    const exp = o['expiration'] === undefined ? undefined : Date.now() + durationMs(String(o['expiration']));
    await store(node).addUser(opt(o, 'name', what), opt(o, 'password', what), type as UserType, exp);
    return '';
  },
};

const removeUser: CommandSpec = {
  words: ['id', 'remove', 'user'],
  method: 'post',
  usage: 'id remove user where name = <n>',
  run(inv, node) {
    ownerOnly(inv, node, 'id remove user');
    store(node).removeUser(opt(whereObject(inv, node), 'name', 'id remove user'));
    return '';
  },
};

const updatePassword: CommandSpec = {
  words: ['id', 'update', 'user', 'password'],
  method: 'post',
  usage: 'id update user password where name = <n> and old = <old> and new = <new>',
  async run(inv, node) {
    const what = 'id update user password';
    const env = inv.env as DispatchEnv;
    if (env.via === 'peer' || env.peer) fail(`${what}: not accepted from a TCP peer`, Status.UnauthorizedCommand);
    const o = whereObject(inv, node);
    const name = opt(o, 'name', what);
    // A user may change their own password (they prove the old one); anyone else's needs an admin.
    if (env.via === 'rest' && store(node).enabled && env.user?.type !== 'admin' && env.user?.name !== name)
      fail(`${what}: needs an admin user`, Status.UnauthorizedCommand);
    await store(node).updatePassword(name, opt(o, 'old', what), opt(o, 'new', what));
    return '';
  },
};

export const authCommands: CommandSpec[] = [
  setLocal,
  setPrivate,
  setUserAuth,
  setNodeAuth,
  getAuth,
  getUsers,
  addUser,
  removeUser,
  updatePassword,
];
