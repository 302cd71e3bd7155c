// The SMTP service on the main thread (EdgeLake generic/utils_output.py, cmd/member_cmd.py L21505-21540):
//   run smtp client where [host = ..] [and port = ..] and email = .. and password = .. [and ssl = true|false]
//   email to <address>[,<address>] [where subject = .. and message = .. [and message = ..]]
//   sms to <phone> where gateway = <sms gateway> [and subject = ..] [and message = ..]
//   get smtp client
//   exit smtp
// `get processes` shows EdgeLake's `Using '<host>' with email: '<email>'`. The login is checked when
// the service starts (afterStart), so a wrong password fails `run smtp client` with the server's reason,
// as EdgeLake's start_smtp_connection does; the service is then removed and the node goes on.
import { CommandError, errorMessage } from '../../base/errors.js';
import { argWords, whereObject, withKeyPositions } from '../../node/commands/args.js';
import { formatTable } from '../../protocols/format/table.js';
import { repeated, required, schema, str } from '../../runtime/config/schema.js';
import {
  actorEntry,
  type CommandSpec,
  type Invocation,
  type NodeApi,
  type ServiceDescriptor,
  type ServiceInstance,
} from '../../node/service.js';
import { smtpClientSchema, type SmtpClientConfig } from './config.js';
import { SMTP_CLIENT, type SmtpIn } from './messages.js';
import { Status } from '../../base/status.js';
import type { AskMessage, ReplyOf } from '../../runtime/address.js';

const KIND = 'smtp-client';
/** EdgeLake process_status.ERR_process_failure. */
const PROCESS_FAILURE = 3;
const DEFAULT_SUBJECT = 'AnyLog Alert';

const emailSchema = schema('email', { subject: str(), message: repeated(str()) });
const smsSchema = schema('sms', { gateway: required(str()), subject: str(), message: str() });

const ADDRESS = /^[^\s@,;:<>()"'\\]+@[^\s@,;:<>()"'\\]+$/;
const PHONE = /^\+?\d[\d-]{2,30}$/;
const GATEWAY = /^[A-Za-z0-9][A-Za-z0-9.-]*$/;

function running(node: NodeApi): ServiceInstance | undefined {
  return node.instances(KIND).find((i) => i.status === 'running' || i.status === 'restarting');
}

/** Long enough for a connect, a login and a send at the configured timeout. */
function askTimeout(inst: ServiceInstance): number {
  return Math.round((inst.config as SmtpClientConfig).timeout * 1000) * 3 + 5000;
}

function ask<T extends SmtpIn['type']>(node: NodeApi, msg: AskMessage<SmtpIn, T>): Promise<ReplyOf<SmtpIn, T>> {
  const inst = running(node);
  if (!inst) throw new CommandError('SMTP client is not running', { code: PROCESS_FAILURE });
  return node.ask(SMTP_CLIENT, msg, askTimeout(inst));
}

/** `<cmd> to <recipient>`: the recipient, resolved (`!var` works, as in EdgeLake). */
function recipient(inv: Invocation, node: NodeApi, cmd: string): string {
  const [to, who, extra] = argWords(inv, node);
  if (to?.toLowerCase() !== 'to' || who === undefined || who === '' || extra !== undefined)
    throw new CommandError(`${cmd}: expected '${cmd} to <${cmd === 'sms' ? 'phone' : 'address'}> [where ...]'`, {
      code: Status.CommandStructure,
    });
  return who;
}

const emailTo: CommandSpec = {
  words: ['email'],
  method: 'post',
  usage: 'email to <address> [where subject = <text> and message = <text> [and message = <line>]]',
  async run(inv, node) {
    const to = recipient(inv, node, 'email');
    for (const a of to.split(','))
      if (!ADDRESS.test(a.trim()))
        throw new CommandError(`email: '${a.trim()}' is not an email address`, { code: Status.CommandStructure });
    const o = withKeyPositions(inv.where, () => emailSchema.parse(whereObject(inv, node), 'email'));
    // EdgeLake: every message value is one line of the body.
    const text =
      o.message && o.message.length > 0
        ? o.message.map((l) => `${l}\n`).join('')
        : `AnyLog Network Alert from Node: ${node.name}`;
    await ask(node, { type: 'smtp.send', kind: 'email', to, subject: o.subject ?? DEFAULT_SUBJECT, text });
    return '';
  },
};

const smsTo: CommandSpec = {
  words: ['sms'],
  method: 'post',
  usage: 'sms to <phone> where gateway = <sms gateway> [and subject = <text>] [and message = <text>]',
  async run(inv, node) {
    const phone = recipient(inv, node, 'sms');
    if (!PHONE.test(phone))
      throw new CommandError(`sms: '${phone}' is not a phone number`, { code: Status.CommandStructure });
    if (!inv.where)
      throw new CommandError("sms: missing 'where gateway = <sms gateway>'", { code: Status.CommandStructure });
    const o = withKeyPositions(inv.where, () => smsSchema.parse(whereObject(inv, node), 'sms'));
    if (!GATEWAY.test(o.gateway))
      throw new CommandError(`sms: '${o.gateway}' is not a gateway domain`, { code: Status.CommandStructure });
    const text = `${o.message ?? `AnyLog Network Alert from Node: '${node.name}'`}\n`;
    await ask(node, {
      type: 'smtp.send',
      kind: 'sms',
      to: `${phone}@${o.gateway}`,
      subject: o.subject ?? DEFAULT_SUBJECT,
      text,
    });
    return '';
  },
};

const getSmtpClient: CommandSpec = {
  words: ['get', 'smtp', 'client'],
  method: 'get',
  usage: 'get smtp client',
  async run(_inv, node) {
    if (!running(node)) return 'SMTP client is not running';
    const i = await ask(node, { type: 'smtp.info' });
    return formatTable(
      ['Attribute', 'Value'],
      [
        ['host', i.host],
        ['port', i.port],
        ['email', i.email],
        ['security', i.security],
        ['ca_file', i.caFile],
        ['verify certificate', i.verifyCertificate ? 'True' : 'False'],
        ['messages sent', i.sent],
        ['messages failed', i.failed],
        ['last sent', i.lastSent],
        ['last error', i.lastError],
      ],
      { header: 'SMTP Client' },
    );
  },
};

export const smtpClientService: ServiceDescriptor = {
  kind: KIND,
  process: 'SMTP',
  run: [['smtp', 'client']],
  exit: ['smtp'],
  yaml: 'smtp_client',
  schema: smtpClientSchema,
  entry: actorEntry(import.meta.url),
  restart: 'permanent',
  shutdownMs: 3000,
  details(instances) {
    const cfg = instances[0]?.config as SmtpClientConfig | undefined;
    // EdgeLake utils_output.get_smtp_info
    return cfg ? `Using '${cfg.host}' with email: '${cfg.email}'` : '';
  },
  async afterStart(inst, node) {
    try {
      await node.ask(SMTP_CLIENT, { type: 'smtp.verify' }, askTimeout(inst));
    } catch (err) {
      await node.stopService(inst.id, 'smtp login failed');
      throw err instanceof CommandError
        ? err
        : new CommandError(`SMTP client failed to start: ${errorMessage(err)}`, { code: PROCESS_FAILURE, cause: err });
    }
  },
  commands: [emailTo, smsTo, getSmtpClient],
};
