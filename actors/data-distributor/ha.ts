// `run ha [where ...]` and `exit ha` (seed 004: "The HA process. Activated by the command run ha ... Delivers data
// files processed by the local node to a standby node or nodes"). AnyLog gives no options for it; here it starts
// both halves of HA for this node's cluster: the data distributor (pushes this node's new files to the other
// members) and the data consumer (pulls what this node lacks), each unless it already runs. The options are those
// of `run data distributor` and `run data consumer` (cluster_id goes to both); start_date defaults to -3d, the
// seed's example. `exit ha` stops both.
import { CommandError } from '../../base/errors.js';
import { whereObject, withKeyPositions } from '../../node/commands/args.js';
import { schema, str } from '../../runtime/config/schema.js';
import type { CommandSpec, NodeApi, ServiceDescriptor } from '../../node/service.js';
import { Status } from '../../base/status.js';

const KINDS = ['data-distributor', 'data-consumer'] as const;

function services(node: NodeApi): ServiceDescriptor[] {
  return KINDS.map((k) => {
    const d = node.service(k);
    if (!d) throw new CommandError(`run ha: the service '${k}' is not registered`, { code: Status.CommandStructure });
    return d;
  });
}

const pick = (raw: Record<string, unknown>, desc: ServiceDescriptor): Record<string, unknown> =>
  Object.fromEntries(Object.entries(raw).filter(([k]) => k in desc.schema.shape));

export const runHa: CommandSpec = {
  words: ['run', 'ha'],
  method: 'post',
  usage:
    'run ha [where cluster_id = .. and start_date = -3d and end_date = .. and mode = active|suspend and distr_dir = .. and archive_dir = ..]',
  async run(inv, node) {
    const raw = whereObject(inv, node);
    const [distributor, consumer] = services(node);
    // The options are the two services' own (looked up in the registry, not imported from a neighbour's folder).
    const haSchema = schema('ha', { ...distributor!.schema.shape, ...consumer!.schema.shape, start_date: str('-3d') });
    withKeyPositions(inv.where, () => haSchema.parse(raw, 'run ha'));
    const todo = [distributor!, consumer!].filter((d) => node.instances(d.kind).length === 0);
    if (todo.length === 0)
      throw new CommandError('HA is already running (use exit ha first)', { code: Status.ProcessAlreadyRunning });
    for (const d of todo) {
      const opts = pick(raw, d);
      if (d.kind === 'data-consumer' && opts['start_date'] === undefined) opts['start_date'] = '-3d';
      await node.startService(d, opts, inv.env);
    }
    return '';
  },
};

export const exitHa: CommandSpec = {
  words: ['exit', 'ha'],
  method: 'post',
  usage: 'exit ha',
  async run(_inv, node) {
    const ids = services(node).flatMap((d) => node.instances(d.kind).map((i) => i.id));
    if (ids.length === 0) return 'HA is not running';
    for (const id of ids.reverse()) await node.stopService(id, 'exit ha');
    return '';
  },
};
