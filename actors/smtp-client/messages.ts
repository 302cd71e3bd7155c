// The SMTP client actor's mailbox.
export type SmtpIn =
  /** Send one message; the reply is the server's acceptance (SmtpSent), a CommandError otherwise. */
  | { type: 'smtp.send'; kind: 'email' | 'sms'; to: string; subject: string; text: string }
  /** Connect and log in (at `run smtp client`): a CommandError names what failed. */
  | { type: 'smtp.verify' }
  | { type: 'smtp.info' };

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
