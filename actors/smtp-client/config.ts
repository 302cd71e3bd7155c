// `run smtp client where host, port, email, password, ssl` (EdgeLake generic/utils_output.py L97-130;
// host defaults to smtp.gmail.com, port to 465 with ssl and 587 without). The password is a secret:
// never shown by `get` commands or logs.
// EdgeLake always encrypts: `ssl = true` is SMTP over TLS (SMTP_SSL), `ssl = false` upgrades with
// STARTTLS and fails when the server cannot. edgelake-rt keeps that as the default and adds what a
// private mail server needs, each explicit:
//   ca_file                       PEM file of the CA (or self-signed certificate) to trust for the server
//   tls_reject_unauthorized=false accept any certificate (insecure; a warning is logged at start)
//   starttls = false              with ssl = false, talk in clear (a local relay; the password travels in clear)
import { bool, duration, port, required, schema, str, type Infer } from '../../runtime/config/schema.js';

const shape = {
  host: str('smtp.gmail.com'),
  port: port(undefined, { doc: 'default 465 with ssl = true, 587 otherwise' }),
  email: required(str(undefined, { doc: 'sender address, also the login name' })),
  password: required(str(undefined, { secret: true })),
  ssl: bool(false, { doc: 'SMTP over TLS from the first byte (port 465)' }),
  starttls: bool(true, { doc: 'with ssl = false: require the STARTTLS upgrade (false: no encryption)' }),
  ca_file: str(undefined, { doc: 'PEM file of the CA certificate(s) trusted for the server' }),
  tls_reject_unauthorized: bool(true, { doc: 'false accepts any server certificate (insecure)' }),
  timeout: duration(30, { doc: 'connection, greeting and socket timeout' }),
};
export const smtpClientSchema = schema('smtp client', shape);
export type SmtpClientConfig = Infer<typeof shape>;

/** EdgeLake's default port: 465 for SMTP over TLS, 587 (submission, STARTTLS) otherwise. */
export function smtpPort(cfg: SmtpClientConfig): number {
  return cfg.port ?? (cfg.ssl ? 465 : 587);
}
