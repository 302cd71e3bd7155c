// Who may read the observability routes. Today: everyone who reaches the port (the REST server binds
// 127.0.0.1 unless configured otherwise; the metrics port likewise): `openAccess`.
// Hook for user authentication (the access-control work): `serveObserve` takes an `ObserveAccess`; the REST
// server passes one that checks the request's `Authorization` header as for commands (its Authenticator lives in
// the actor's state) and answers `{ status: 401, challenge: 'Basic realm="edgelake-rt"' }` without valid
// credentials. `/metrics`, `/status`, `/status.js` and `/status.json` follow it; `/healthz` and `/readyz` stay
// open (probes from systemd and Kubernetes carry no credentials, and they reveal nothing but up/ready).
// Prometheus then authenticates with `basic_auth` in its scrape config (examples/grafana/prometheus.yml).
import type { IncomingMessage } from 'node:http';
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
