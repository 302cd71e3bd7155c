// The operator's policy (EdgeLake member_cmd.py run_operator L11856-11875, members/aloperator.py assign_table
// L880-1000, dbms/create_table.py L78-250), read through the node's metadata:
//   at start   `policy = <id>` must name one operator policy (else 113 / 215); its `member` is the tsd_name of the
//              rows this operator inserts, its `cluster` the cluster its tables join
//   per table  (once, before the table's first rows) a table this operator just created gets its policy
//              {"table": {"name", "dbms", "create", "source": "Processing JSON file"}}, and a table not yet in the
//              cluster (the cluster or a child of it lists {dbms, name}) is added with a child cluster policy
//              {"cluster": {"parent": <cluster id>, "name", "company", "table": [{"dbms", "name"}],
//              "source": "Node at <ip>:<port>"}}; with `master_node` both go to the master too
// Without a policy the operator runs standalone (member 0, no metadata), which EdgeLake does not allow.
import type { ActorContext } from '../../runtime/actor.js';
import { CommandError, DbmsError, errorMessage } from '../../base/errors.js';
import { NODE, type NodeIn } from '../../node/messages.js';
import { publishedCreate, type TableSpec } from '../../storage/schema/ddl.js';
import { TableError, type TableHook } from './catalog.js';
import { Status } from '../../base/status.js';

export interface OperatorPolicy {
  id: string;
  /** 0 when the policy has none. */
  member: number;
  cluster: string | undefined;
  clusterName: string;
  company: string;
}

type Inner = Record<string, unknown>;

async function query(ctx: ActorContext, text: string): Promise<Inner[]> {
  const reply = await ctx.ask(NODE, { type: 'node.command', text, source: 'operator' });
  if (reply.trim() === '') return [];
  const list = JSON.parse(reply) as Record<string, Inner>[];
  return list.map((p) => Object.values(p)[0] ?? {});
}

const str = (v: unknown): string => (v === undefined || v === null ? '' : String(v));

export async function loadOperatorPolicy(ctx: ActorContext, id: string): Promise<OperatorPolicy> {
  const found = await query(ctx, `blockchain get operator where id = ${id}`);
  if (found.length === 0)
    throw new CommandError(`Missing Operator policy with ID '${id}'`, { code: Status.NeededPolicyNotAvailable });
  if (found.length > 1)
    throw new CommandError(`Multiple Operator policies with identical IDs: '${id}'`, { code: Status.NonUniquePolicy });
  const op = found[0]!;
  const cluster = op['cluster'] === undefined ? undefined : str(op['cluster']);
  const member = Number(op['member'] ?? 0);
  let clusterName = '';
  let company = str(op['company']);
  if (cluster !== undefined) {
    const c = (await query(ctx, `blockchain get cluster where id = ${cluster}`))[0];
    if (c) {
      clusterName = str(c['name']);
      company = str(c['company']) || company;
    }
  }
  return { id, member: Number.isInteger(member) ? member : 0, cluster, clusterName, company };
}

function inCluster(clusters: Inner[], cluster: string, dbms: string, table: string): boolean {
  return clusters.some(
    (c) =>
      (str(c['id']) === cluster || str(c['parent']) === cluster) &&
      Array.isArray(c['table']) &&
      (c['table'] as Inner[]).some((t) => str(t['dbms']) === dbms && str(t['name']) === table),
  );
}

/** The catalog hook of an operator with a policy. */
export function tableOwner(ctx: ActorContext, pol: OperatorPolicy, masterNode: string | undefined): TableHook {
  const insert = async (policy: unknown): Promise<void> => {
    const msg: NodeIn = {
      type: 'node.policy.insert',
      policy: JSON.stringify(policy),
      ...(masterNode ? { master: masterNode } : {}),
    };
    await ctx.ask(NODE, msg);
  };
  const assign = async (
    dbms: string,
    table: string,
    created: TableSpec | undefined,
    cluster: string,
  ): Promise<void> => {
    if (created && (await query(ctx, `blockchain get table where dbms = ${dbms} and name = ${table}`)).length === 0) {
      try {
        await insert({
          table: { name: table, dbms, create: publishedCreate(created), source: 'Processing JSON file' },
        });
        ctx.log.info('table policy published', { dbms, table });
      } catch (err) {
        // The rows go in all the same; the table is still added to the cluster below.
        ctx.log.error('table policy not published', { dbms, table, error: errorMessage(err) });
      }
    }
    if (inCluster(await query(ctx, 'blockchain get cluster'), cluster, dbms, table)) return;
    const ident = await ctx.ask(NODE, { type: 'node.identity' });
    const source = ident.connections['TCP']?.external ?? ident.identity.slice(ident.identity.indexOf('@') + 1);
    try {
      await insert({
        cluster: {
          parent: cluster,
          name: pol.clusterName,
          company: pol.company,
          table: [{ dbms, name: table }],
          source: `Node at ${source}`,
        },
      });
      ctx.log.info('table added to the cluster', { dbms, table, cluster });
    } catch (err) {
      // Another operator of the cluster added it first (same child policy id): the table is in the cluster.
      if (err instanceof CommandError && err.code === Status.DuplicateObjectId) return;
      ctx.log.error('table not added to the cluster', { dbms, table, error: errorMessage(err) });
    }
  };
  return async (dbms: string, table: string, created: TableSpec | undefined) => {
    if (pol.cluster === undefined)
      throw new TableError(
        `No cluster assigned to operator (policy ${pol.id}): table '${dbms}.${table}' is not assigned`,
        { code: Status.NoClusterAssigned },
      );
    try {
      await assign(dbms, table, created, pol.cluster);
    } catch (err) {
      // The node did not answer: the rows wait (files stay, batches stay in the journal) and this runs again.
      throw new DbmsError(`metadata not reachable for '${dbms}.${table}': ${errorMessage(err)}`, {
        retriable: true,
        cause: err,
      });
    }
  };
}
