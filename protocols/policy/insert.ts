// What `blockchain insert` does to a policy before writing it (cmd/member_cmd.py blockchain_insert_all
// L10381-10420, members/policies.py process_new_policy L254-298 and the attribute tables L84-148):
//   1. id and date (id.ts completePolicy), computed from the policy as given
//   2. when its `ledger` is absent or `local`: operator -> must have a cluster, unique ip:port, member id,
//      attribute checks; cluster -> defaults (`status: active`, also in each `table` entry), duplicate
//      tables, unique name or a valid parent
//   3. unique keys (validate.ts), then `ledger: local` and the duplicate-id test of the local ledger
// Other policy types (mapping, member, permissions, tag, uns...) get steps 1 and 3 only: their own
// checks are not implemented here.
import { CommandError } from '../../base/errors.js';
import { completePolicy, policyInner, policyType } from './id.js';
import { pyStr } from './pyrepr.js';
import { isDict, type Policy, type PyDict, type PyValue } from './pyvalue.js';
import {
  assignMember,
  checkUniqueKeys,
  cryptoRandomByte,
  findWhere,
  uniqueIpPort,
  uniqueValues,
  type RandomByte,
} from './validate.js';
import { Status } from '../../base/status.js';

const WRONG_STRUCTURE = 87;
const wrong = (message: string): CommandError => new CommandError(message, { code: WRONG_STRUCTURE });

type PyType = 'str' | 'int' | 'bool' | 'list';
/** attr name, Python type, must exist, default, child attributes (policies.py attribute tuples). */
type Attr = [name: string, type: PyType, must: boolean, dflt?: string | undefined, child?: readonly Attr[]];

const OPERATOR: readonly Attr[] = [
  ['company', 'str', true],
  ['name', 'str', true],
  ['ip', 'str', true],
  ['port', 'int', true],
  ['member', 'int', false],
  ['cluster', 'str', false],
  ['main', 'bool', false],
];
const CLUSTER_TABLE: readonly Attr[] = [
  ['dbms', 'str', true],
  ['name', 'str', true],
  ['status', 'str', true, 'active'],
];
const CLUSTER: readonly Attr[] = [
  ['status', 'str', true, 'active'],
  ['name', 'str', true],
  ['company', 'str', true],
  ['table', 'list', false, undefined, CLUSTER_TABLE],
];

/** isinstance(v, <type>) (a bool is an int in Python). */
function isType(v: PyValue, t: PyType): boolean {
  if (t === 'str') return typeof v === 'string';
  if (t === 'bool') return typeof v === 'boolean';
  if (t === 'list') return Array.isArray(v);
  return typeof v === 'boolean' || typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v));
}

/** test_key_val: defaults added in place, required keys and types checked. */
function testKeyVal(label: string, obj: PyDict, attrs: readonly Attr[], existing: readonly PyValue[]): void {
  for (const [name, type, must, dflt, child] of attrs) {
    if (!obj.has(name)) {
      if (dflt === undefined) {
        if (must) throw wrong(`Policy '${label}' without a value for the key: '${name}'`);
        continue;
      }
      obj.set(name, dflt);
    }
    const v = obj.get(name)!;
    if (label === 'operator' && name === 'cluster') {
      // validate_cluster_exists: `blockchain get cluster where id = <v> bring.count` must be "1".
      if (findWhere(existing, 'cluster', [['id', v]]).length !== 1)
        throw new CommandError(
          `Cluster policy '${pyStr(v)}' is referenced by an Operator and missing in the metadata`,
          { code: Status.MissingClusterPolicy },
        );
    }
    if (!isType(v, type))
      throw wrong(
        `Wrong data type for the attribute '${name}:${pyStr(v)}' in the policy '${label}' (requires <class '${type}'>)`,
      );
    if (child && Array.isArray(v)) {
      for (const entry of v) {
        if (!isDict(entry)) throw wrong(`Policy '${label}[${name}]' entries must be objects`);
        testKeyVal(`${label}[${name}]`, entry, child, existing);
      }
    }
  }
}

function newOperator(inner: PyDict, policy: Policy, existing: readonly PyValue[], random: RandomByte): Policy {
  if (!inner.has('cluster')) throw wrong('Operator Policy is is not associated with a cluster');
  if (!inner.has('ip')) throw wrong(`Policy 'operator' is missing an IP address`);
  if (!inner.has('port')) throw wrong(`Policy 'operator' is missing a port value`);
  const ipErr = uniqueIpPort('operator', inner, existing);
  if (ipErr) throw ipErr;
  const out = assignMember(policy, existing, random);
  const o = out.get('operator') as PyDict;
  const err =
    uniqueValues('operator', o, ['company', 'name'], existing) ??
    uniqueValues('operator', o, ['cluster', 'member'], existing);
  if (err) throw err;
  testKeyVal('operator', o, OPERATOR, existing);
  return out;
}

function newCluster(inner: PyDict, existing: readonly PyValue[]): void {
  testKeyVal('cluster', inner, CLUSTER, existing);
  const seen = new Set<string>();
  const tables = inner.get('table');
  for (const t of Array.isArray(tables) ? tables : []) {
    // testKeyVal made every entry a dict with dbms and name.
    const [dbms, table] = isDict(t) ? [pyStr(t.get('dbms') ?? ''), pyStr(t.get('name') ?? '')] : ['', ''];
    if (seen.has(`${dbms}.${table}`))
      throw wrong(`Cluster policy includes duplicate definitions for dbms '${dbms}' and table '${table}'`);
    seen.add(`${dbms}.${table}`);
  }
  const name = inner.get('name')!;
  const same = findWhere(existing, 'cluster', [['name', name]]);
  if (!inner.has('parent')) {
    if (same.length > 0)
      throw new CommandError(`Non-unique 'name' for a new cluster policy: '${pyStr(name)}'`, {
        code: Status.NonUniquePolicyValues,
      });
    return;
  }
  if (same.length === 0)
    throw wrong(`Cluster policy error: parent name '${pyStr(name)}' does not match a an existing policy`);
  const parent = same.map(policyInner).find((c) => c?.get('id') === inner.get('parent'));
  if (!parent)
    throw new CommandError(
      `Cluster policy error: Missing parent attribute with name: '${pyStr(name)}' and ID: '${pyStr(inner.get('parent')!)}'`,
      {
        code: Status.MissingParentPolicy,
      },
    );
  if (parent.get('company') !== inner.get('company'))
    throw new CommandError(
      `Cluster policy error: Different company name for parent and child '${pyStr(name)}' policies`,
      { code: Status.MissingParentPolicy },
    );
}

export interface InsertOptions {
  /** The date for a policy without one (a Date, or the formatted `YYYY-MM-DDTHH:MM:SS.ffffffZ`). */
  now: Date | string;
  /** The member id source (default: crypto). */
  random?: RandomByte;
}

/**
 * The policy `blockchain insert ... local = true` writes to the local ledger, given the policies
 * already there. Throws CommandError with EdgeLake's code (87 structure, 149/180 not unique, 222 missing
 * cluster, 70 duplicate id). The input is not modified.
 */
export function prepareInsert(policy: Policy, existing: readonly PyValue[], opts: InsertOptions): Policy {
  const type = policyType(policy);
  if (type === undefined) throw wrong(`Policy in 'blockchain insert' command has no type`);
  let out = completePolicy(policy, opts.now);
  let inner = out.get(type) as PyDict;
  const ledger = inner.get('ledger');
  if (ledger === undefined || ledger === 'local') {
    if (type === 'operator') out = newOperator(inner, out, existing, opts.random ?? cryptoRandomByte);
    else if (type === 'cluster') newCluster(inner, existing);
  }
  inner = out.get(type) as PyDict;
  const err = checkUniqueKeys(out, existing);
  if (err) throw err;
  inner.set('ledger', 'local');
  const id = inner.get('id');
  if (existing.some((p) => policyInner(p)?.get('id') === id))
    throw new CommandError(`Error in 'blockchain insert': duplicate id: '${pyStr(id!)}' for policy type: '${type}'`, {
      code: Status.DuplicateObjectId,
    });
  return out;
}
