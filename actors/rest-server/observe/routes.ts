// The observability routes of the REST server (and of its optional metrics port):
//   GET /metrics      Prometheus text exposition (node/metrics/), asked of the node, which keeps the counters
//   GET /healthz      200 when the process answers: this worker and the node's main thread (within 2 s)
//   GET /readyz       200 when every service runs, the node's start is over and no start task (journal replay)
//                     is in progress; else 503 with the reasons
//   GET /status       the status page (static/status.html + status.js, plain HTML and JS)
//   GET /status.json  what the page shows
// They are not EdgeLake commands: they never reach the dispatcher and change nothing (GET and HEAD only).
// Who may read them is the `access` hook (./access.ts), where user authentication plugs in.
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ActorContext } from '../../../runtime/actor.js';
import { errorMessage } from '../../../base/errors.js';
import { NODE } from '../../../node/messages.js';
import type { RestIn } from '../messages.js';
import { PROBES, openAccess, type ObserveAccess } from './access.js';

export type ObserveRoute = 'metrics' | 'healthz' | 'readyz' | 'status' | 'status.js' | 'status.json';

const PATHS: Record<string, ObserveRoute> = {
  '/metrics': 'metrics',
  '/healthz': 'healthz',
  '/readyz': 'readyz',
  '/status': 'status',
  '/status/': 'status',
  '/status.js': 'status.js',
  '/status.json': 'status.json',
};

/** The route of a request, or undefined when it is not one of these (it then goes to EdgeLake's handling). */
export function observeRoute(url: string | undefined): ObserveRoute | undefined {
  const path = (url ?? '/').split('?')[0]!;
  return Object.prototype.hasOwnProperty.call(PATHS, path) ? PATHS[path] : undefined;
}

/** Static files: beside this module in the source tree (from dist/, the source tree's copy: one copy to edit). */
const STATIC = new URL(
  import.meta.url.includes('/dist/actors/') ? '../../../../actors/rest-server/observe/static/' : './static/',
  import.meta.url,
);

const PROM_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

function reply(res: ServerResponse, status: number, type: string, body: string, head: boolean): void {
  if (res.headersSent || res.destroyed) return;
  const buf = Buffer.from(body, 'utf8');
  // The page and its data change every second: never cached.
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': String(buf.length), 'Cache-Control': 'no-store' });
  res.end(head ? undefined : buf);
}

export async function serveObserve(
  route: ObserveRoute,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: ActorContext<RestIn>,
  access: ObserveAccess = openAccess,
): Promise<void> {
  const method = req.method ?? 'GET';
  const head = method === 'HEAD';
  if (method !== 'GET' && !head) {
    res.setHeader('Allow', 'GET, HEAD');
    return reply(res, 405, 'text/plain', `${method} not allowed on ${route}: GET only\n`, false);
  }
  const denied = PROBES.has(route) ? undefined : await access(route, req);
  if (denied) {
    if (denied.challenge) res.setHeader('WWW-Authenticate', denied.challenge);
    return reply(res, denied.status, 'text/plain', `${denied.reason}\n`, head);
  }
  try {
    switch (route) {
      case 'metrics':
        return reply(res, 200, PROM_TYPE, await ctx.ask(NODE, { type: 'node.metrics' }, 10_000), head);
      case 'healthz':
        await ctx.ask(NODE, { type: 'node.ready' }, 2000);
        return reply(res, 200, 'text/plain', 'ok\n', head);
      case 'readyz': {
        const r = await ctx.ask(NODE, { type: 'node.ready' }, 2000);
        return reply(res, r.ready ? 200 : 503, 'application/json', JSON.stringify(r) + '\n', head);
      }
      case 'status.json':
        return reply(res, 200, 'application/json', JSON.stringify(await ctx.ask(NODE, { type: 'node.status' })), head);
      case 'status':
        return reply(
          res,
          200,
          'text/html; charset=utf-8',
          await readFile(new URL('status.html', STATIC), 'utf8'),
          head,
        );
      case 'status.js':
        return reply(
          res,
          200,
          'text/javascript; charset=utf-8',
          await readFile(new URL('status.js', STATIC), 'utf8'),
          head,
        );
    }
  } catch (err) {
    // The node did not answer (busy main thread, stopping): not healthy, not ready, no metrics this time.
    reply(res, 503, 'text/plain', `${route}: ${errorMessage(err)}\n`, head);
  }
}
