// Policy ids and dates as EdgeLake assigns them (members/policies.py L786-842, add_json_id_date):
//   the id is computed without `date` and `ledger`, so two copies of a policy hash alike:
//     table    md5("table:"   + "company:<v>:" + "name:<v>:" + "dbms:<v>:")                 keys present only
//     cluster  md5("cluster:" + "company:<v>:" + "name:<v>:" + "parent:<v>:" + "table:<v>:") values as str()
//     others   md5(str(policy))                                    Python repr of the whole {"<type>": {..}}
//   then `id` (when missing), `date` (kept when given, else now) and `ledger` (when truthy) are set
//   again, in that order, as the last keys. A policy with both `id` and `date` is left as it is.
// `blockchain insert` calls this before any default or `member` is filled in (cmd/member_cmd.py L10399),
// which is why the golden ledger shows `status` and `member` after `date`.
import { createHash } from 'node:crypto';
import { CommandError } from '../../base/errors.js';
import { pyStr } from './pyrepr.js';
import { clone, isDict, truthy, type Policy, type PyDict, type PyValue } from './pyvalue.js';
import { Status } from '../../base/status.js';

/** Keys that alone make the id of these policy types (policies.py `hash_fields`). */
const HASH_FIELDS: Record<string, readonly string[]> = {
  table: ['company', 'name', 'dbms'],
  cluster: ['company', 'name', 'parent', 'table'],
};

/** EdgeLake's get_policy_type: the only key of a one-key dict, else undefined. */
export function policyType(policy: PyValue | undefined): string | undefined {
  if (!isDict(policy) || policy.size !== 1) return undefined;
  return policy.keys().next().value;
}

/** The inner object of a policy (`policy[type]`) when it is a dict. */
export function policyInner(policy: PyValue | undefined): PyDict | undefined {
  const type = policyType(policy);
  if (type === undefined) return undefined;
  const inner = (policy as PyDict).get(type);
  return isDict(inner) ? inner : undefined;
}

function structureError(policy: PyValue): CommandError {
  // EdgeLake: "Error in 'blockchain insert': wrong policy '<type>' structure" (member_cmd.py L10401).
  const type = isDict(policy) ? ([...policy.keys()][0] ?? '') : '';
  return new CommandError(`Error in 'blockchain insert': wrong policy '${type}' structure`, {
    code: Status.CommandStructure,
  });
}

const md5 = (text: string): string => createHash('md5').update(text, 'utf8').digest('hex');

/**
 * The md5 id EdgeLake computes for a policy, ignoring its `id`, `date` and `ledger` keys.
 * Throws CommandError (code 2) unless the policy is `{"<type>": {...}}`.
 */
export function computePolicyId(policy: Policy): string {
  const type = policyType(policy);
  const inner = policyInner(policy);
  if (type === undefined || inner === undefined) throw structureError(policy);
  const fields = HASH_FIELDS[type];
  if (fields) {
    let text = `${type}:`;
    for (const f of fields) {
      const v = inner.get(f);
      if (v !== undefined) text += `${f}:${pyStr(v)}:`;
    }
    return md5(text);
  }
  const body = new Map([...inner].filter(([k]) => k !== 'id' && k !== 'date' && k !== 'ledger'));
  return md5(pyStr(new Map([[type, body]])));
}

/** The policy's id: the one it carries, else the one EdgeLake would give it. */
export function policyId(policy: Policy): string {
  const id = policyInner(policy)?.get('id');
  return id !== undefined ? pyStr(id) : computePolicyId(policy);
}

/** `YYYY-MM-DDTHH:MM:SS.ffffffZ` in UTC (utils_columns.get_current_utc_time); `subMs` (0-999) gives the microsecond digits below the millisecond. */
export function utcTimestamp(d: Date, subMs = 0): string {
  const iso = d.toISOString(); // 2026-11-24T03:02:12.636Z
  return `${iso.slice(0, 23)}${String(subMs).padStart(3, '0').slice(-3)}Z`;
}

/**
 * add_json_id_date on a copy: sets `id`, `date` (`now` when missing) and `ledger` as the last keys.
 * `now` is a Date or an already formatted timestamp. Throws CommandError (code 2) on a malformed policy.
 */
export function completePolicy(policy: Policy, now: Date | string): Policy {
  const type = policyType(policy);
  if (type === undefined || policyInner(policy) === undefined) throw structureError(policy);
  const out = clone(policy) as Policy;
  const inner = out.get(type) as PyDict;
  const withId = inner.has('id');
  let date: PyValue;
  if (inner.has('date')) {
    if (withId) return out;
    date = inner.get('date')!;
    inner.delete('date');
  } else date = typeof now === 'string' ? now : utcTimestamp(now);
  const ledger = inner.get('ledger');
  inner.delete('ledger');
  if (!withId) inner.set('id', computePolicyId(out));
  inner.set('date', date);
  // EdgeLake restores the ledger only when truthy (`if policy_ledger:`).
  if (ledger !== undefined && truthy(ledger)) inner.set('ledger', ledger);
  return out;
}
