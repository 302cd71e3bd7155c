// The REST service as the node sees it: `get rest server info|calls|pool`, its `get processes`
// details (`Listening on: 127.0.0.1:32149, Threads Pool: 5, Timeout: 20, SSL: False`) and its row in
// `get connections`.
import { formatTable } from '../../protocols/format/table.js';
import { whereObject } from '../../node/commands/args.js';
import {
  actorEntry,
  type CommandSpec,
  type NodeApi,
  type ServiceDescriptor,
  runningInstance,
} from '../../node/service.js';
import { restServerSchema } from './config.js';
import { REST_SERVER, type RestIn } from './messages.js';
import type { AskMessage, ReplyOf } from '../../runtime/address.js';

const KIND = 'rest-server';

function running(node: NodeApi): string | undefined {
  return runningInstance(node, KIND)?.id;
}

/** The running REST server's answer, undefined when it does not run. */
async function ask<T extends RestIn['type']>(
  node: NodeApi,
  msg: AskMessage<RestIn, T>,
): Promise<ReplyOf<RestIn, T> | undefined> {
  return running(node) ? node.ask(REST_SERVER, msg) : undefined;
}

const info: CommandSpec = {
  words: ['get', 'rest', 'server', 'info'],
  method: 'get',
  usage: 'get rest server info',
  async run(_inv, node) {
    const i = await ask(node, { type: 'rest.info' });
    if (!i) return 'REST server not running';
    return formatTable(
      ['Attribute', 'Value'],
      [
        ['connection', i.connection],
        ['timeout', i.timeout],
        ['is_ssl', i.ssl],
        ['is_bind', i.bind],
        ['workers_count', i.threads],
        ['cors', i.cors.join(', ')],
        ['refused_auth', i.refused.auth],
        ['refused_browser', i.refused.browser],
      ],
    );
  },
};

const calls: CommandSpec = {
  words: ['get', 'rest', 'calls'],
  method: 'get',
  usage: 'get rest calls',
  async run(_inv, node) {
    return (await ask(node, { type: 'rest.calls' })) ?? 'REST server not running';
  },
};

const pool: CommandSpec = {
  words: ['get', 'rest', 'pool'],
  method: 'get',
  usage: 'get rest pool [where details = true]',
  async run(inv, node) {
    const details = String(whereObject(inv, node)['details'] ?? 'false').toLowerCase() === 'true';
    return (await ask(node, { type: 'rest.pool', details })) ?? 'REST server not running';
  },
};

export const restServerService: ServiceDescriptor = {
  kind: KIND,
  process: 'REST',
  run: [['rest', 'server']],
  exit: ['rest'],
  yaml: 'rest_server',
  schema: restServerSchema,
  entry: actorEntry(import.meta.url),
  positional: ['external_ip', 'external_port'],
  restart: 'permanent',
  shutdownMs: 3000,
  consumes: [],
  async details(instances, node) {
    const i = instances[0] ? await node.ask(REST_SERVER, { type: 'rest.info' }, 2000) : undefined;
    if (!i) return '';
    return `Listening on: ${i.address}:${i.port}, Threads Pool: ${i.threads}, Timeout: ${i.timeout}, SSL: ${i.ssl ? 'True' : 'False'}`;
  },
  async afterStart(inst, node) {
    const i = await node.ask(REST_SERVER, { type: 'rest.info' }, 5000);
    const cfg = inst.config as { external_ip?: string; external_port?: number };
    const local = `${i.address}:${i.port}`;
    node.connections.register('REST', {
      external: `${cfg.external_ip ?? i.address}:${cfg.external_port ?? i.port}`,
      internal: local,
      bind: local,
    });
  },
  commands: [info, calls, pool],
};
