// Uniqueness of new policies and operator member ids (members/policies.py process_new_policy L254-298,
// new_operaor_policy L302-337, test_ip_port L342-356, test_unique_values L487-523, new_cluster_policy
// L690-733). Every test is a `blockchain get <type> where k = str(v) ...` over the existing policies,
// so the where rules apply (strings case-insensitive, 32148 equals "32148"):
//   operator with a cluster  (ip, port) -> 149 None unique IP:Port; (company, name), (cluster, member) -> 180
//   operator                 (ip, port), (name) -> 180          table (dbms, name) -> 180
//   cluster without parent   name -> 180
// An operator with a cluster and no member gets a random member id 1-255 unused in that cluster.
import { randomBytes } from 'node:crypto';
import { CommandError } from '../../base/errors.js';
import { matchesPairs, type WherePair } from './filter.js';
import { policyInner, policyType } from './id.js';
import { pyStr } from './pyrepr.js';
import { clone, isDict, type Policy, type PyDict, type PyValue } from './pyvalue.js';
import { Status } from '../../base/status.js';

/** A random byte 0-255 (injectable for tests). */
export type RandomByte = () => number;
export const cryptoRandomByte: RandomByte = () => randomBytes(1)[0]!;

const NON_UNIQUE = 180;
const NON_UNIQUE_IP_PORT = 149;

/** The existing policies of `type` matching `key = str(value)` for every given key. */
export function findWhere(existing: readonly PyValue[], type: string, where: [string, PyValue][]): PyValue[] {
  const pairs: WherePair[] = where.map(([key, v]) => ({ key, value: pyStr(v) }));
  return existing.filter((p) => isDict(p) && p.has(type) && matchesPairs(p.get(type), pairs));
}

const whereText = (type: string, where: [string, PyValue][]): string =>
  `blockchain get ${type} where ${where.map(([k, v]) => `${k} = ${pyStr(v)}`).join(' and ')}`;

/** process_new_policy's unique_keys test: keys up to the first missing one (EdgeLake queries with those). */
function uniqueKeys(
  type: string,
  inner: PyDict,
  keys: readonly string[],
  existing: readonly PyValue[],
): CommandError | undefined {
  const where: [string, PyValue][] = [];
  for (const k of keys) {
    if (!inner.has(k)) break;
    where.push([k, inner.get(k)!]);
  }
  // EdgeLake's query then has nothing after `where`: error 2.
  if (where.length === 0)
    return new CommandError(`New Policy Error: '${type}' policy is missing '${keys[0]}'`, {
      code: Status.CommandStructure,
    });
  if (findWhere(existing, type, where).length === 0) return undefined;
  return new CommandError(`New Policy Error: Non unique key-values pairs: ${whereText(type, where)}`, {
    code: NON_UNIQUE,
  });
}

/** test_unique_values: the non-empty attributes among `attrs` must not all match an existing policy. */
export function uniqueValues(
  type: string,
  inner: PyDict,
  attrs: readonly string[],
  existing: readonly PyValue[],
): CommandError | undefined {
  const where = attrs
    .filter((a) => inner.has(a) && pyStr(inner.get(a)!) !== '')
    .map((a): [string, PyValue] => [a, inner.get(a)!]);
  if (where.length === 0 || findWhere(existing, type, where).length === 0) return undefined;
  const keys = where.map(([k]) => k).join('.');
  const values = where.map(([, v]) => pyStr(v)).join('.');
  return new CommandError(`Error in policy type: ${type} - duplicate '${keys}' value: '${values}'`, {
    code: NON_UNIQUE,
  });
}

/** test_ip_port for an operator in a cluster (ip and port present). */
export function uniqueIpPort(type: string, inner: PyDict, existing: readonly PyValue[]): CommandError | undefined {
  const ip = inner.get('ip')!;
  const port = inner.get('port')!;
  if (
    findWhere(existing, type, [
      ['ip', ip],
      ['port', port],
    ]).length === 0
  )
    return undefined;
  const msg = `New policy '${type}' is using an IP and Port '${pyStr(ip)}:${pyStr(port)}' which is in use by an existing policy`;
  return new CommandError(msg, { code: NON_UNIQUE_IP_PORT });
}

/**
 * The uniqueness rules for a new policy against the existing ones; the first failure, or undefined.
 * (Required keys and types are checked by prepareInsert.)
 */
export function checkUnique(newPolicy: Policy, existing: readonly PyValue[]): CommandError | undefined {
  const type = policyType(newPolicy);
  const inner = policyInner(newPolicy);
  if (type === undefined || inner === undefined) return undefined;
  if (type === 'operator') {
    if (inner.has('cluster') && inner.has('ip') && inner.has('port')) {
      const err =
        uniqueIpPort(type, inner, existing) ??
        uniqueValues(type, inner, ['company', 'name'], existing) ??
        uniqueValues(type, inner, ['cluster', 'member'], existing);
      if (err) return err;
    }
  }
  if (type === 'cluster' && !inner.has('parent') && inner.has('name')) {
    const name = inner.get('name')!;
    if (findWhere(existing, 'cluster', [['name', name]]).length > 0)
      return new CommandError(`Non-unique 'name' for a new cluster policy: '${pyStr(name)}'`, { code: NON_UNIQUE });
  }
  return checkUniqueKeys(newPolicy, existing);
}

/** The last test of process_new_policy, run whatever the policy's ledger: operator (ip, port), (name); table (dbms, name). */
export function checkUniqueKeys(newPolicy: Policy, existing: readonly PyValue[]): CommandError | undefined {
  const type = policyType(newPolicy);
  const inner = policyInner(newPolicy);
  if (type === undefined || inner === undefined) return undefined;
  if (type === 'operator')
    return uniqueKeys(type, inner, ['ip', 'port'], existing) ?? uniqueKeys(type, inner, ['name'], existing);
  if (type === 'table') return uniqueKeys(type, inner, ['dbms', 'name'], existing);
  return undefined;
}

/** Draws before giving up on a random source that keeps hitting used ids. */
const MAX_DRAWS = 10_000;

/**
 * An operator with a `cluster` and no `member` gets a random member id 1-255 not used by another
 * operator of that cluster, appended as the last key (a copy is returned). Other policies come back as
 * they are. Throws CommandError when no id is free.
 */
export function assignMember(
  policy: Policy,
  existing: readonly PyValue[],
  random: RandomByte = cryptoRandomByte,
): Policy {
  const inner = policyInner(policy);
  if (policyType(policy) !== 'operator' || !inner || !inner.has('cluster') || inner.has('member')) return policy;
  const cluster = inner.get('cluster')!;
  for (let draw = 0; draw < MAX_DRAWS; draw++) {
    const member = random() & 0xff;
    if (member === 0) continue; // EdgeLake: 0 is not a member id
    if (
      findWhere(existing, 'operator', [
        ['cluster', cluster],
        ['member', member],
      ]).length > 0
    )
      continue;
    const out = clone(policy) as Policy;
    (out.get('operator') as PyDict).set('member', member);
    return out;
  }
  throw new CommandError(`No free member id in cluster '${pyStr(cluster)}'`, { code: NON_UNIQUE });
}
