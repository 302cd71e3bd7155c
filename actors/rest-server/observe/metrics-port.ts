// `metrics_port`: a plain-HTTP server of its own in the REST server's worker, on the REST address, that serves
// the observability routes only (./routes.ts), so Prometheus and probes need neither the REST port's TLS nor
// its command handling. Anything else there is 404.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ActorContext } from '../../../runtime/actor.js';
import { CommandError } from '../../../base/errors.js';
import type { RestServerConfig } from '../config.js';
import type { RestIn } from '../messages.js';
import { observeRoute, serveObserve } from './routes.js';
import type { ObserveAccess } from './access.js';

export async function startMetricsServer(
  ctx: ActorContext<RestIn>,
  cfg: RestServerConfig,
  host: string,
  access: ObserveAccess,
): Promise<Server> {
  const server = createServer({ headersTimeout: 10_000, requestTimeout: 30_000 }, (req, res) => {
    const route = observeRoute(req.url);
    if (route) return void serveObserve(route, req, res, ctx, access);
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end('not found: this port serves /metrics, /healthz, /readyz, /status\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) =>
      reject(
        new CommandError(`metrics port cannot listen on ${host}:${cfg.metrics_port}: ${err.message}`, { cause: err }),
      ),
    );
    server.listen(cfg.metrics_port, host, () => resolve());
  });
  const a = server.address() as AddressInfo;
  ctx.log.info('metrics port listening', { address: `${a.address}:${a.port}` });
  return server;
}
