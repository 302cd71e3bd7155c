// The SMTP client actor: one nodemailer transport (a pool of one connection, reconnected when the
// server dropped it, as EdgeLake's validate_smtp_connect does) and EdgeLake's one-message-at-a-time
// sending (its smtp_mutex_): the mailbox hands `smtp.send` over one by one.
// init opens nothing on the network, so a restarted worker comes back even while the server is
// away; the login is checked once, when the service is run (service.ts afterStart -> smtp.verify).
// Every failure is a CommandError whose text has the password scrubbed out (transport.ts).
import { createTransport, type Transporter } from 'nodemailer';
import type { SMTPPoolOptions } from 'nodemailer/lib/smtp-pool';
import { defineActor, type ActorContext } from '../../runtime/actor.js';
import { CommandError, assertNever, errorMessage } from '../../base/errors.js';
import { smtpClientSchema, smtpPort, type SmtpClientConfig } from './config.js';
import type { SmtpIn, SmtpInfo, SmtpSent } from './messages.js';
import { scrub, securityOf, transportOptions } from './transport.js';

interface State {
  cfg: SmtpClientConfig;
  mailer: Transporter<unknown, SMTPPoolOptions>;
  sent: number;
  failed: number;
  lastSent: string;
  lastError: string;
}

/** EdgeLake process_status.ERR_process_failure. */
const PROCESS_FAILURE = 3;

function where(cfg: SmtpClientConfig): string {
  return `'${cfg.host}:${smtpPort(cfg)}'`;
}

function failure(state: State, what: string, err: unknown): CommandError {
  const code = (err as { code?: unknown }).code;
  const text = scrub(
    `${what} using ${where(state.cfg)} with error: '${errorMessage(err)}'${typeof code === 'string' ? ` (${code})` : ''}`,
    state.cfg,
  );
  state.failed++;
  state.lastError = text;
  return new CommandError(text, { code: PROCESS_FAILURE });
}

async function send(state: State, msg: Extract<SmtpIn, { type: 'smtp.send' }>, ctx: ActorContext): Promise<SmtpSent> {
  try {
    const info = (await state.mailer.sendMail({
      from: state.cfg.email,
      to: msg.to,
      subject: msg.subject,
      text: msg.text,
    })) as {
      messageId?: string;
      response?: string;
    };
    state.sent++;
    state.lastSent = new Date(ctx.clock.now()).toISOString();
    ctx.log.info(`${msg.kind} sent`, { to: msg.to, host: state.cfg.host });
    return { messageId: info.messageId ?? '', response: info.response ?? '' };
  } catch (err) {
    throw failure(state, `Failed to send an ${msg.kind} message`, err);
  }
}

export default defineActor<SmtpClientConfig, State, SmtpIn>({
  kind: 'smtp-client',
  config: (raw) => smtpClientSchema.parse(raw),
  init(ctx, cfg) {
    const mailer = createTransport(transportOptions(cfg));
    // A transport error outside a send (a pooled connection failing while idle) is logged, never thrown.
    mailer.on('error', (err: Error) => ctx.log.warn('smtp transport error', { error: scrub(err.message, cfg) }));
    if (!cfg.tls_reject_unauthorized)
      ctx.log.warn('smtp client accepts any server certificate (tls_reject_unauthorized = false)', { host: cfg.host });
    if (!cfg.ssl && !cfg.starttls)
      ctx.log.warn('smtp client talks to the server in clear (ssl = false, starttls = false)', { host: cfg.host });
    return { cfg, mailer, sent: 0, failed: 0, lastSent: '', lastError: '' };
  },
  async handle(state, msg, ctx) {
    switch (msg.type) {
      case 'smtp.send':
        return send(state, msg, ctx);
      case 'smtp.verify':
        try {
          await state.mailer.verify();
          return true;
        } catch (err) {
          throw failure(state, 'Failed to initiate SMTP server', err);
        }
      case 'smtp.info':
        return {
          host: state.cfg.host,
          port: smtpPort(state.cfg),
          email: state.cfg.email,
          security: securityOf(state.cfg),
          caFile: state.cfg.ca_file ?? '',
          verifyCertificate: state.cfg.tls_reject_unauthorized,
          sent: state.sent,
          failed: state.failed,
          lastSent: state.lastSent,
          lastError: state.lastError,
        } satisfies SmtpInfo;
      default:
        return assertNever(msg, 'smtp message');
    }
  },
  stop(state) {
    state.mailer.close();
  },
});
