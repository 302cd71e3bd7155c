// The gRPC service as the node sees it (EdgeLake grpc_client.py, member_cmd.py L8923-9046):
//   run grpc client where name = .. and ip = .. and port = .. [and policy = ..] ...   (one actor per name;
//                        a second client with an active name is refused, as EdgeLake does)
//   get grpc client[s] [where format = json]     `No active gRPC clients`, or one row per client:
//                        Name (ID)|Status|Connection|Proto Name|Request Msg|Policy Type|Policy Name|Policy ID|
//                        Data Msgs|Timeouts|Error, then edgelake-rt's Rows|Bad Msgs|Reconnects
//   exit grpc [<name>|all]
// `get processes` Details: `connected to <n> gRPC servers`.
import { CommandError } from '../../base/errors.js';
import { argWords, formatOf, withKeyPositions } from '../../node/commands/args.js';
import { runOptions } from '../../node/commands/builtin/services.js';
import { formatTable, pyJson } from '../../protocols/format/table.js';
import {
  actorEntry,
  type CommandSpec,
  type NodeApi,
  type ServiceDescriptor,
  type ServiceInstance,
} from '../../node/service.js';
import { grpcClientSchema } from './config.js';
import { grpcClientAt, type GrpcStatus } from './messages.js';
import { Status } from '../../base/status.js';

const KIND = 'grpc-client';
const nameOf = (i: ServiceInstance): string => String(i.config['name'] ?? i.id);

async function statuses(node: NodeApi): Promise<GrpcStatus[]> {
  const out: GrpcStatus[] = [];
  for (const i of node.instances(KIND)) {
    if (i.status === 'running') out.push(await node.ask(grpcClientAt(i.id), { type: 'grpc.status' }, 5000));
    else {
      const c = i.config as {
        name?: string;
        ip?: string;
        port?: number;
        proto?: string;
        request?: string;
        policy?: string;
      };
      const status = i.status === 'failed' ? 'Terminated (Error)' : 'Reconnecting';
      out.push({
        name: nameOf(i),
        status,
        connection: `${c.ip}:${c.port}`,
        proto: c.proto ?? '',
        request: c.request ?? '',
        policyType: c.policy ? 'mapping' : '',
        policyName: '',
        policyId: c.policy ?? '',
        dataMsgs: 0,
        timeouts: 0,
        error: i.error ?? `worker ${i.status}`,
        rows: 0,
        badMsgs: 0,
        reconnects: 0,
      });
    }
  }
  return out;
}

function getClients(words: string[]): CommandSpec {
  return {
    words,
    method: 'get',
    usage: 'get grpc clients [where format = json]',
    async run(inv, node) {
      const format = formatOf(inv, node);
      const list = await statuses(node);
      if (format === 'json') return pyJson(list);
      if (list.length === 0) return 'No active gRPC clients';
      return formatTable(
        [
          'Name (ID)',
          'Status',
          'Connection',
          'Proto Name',
          'Request Msg',
          'Policy Type',
          'Policy Name',
          'Policy ID',
          'Data Msgs',
          'Timeouts',
          'Error',
          'Rows',
          'Bad Msgs',
          'Reconnects',
        ],
        list.map((s) => [
          s.name,
          s.status,
          s.connection,
          s.proto,
          s.request,
          s.policyType,
          s.policyName,
          s.policyId,
          s.dataMsgs,
          s.timeouts,
          s.error,
          s.rows,
          s.badMsgs,
          s.reconnects,
        ]),
      );
    },
  };
}

const run: CommandSpec = {
  words: ['run', 'grpc', 'client'],
  method: 'post',
  usage:
    'run grpc client where name = .. and ip = .. and port = .. and policy = .. [and grpc_dir = .. and proto = .. and function = .. and service = .. and request = .. and response = .. and value = (..)]',
  async run(inv, node) {
    const desc = node.service(KIND)!;
    const raw = runOptions(desc, inv, node);
    const cfg = withKeyPositions(inv.where, () => grpcClientSchema.parse(raw, 'run grpc client'));
    const taken = node.instances(KIND).find((i) => nameOf(i) === cfg.name);
    // EdgeLake error 'NETWORK_CONNECTION_FAILED': "Failed to subscribe ... as connection is already active".
    if (taken)
      throw new CommandError(
        `Failed to subscribe to '${cfg.ip}:${cfg.port}' with '${cfg.name}' as connection is already active`,
        { code: Status.CommandStructure },
      );
    await node.startService(desc, raw, inv.env);
    return '';
  },
};

const exit: CommandSpec = {
  words: ['exit', 'grpc'],
  method: 'post',
  usage: 'exit grpc [<name>|all]',
  async run(inv, node) {
    const [which, extra] = argWords(inv, node);
    if (extra !== undefined)
      throw new CommandError(`exit grpc: one name at most (got '${extra}')`, { code: Status.CommandStructure });
    const all = node.instances(KIND);
    const targets =
      which === undefined || which === 'all' ? all : all.filter((i) => nameOf(i) === which || i.id === which);
    // EdgeLake gRPC_wrong_connect_info for an unknown name.
    if (which !== undefined && which !== 'all' && targets.length === 0)
      throw new CommandError(`exit grpc: no gRPC client named '${which}'`, { code: Status.MqttWrongClientId });
    if (targets.length === 0) return 'gRPC is not running';
    for (const t of targets) await node.stopService(t.id, `exit grpc ${nameOf(t)}`);
    return '';
  },
};

export const grpcClientService: ServiceDescriptor = {
  kind: KIND,
  process: 'gRPC',
  run: [['grpc', 'client']],
  exit: ['grpc'],
  yaml: 'grpc_client',
  schema: grpcClientSchema,
  entry: actorEntry(import.meta.url),
  multi: true,
  restart: 'permanent',
  shutdownMs: 5000,
  consumes: [],
  details(instances) {
    return instances.length > 0 ? `connected to ${instances.length} gRPC servers` : '';
  },
  commands: [run, exit, getClients(['get', 'grpc', 'clients']), getClients(['get', 'grpc', 'client'])],
};
