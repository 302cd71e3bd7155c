// The REST server's TLS files (`ssl = true`): the node's certificate and key, and with `ca_org` the CA whose
// signature client certificates must carry (AnyLog's certificate commands, node/auth/certs.ts).
import { readFileSync } from 'node:fs';
import type { ServerOptions as TlsOptions } from 'node:https';
import { join } from 'node:path';
import { CommandError, errorMessage } from '../../base/errors.js';
import { pemFiles } from '../../node/auth/certs.js';
import type { RestServerConfig } from './config.js';

/**
 * The TLS files. With `ca_org` and `server_org` (AnyLog): the node's `server-[server_org]-*` key and certificate
 * from `id sign certificate request`, and clients must present a certificate signed by `ca-[ca_org]` (the
 * handshake fails otherwise, before any HTTP). Without them: `key_file` / `cert_file`, no client certificate.
 */
export function tlsOptions(cfg: RestServerConfig, pemDir: string): TlsOptions {
  const read = (what: string, path: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new CommandError(`ssl = true: cannot read the ${what} ${path}: ${errorMessage(err)}`, { cause: err });
    }
  };
  if (cfg.ca_org !== undefined || cfg.server_org !== undefined) {
    if (cfg.ca_org === undefined || cfg.server_org === undefined)
      throw new CommandError('ssl = true: ca_org and server_org go together (the CA that signs clients, the node)');
    const ca = pemFiles(pemDir, cfg.ca_org);
    const srv = pemFiles(pemDir, cfg.server_org);
    return {
      key: read('key', cfg.key_file ?? srv.key),
      cert: read('certificate', cfg.cert_file ?? srv.cert),
      ca: read('CA certificate', ca.caCert),
      requestCert: true,
      rejectUnauthorized: true,
    };
  }
  return {
    key: read('key', cfg.key_file ?? join(pemDir, 'server-key.pem')),
    cert: read('certificate', cfg.cert_file ?? join(pemDir, 'server.pem')),
  };
}
