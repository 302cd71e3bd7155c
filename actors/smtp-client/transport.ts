// Nodemailer options from the service config: the TLS choice (EdgeLake: SMTP_SSL or STARTTLS, see
// config.ts), the trusted CA, one pooled connection (EdgeLake keeps one connection and reconnects
// when it dropped; the pool does the same) and the timeouts.
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import type { SMTPPoolOptions } from 'nodemailer/lib/smtp-pool';
import { ConfigError, errorMessage } from '../../base/errors.js';
import { smtpPort, type SmtpClientConfig } from './config.js';

export function transportOptions(cfg: SmtpClientConfig): SMTPPoolOptions & { pool: true } {
  const tls: ConnectionOptions = { rejectUnauthorized: cfg.tls_reject_unauthorized, minVersion: 'TLSv1.2' };
  if (cfg.ca_file !== undefined) {
    try {
      tls.ca = readFileSync(cfg.ca_file, 'utf8');
    } catch (err) {
      throw new ConfigError(`smtp client.ca_file: cannot read ${cfg.ca_file}: ${errorMessage(err)}`, { cause: err });
    }
  }
  const ms = Math.max(1, Math.round(cfg.timeout * 1000));
  return {
    pool: true,
    maxConnections: 1,
    host: cfg.host,
    port: smtpPort(cfg),
    secure: cfg.ssl,
    requireTLS: !cfg.ssl && cfg.starttls,
    ignoreTLS: !cfg.ssl && !cfg.starttls,
    auth: { user: cfg.email, pass: cfg.password },
    tls,
    connectionTimeout: ms,
    greetingTimeout: ms,
    socketTimeout: ms,
    logger: false,
    debug: false,
  };
}

export function securityOf(cfg: SmtpClientConfig): 'ssl' | 'starttls' | 'none' {
  return cfg.ssl ? 'ssl' : cfg.starttls ? 'starttls' : 'none';
}

/**
 * An error text safe to show and log: the password (and its base64 forms, as AUTH PLAIN/LOGIN send
 * it) never appears, whatever the server or the library put into the message. A password under 4
 * characters is left alone: it would match ordinary words ("p" in "upgrading") and mangle the reason.
 */
export function scrub(text: string, cfg: Pick<SmtpClientConfig, 'email' | 'password'>): string {
  const secrets = [
    cfg.password,
    Buffer.from(cfg.password).toString('base64'),
    Buffer.from(`\u0000${cfg.email}\u0000${cfg.password}`).toString('base64'),
  ].filter((s) => cfg.password.length >= 4 && s.length > 0);
  let out = text;
  for (const s of secrets) out = out.split(s).join('******');
  return out;
}
