// Which operators take a table's files (seed 003 "Publisher Process"; EdgeLake blockchain/metadata.py keeps the same
// map for queries: table -> clusters ("distribution") -> operators, with a round robin over the clusters):
//   0. the node's `set data distribution` rules (data-distribution.ts): each destination of the matching rule is a
//      group of its own, so the files go round robin over them
//   1. `distribution` policies naming the table (or every table of the dbms) and the operators to use:
//        {"distribution": {"dbms": "<dbms>", "table": "<table>", "operator": "<operator id>" | ["<id>", ..]}}
//      (AnyLog documents the policy type but not its fields: this shape is edgelake-rt's)
//   2. else the clusters whose `table` list has {dbms, name} (a child cluster counts for its `parent`), then the
//      operators whose `cluster` is one of them; with `company`, only clusters of that company
// Read from the node's ledger store (storage/metadata/store.ts) through its indexes: the cluster `table` field
// and the operator `cluster` field.
import { validIpPorts, type NodeAddress } from '../../protocols/policy/address.js';
import { policyInner } from '../../protocols/policy/id.js';
import { pyStr } from '../../protocols/policy/pyrepr.js';
import type { Policy } from '../../protocols/policy/pyvalue.js';
import type { LedgerStore } from '../../storage/metadata/store.js';
import { ruleFor, type DistributionRule } from './distribution-rules.js';

export interface Destination {
  /** `ip:port` of the operator's TCP server. */
  address: string;
  /** The operator policy's name (for logs). */
  name: string;
}

const text = (p: Policy | undefined, key: string): string => {
  const v = policyInner(p)?.get(key);
  return v === undefined || v === null ? '' : pyStr(v);
};

function destinations(operators: readonly Policy[], self: NodeAddress | undefined): Destination[] {
  const out: Destination[] = [];
  for (const op of operators) {
    const address = validIpPorts([op], self);
    if (address !== '' && !out.some((d) => d.address === address)) out.push({ address, name: text(op, 'name') });
  }
  return out;
}

function byDistribution(store: LedgerStore, dbms: string, table: string, self: NodeAddress | undefined): Destination[] {
  const ops: Policy[] = [];
  for (const d of store.find('distribution', 'dbms', dbms)) {
    const t = text(d, 'table');
    if (t !== '' && t !== '*' && t.toLowerCase() !== table.toLowerCase()) continue;
    const ref = policyInner(d)?.get('operator');
    for (const id of Array.isArray(ref) ? ref : ref === undefined ? [] : [ref]) {
      const op = store.byId(pyStr(id));
      if (op && op.has('operator')) ops.push(op);
    }
  }
  return destinations(ops, self);
}

/**
 * The operators for `dbms.table`, as groups (one per cluster, in ledger order): the publisher sends a file to one
 * operator of one group. Empty when the metadata names none.
 */
export function operatorGroups(
  store: LedgerStore,
  dbms: string,
  table: string,
  company: string | undefined,
  self: NodeAddress | undefined,
  rules?: readonly DistributionRule[],
): Destination[][] {
  const rule = ruleFor(rules, dbms, table);
  if (rule) return rule.dest.map((address) => [{ address, name: 'set data distribution' }]);
  const distributed = byDistribution(store, dbms, table, self);
  if (distributed.length > 0) return [distributed];
  const clusters: string[] = [];
  for (const c of store.find('cluster', 'table', `${dbms}.${table}`)) {
    const root = text(c, 'parent') || text(c, 'id');
    const rootPolicy = store.byId(root) ?? c;
    if (company !== undefined && text(rootPolicy, 'company').toLowerCase() !== company.toLowerCase()) continue;
    if (root !== '' && !clusters.includes(root)) clusters.push(root);
  }
  return clusters.map((id) => destinations(store.find('operator', 'cluster', id), self)).filter((g) => g.length > 0);
}
