// The SMTP client actor's mailbox.
import { actorAddress, type Ask } from '../../runtime/address.js';

export type SmtpIn =
  /** Send one message; the reply is the server's acceptance (SmtpSent), a CommandError otherwise. */
  | Ask<{ type: 'smtp.send'; kind: 'email' | 'sms'; to: string; subject: string; text: string }, SmtpSent>
  /** Connect and log in (at `run smtp client`): a CommandError names what failed. */
  | Ask<{ type: 'smtp.verify' }, true>
  | Ask<{ type: 'smtp.info' }, SmtpInfo>;

export const SMTP_CLIENT = actorAddress<SmtpIn>('smtp-client');

export interface SmtpSent {
  messageId: string;
  response: string;
}

/** Reply of `smtp.info`: what `get smtp client` shows (never the password). */
export interface SmtpInfo {
  host: string;
  port: number;
  email: string;
  /** `ssl` (TLS from the start), `starttls` or `none`. */
  security: 'ssl' | 'starttls' | 'none';
  caFile: string;
  verifyCertificate: boolean;
  sent: number;
  failed: number;
  lastSent: string;
  lastError: string;
}
