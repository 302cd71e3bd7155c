// The operators that answer a query on a table, from the metadata (EdgeLake member_cmd.resolve_destination
// L2867-2949, metadata.get_operators; blockchain.get_operators_objects without clusters):
//   table -> the clusters whose `table` list names {dbms, name} (a child cluster stands for its `parent`)
//         -> the operators whose `cluster` is one of them; an operator without a cluster that names the dbms
//            and table itself (`dbms`, `table`) is a cluster of its own
//   one operator per cluster (`nodes = main`, the default): the one marked `main`, else in turn (round robin);
//   the others of the cluster follow as fallbacks when it cannot be reached. `nodes = all`: every operator.
//   `include = (t2, dbms2.t3)`: the operators of those tables too (an operator is asked once).
// Address: the operator's `ip` and `port` (EdgeLake's external address).
import { CommandError } from '../../base/errors.js';
import { Status } from '../../base/status.js';
import type { Target } from '../../peer/destinations.js';

type Inner = Record<string, unknown>;

/** Reads policies of one type (`blockchain get <type>` through the node). */
export type PolicyReader = (type: string) => Promise<Inner[]>;

const str = (v: unknown): string => (v === undefined || v === null ? '' : String(v));

function clusterTables(c: Inner): { dbms: string; name: string }[] {
  const t = c['table'];
  if (!Array.isArray(t)) return [];
  return (t as Inner[]).map((x) => ({ dbms: str(x['dbms']).toLowerCase(), name: str(x['name']).toLowerCase() }));
}

function targetOf(op: Inner): Target | undefined {
  const ip = str(op['ip']) || str(op['local_ip']);
  const port = Number(op['port'] ?? op['local_port']);
  if (!ip || !Number.isInteger(port) || port <= 0 || port > 65535) return undefined;
  return { ip, port, label: `${ip}:${port}` };
}

/** Round robin position per cluster: owned by the node that asks (one instance per node). */
export class OperatorChooser {
  private readonly turns = new Map<string, number>();

  /** The cluster's operators, the one to ask first at the head. */
  order(cluster: string, ops: readonly Inner[]): Inner[] {
    const main = ops.findIndex((o) => o['main'] === true || str(o['main']).toLowerCase() === 'true');
    if (main >= 0) return [ops[main]!, ...ops.filter((_, i) => i !== main)];
    const turn = this.turns.get(cluster) ?? 0;
    this.turns.set(cluster, turn + 1);
    const at = turn % ops.length;
    return [...ops.slice(at), ...ops.slice(0, at)];
  }
}

export interface TableRef {
  dbms: string;
  table: string;
}

/**
 * The operators to ask for `tables`: one entry per cluster, candidates in order (all of them as separate
 * entries with `all`). Throws error 20 (EdgeLake's Failed to retrieve operators) when none is found.
 */
export async function operatorsFor(
  read: PolicyReader,
  tables: readonly TableRef[],
  chooser: OperatorChooser,
  all: boolean,
): Promise<Target[][]> {
  const want = tables.map((t) => ({ dbms: t.dbms.toLowerCase(), name: t.table.toLowerCase() }));
  const hit = (x: { dbms: string; name: string }): boolean => want.some((w) => w.dbms === x.dbms && w.name === x.name);
  const clusters = await read('cluster');
  const ids = new Set<string>();
  for (const c of clusters) {
    if (!clusterTables(c).some(hit)) continue;
    ids.add(str(c['parent']) || str(c['id']));
  }
  const operators = await read('operator');
  const groups = new Map<string, Inner[]>();
  for (const op of operators) {
    const cl = str(op['cluster']);
    let key: string | undefined;
    if (cl && ids.has(cl)) key = cl;
    else if (!cl && hit({ dbms: str(op['dbms']).toLowerCase(), name: str(op['table']).toLowerCase() }))
      key = `operator:${str(op['id'])}`;
    if (key === undefined || !targetOf(op)) continue;
    const g = groups.get(key) ?? [];
    g.push(op);
    groups.set(key, g);
  }
  const out: Target[][] = [];
  const seen = new Set<string>();
  for (const [cluster, ops] of groups) {
    const ordered = chooser.order(cluster, ops).map((o) => targetOf(o)!);
    if (all) {
      for (const t of ordered) {
        if (seen.has(t.label)) continue;
        seen.add(t.label);
        out.push([t]);
      }
      continue;
    }
    const fresh = ordered.filter((t) => !seen.has(t.label));
    if (fresh.length === 0) continue;
    seen.add(fresh[0]!.label);
    out.push(fresh);
  }
  if (out.length === 0)
    throw new CommandError(
      `Failed to retrieve operators using keys: ${tables.map((t) => `dbms=${t.dbms}, table=${t.table}`).join('; ')}`,
      { code: Status.DestinationIpPorts },
    );
  return out;
}
