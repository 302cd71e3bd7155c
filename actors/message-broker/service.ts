// The MSG Broker service on the main thread:
//   run message broker where external_ip = .. and external_port = .. [and internal_ip/internal_port/bind/threads]
//   run message broker <ip> <port> [<local ip> <local port>] [<threads>]
//   get local broker        event counters (Message Broker Stat)
//   exit broker
// `get processes` shows `Listening on: <external>[ and <internal>], Threads Pool: N` (EdgeLake
// message_server.get_info), `get connections` its addresses in the `Messaging` row.
import { CommandError } from '../../base/errors.js';
import { argWords } from '../../node/commands/args.js';
import {
  actorEntry,
  type CommandSpec,
  type NodeApi,
  type ServiceDescriptor,
  runningInstance,
} from '../../node/service.js';
import { messageBrokerSchema, type MessageBrokerConfig } from './config.js';
import { MESSAGE_BROKER } from './messages.js';
import { Status } from '../../base/status.js';
import type { ConnectionName } from '../../node/connections.js';

const KIND = 'message-broker';
const CONNECTION: ConnectionName = 'Messaging';

function running(node: NodeApi): string | undefined {
  return runningInstance(node, KIND)?.id;
}

const getLocalBroker: CommandSpec = {
  words: ['get', 'local', 'broker'],
  method: 'get',
  usage: 'get local broker',
  async run(inv, node) {
    if (inv.args.length > 0 || inv.where)
      throw new CommandError(`get local broker: unexpected '${argWords(inv, node)[0] ?? 'where'}'`, {
        code: Status.CommandStructure,
      });
    const id = running(node);
    if (!id) return '\r\nMessage Broker is not running';
    return node.ask(MESSAGE_BROKER, { type: 'broker.stats' }, 5000);
  },
};

const exitBroker: CommandSpec = {
  words: ['exit', 'broker'],
  method: 'post',
  usage: 'exit broker',
  async run(inv, node) {
    if (inv.args.length > 0)
      throw new CommandError(
        `Process name 'exit broker ${argWords(inv, node).join(' ')}' in 'exit' command is not valid`,
        { code: Status.CommandStructure },
      );
    const all = node.instances(KIND);
    for (const i of all) await node.stopService(i.id, 'exit broker');
    node.connections.unregister(CONNECTION);
    return all.length === 0 ? 'MSG Broker is not running' : '';
  },
};

export const messageBrokerService: ServiceDescriptor = {
  kind: KIND,
  process: 'MSG Broker',
  run: [['message', 'broker']],
  exit: ['broker'],
  yaml: 'message_broker',
  schema: messageBrokerSchema,
  entry: actorEntry(import.meta.url),
  positional: ['external_ip', 'external_port', 'internal_ip', 'internal_port', 'threads'],
  idleDetails: 'No active connection',
  restart: 'permanent',
  shutdownMs: 5000,
  mailboxCapacity: 1024,
  async details(instances, node) {
    const i = instances[0] ? await node.ask(MESSAGE_BROKER, { type: 'broker.info' }, 2000) : undefined;
    const c = node.connections.get(CONNECTION);
    if (!i || !c) return 'No active connection';
    const listen = c.external === c.internal ? c.external : `${c.external} and ${c.internal}`;
    return `Listening on: ${listen}, Threads Pool: ${i.threads}`;
  },
  async afterStart(inst, node) {
    const i = await node.ask(MESSAGE_BROKER, { type: 'broker.info' }, 5000);
    const cfg = inst.config as MessageBrokerConfig;
    const local = `${cfg.internal_ip ?? cfg.external_ip ?? i.address}:${i.port}`;
    const bind = `${i.address}:${i.port}`;
    node.connections.register(CONNECTION, {
      external: `${cfg.external_ip ?? i.address}:${cfg.external_port || i.port}`,
      internal: local,
      bind,
    });
  },
  commands: [getLocalBroker, exitBroker],
};
