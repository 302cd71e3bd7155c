// The members of this node's cluster, as the HA processes see them (seed 003 "HA Process": "it is delivered to all
// the Operator nodes that are associated with the cluster"), from the node's metadata:
//   this node   the operator policy whose ip:port (or local_ip:local_port) is this node's TCP address
//   cluster     `cluster_id` when given, else this node's operator policy's `cluster`
//   peers       the other operator policies whose `cluster` is that id, dialled at their policy address
//               (protocols/policy/address.ts, EdgeLake's get_valid_ip_port)
// Read from the node's ledger store opened read-only in the worker (storage/metadata/store.ts), so a member
// published or removed at the master is seen at the next scan after the synchronizer brought it.
import type { NodeIdentity } from '../../node/messages.js';
import { validIpPorts, type NodeAddress } from '../../protocols/policy/address.js';
import { policyInner } from '../../protocols/policy/id.js';
import { pyStr } from '../../protocols/policy/pyrepr.js';
import { numberOf, type Policy } from '../../protocols/policy/pyvalue.js';
import type { LedgerStore } from '../../storage/metadata/store.js';
import { policyAddressOf } from '../../node/connections.js';

/** A cluster member (an operator policy). */
export interface Member {
  /** The operator policy id. */
  id: string;
  name: string;
  /** The policy's `member` (the tsd_<member> of its files), -1 when it has none. */
  member: number;
  /** `ip:port` this node dials. */
  address: string;
}

export type ClusterView =
  { ok: true; cluster: string; self: Member | undefined; peers: Member[] } | { ok: false; error: string };

/** This node's addresses as the policy layer wants them; undefined without a TCP server. */
export function selfAddress(ident: NodeIdentity): NodeAddress | undefined {
  return policyAddressOf(ident.connections['TCP']);
}

const text = (p: Policy, key: string): string => {
  const v = policyInner(p)?.get(key);
  return v === undefined || v === null ? '' : pyStr(v);
};

/** The ip:port pairs a policy names (`ip:port`, `local_ip:local_port`). */
function policyAddresses(p: Policy): string[] {
  const port = text(p, 'port');
  const localPort = text(p, 'local_port') || port;
  const out: string[] = [];
  if (text(p, 'ip') && port) out.push(`${text(p, 'ip')}:${port}`);
  if (text(p, 'local_ip') && localPort) out.push(`${text(p, 'local_ip')}:${localPort}`);
  return out;
}

function toMember(p: Policy, node: NodeAddress | undefined): Member {
  const m = numberOf(policyInner(p)?.get('member'));
  return {
    id: text(p, 'id'),
    name: text(p, 'name'),
    member: m !== undefined && Number.isInteger(m) ? m : -1,
    address: validIpPorts([p], node).split(',')[0] ?? '',
  };
}

/** The operator policy of this node (its TCP address), if published. */
export function selfPolicy(store: LedgerStore, ident: NodeIdentity): Policy | undefined {
  const tcp = ident.connections['TCP'];
  if (!tcp) return undefined;
  const mine = new Set([tcp.external, tcp.internal]);
  return store.policies(['operator']).find((p) => policyAddresses(p).some((a) => mine.has(a)));
}

export function clusterView(store: LedgerStore, ident: NodeIdentity, clusterId: string | undefined): ClusterView {
  const node = selfAddress(ident);
  const own = selfPolicy(store, ident);
  const cluster = clusterId ?? (own ? text(own, 'cluster') : '');
  if (cluster === '') {
    return {
      ok: false,
      error: own
        ? `the operator policy of this node (${text(own, 'id')}) has no cluster: give cluster_id`
        : `no operator policy names this node's TCP address (${ident.connections['TCP']?.external ?? 'no TCP server'}): give cluster_id or publish the policy`,
    };
  }
  const self = own && text(own, 'cluster') === cluster ? toMember(own, node) : undefined;
  const peers = store
    .find('operator', 'cluster', cluster)
    .filter((p) => !own || text(p, 'id') !== text(own, 'id'))
    .map((p) => toMember(p, node))
    .filter((m) => m.address !== '');
  return { ok: true, cluster, self, peers };
}
