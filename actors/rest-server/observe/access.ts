// Who may read the observability routes. Today: everyone who reaches the port (the REST server binds
// 127.0.0.1 unless configured otherwise; the metrics port likewise).
// Hook for user authentication (the access-control work): when it is on, `/metrics`, `/status` and
// `/status.json` follow the same rule as commands: return `{ status: 401, challenge: 'Basic realm="edgelake"' }`
// for a request without valid credentials, 403 for a user without the right. `/healthz` and `/readyz` stay
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

export function observeAccess(_route: ObserveRoute, _req: IncomingMessage): Denied | undefined {
  return undefined;
}
