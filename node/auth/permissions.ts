// Who may run what, from the policies on the ledger (AnyLog's model: documentation/authentication.md "Validate
// permitted command" and examples/Secure Network.md; EdgeLake 1.4 has only the stubs
// generic/version.py permissions_permission_process, which always allow). Every policy below counts only when
// it authenticates (node/auth/identity.ts: signed by the key it names).
//
//   member       {"member": {"type": "root"|"node"|"user", "public_key": .., "signature": ..}}
//                a member of the network; a node policy (master, operator, query, publisher) signed by its node's
//                key counts as a member of type node. The first root member on the ledger is the root.
//   permissions  {"permissions": {"name": .., "enable": [<command>|"*"], "disable": [<command>],
//                 "databases": ["*" | <dbms> | "-<dbms>"], "tables": ["<dbms>.<table>" | "<dbms>.*"], ..signed}}
//   assignment   {"assignment": {"permissions": <id of a permissions policy>, "members": [<public key>], ..signed}}
//
// Authority: the root may do anything and may grant. A permissions or assignment policy counts when signed by a
// key with authority: the root, or a member assigned permissions that enable "*" by a policy that counts (AnyLog:
// "a chain of permitted authorizations that is derived from the root user"); computed to a fixed point.
// A command is allowed when one assignment naming the key gives permissions that enable it (an entry matches
// when its words begin the command's words, case-insensitive; "*" matches all) and none of that policy's
// `disable` entries match; with a dbms (and table), the data must be allowed too:
//   a table listed in `tables` (or `<dbms>.*`) is allowed; otherwise `databases`: "-<dbms>" denies, "*" or the
//   name allows, no such entry denies; a policy without `databases` allows every dbms unless it lists `tables`.
import { authenticatePolicy } from './identity.js';
import { policyInner, policyType } from '../../protocols/policy/id.js';
import type { Policy, PyValue } from '../../protocols/policy/pyvalue.js';

/** Policy types whose signed copy makes its key a member of type node. */
const NODE_TYPES = new Set(['master', 'operator', 'query', 'publisher']);

interface Grant {
  name: string;
  enable: string[][];
  disable: string[][];
  databases: string[] | undefined;
  tables: string[] | undefined;
}

export interface PermissionIndex {
  root: string | undefined;
  /** Keys of members (member policies and signed node policies). */
  members: Set<string>;
  /** What each key was granted. */
  grants: Map<string, Grant[]>;
}

export interface Decision {
  allowed: boolean;
  why: string;
}

const str = (v: PyValue | undefined): string | undefined => (typeof v === 'string' ? v : undefined);
const strList = (v: PyValue | undefined): string[] | undefined =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : undefined;
const words = (text: string): string[] => text.trim().toLowerCase().split(/\s+/).filter(Boolean);

function grantOf(p: Policy): Grant {
  const inner = policyInner(p)!;
  return {
    name: str(inner.get('name')) ?? str(inner.get('id')) ?? '(unnamed)',
    enable: (strList(inner.get('enable')) ?? []).map(words),
    disable: (strList(inner.get('disable')) ?? []).map(words),
    databases: strList(inner.get('databases'))?.map((d) => d.toLowerCase()),
    tables: strList(inner.get('tables'))?.map((t) => t.toLowerCase()),
  };
}

const allowsAll = (g: Grant): boolean => g.enable.some((e) => e.length === 1 && e[0] === '*');

/** The members, root and grants that the policies make (see the header). */
export function indexPermissions(policies: readonly Policy[]): PermissionIndex {
  const members = new Set<string>();
  let root: string | undefined;
  const permissions = new Map<string, { signer: string; grant: Grant }>();
  const assignments: { signer: string; permissions: string; members: string[] }[] = [];
  for (const p of policies) {
    const type = policyType(p);
    const inner = policyInner(p);
    const key = str(inner?.get('public_key'));
    if (!type || !inner || key === undefined || !authenticatePolicy(p)) continue;
    if (type === 'member') {
      members.add(key);
      if (root === undefined && str(inner.get('type'))?.toLowerCase() === 'root') root = key;
    } else if (NODE_TYPES.has(type)) members.add(key);
    else if (type === 'permissions') {
      const id = str(inner.get('id'));
      if (id !== undefined) permissions.set(id, { signer: key, grant: grantOf(p) });
    } else if (type === 'assignment') {
      const perm = str(inner.get('permissions'));
      if (perm !== undefined)
        assignments.push({ signer: key, permissions: perm, members: strList(inner.get('members')) ?? [] });
    }
  }
  // Authority to grant, from the root down, to a fixed point (each round adds a key or ends).
  const authority = new Set<string>(root !== undefined ? [root] : []);
  for (let grown = true; grown;) {
    grown = false;
    for (const a of assignments) {
      const perm = permissions.get(a.permissions);
      if (!authority.has(a.signer) || !perm || !authority.has(perm.signer) || !allowsAll(perm.grant)) continue;
      for (const m of a.members) if (!authority.has(m)) (authority.add(m), (grown = true));
    }
  }
  const grants = new Map<string, Grant[]>();
  for (const a of assignments) {
    const perm = permissions.get(a.permissions);
    if (!authority.has(a.signer) || !perm || !authority.has(perm.signer)) continue;
    for (const m of a.members) grants.set(m, [...(grants.get(m) ?? []), perm.grant]);
  }
  return { root, members, grants };
}

const startsWith = (cmd: string[], entry: string[]): boolean =>
  (entry.length === 1 && entry[0] === '*') || (entry.length <= cmd.length && entry.every((w, i) => cmd[i] === w));

function dataAllowed(g: Grant, dbms: string | undefined, table: string | undefined): boolean {
  if (dbms === undefined) return true;
  const d = dbms.toLowerCase();
  const t = table?.toLowerCase();
  if (g.tables?.some((x) => x === `${d}.*` || (t !== undefined && x === `${d}.${t}`))) return true;
  if (t === undefined && g.tables?.some((x) => x.startsWith(`${d}.`))) return true;
  if (g.databases === undefined) return g.tables === undefined;
  if (g.databases.includes(`-${d}`)) return false;
  return g.databases.includes('*') || g.databases.includes(d);
}

/** `id validate`: may `key` run `command` (on `dbms`.`table`)? */
export function validate(
  index: PermissionIndex,
  key: string,
  command: string,
  dbms?: string,
  table?: string,
): Decision {
  if (key === index.root) return { allowed: true, why: 'root member' };
  const cmd = words(command);
  const grants = index.grants.get(key);
  if (!grants || grants.length === 0)
    return { allowed: false, why: index.members.has(key) ? 'no permissions are assigned to this key' : 'not a member' };
  for (const g of grants) {
    if (!g.enable.some((e) => startsWith(cmd, e))) continue;
    if (g.disable.some((e) => startsWith(cmd, e))) continue;
    if (!dataAllowed(g, dbms, table)) continue;
    return { allowed: true, why: `permissions '${g.name}'` };
  }
  const what =
    dbms === undefined ? `'${cmd.slice(0, 3).join(' ')}'` : `'${cmd[0] ?? ''}' on ${dbms}${table ? `.${table}` : ''}`;
  return {
    allowed: false,
    why: `the permissions assigned to this key (${grants.map((g) => `'${g.name}'`).join(', ')}) do not allow ${what}`,
  };
}
