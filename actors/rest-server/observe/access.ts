// Who may read the observability routes: the same rule as commands. With user authentication off (the default),
// everyone who reaches the port (the REST server binds 127.0.0.1 unless configured otherwise; the metrics port
// likewise). With it on (`set user authentication on`), `/metrics`, `/status`, `/status.js` and `/status.json`
// need valid Basic credentials of any user, checked by the REST server's Authenticator (node/auth/users.ts), on
// the REST port and on the metrics port alike; `/healthz` and `/readyz` stay open (probes from systemd and
// Kubernetes carry no credentials, and they reveal nothing but up/ready).
// Prometheus then authenticates with `basic_auth` in its scrape config (examples/grafana/prometheus.yml).
import type { IncomingMessage } from 'node:http';
import type { Authenticator } from '../../../node/auth/users.js';
import type { ObserveRoute } from './routes.js';

export interface Denied {
  status: 401 | 403;
  reason: string;
  /** `WWW-Authenticate` value with a 401. */
  challenge?: string;
}

export type ObserveAccess = (
  route: ObserveRoute,
  req: IncomingMessage,
) => Denied | undefined | Promise<Denied | undefined>;

/** The probes never ask for credentials. */
export const PROBES: ReadonlySet<ObserveRoute> = new Set(['healthz', 'readyz']);

export const openAccess: ObserveAccess = () => undefined;

/** The REST server's rule: `auth()` is its Authenticator now (the actor replaces it when the users change). */
export function userAccess(auth: () => Authenticator): ObserveAccess {
  return async (_route, req) => {
    const a = auth();
    if (!a.enabled || (await a.checkHeader(req.headers['authorization']))) return undefined;
    return {
      status: 401,
      reason: 'Failed to authenticate user',
      challenge: 'Basic realm="edgelake-rt", charset="UTF-8"',
    };
  };
}
