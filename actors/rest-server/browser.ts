// What a web page may make a browser send to the REST server, and what the server lets it do.
// A page on another site can make the browser send, without asking the server first (no CORS preflight), only a
// "simple" request: GET, HEAD or POST whose own headers are CORS-safelisted (Accept, Accept-Language,
// Content-Language, Content-Type of application/x-www-form-urlencoded, multipart/form-data or text/plain); the
// browser adds its own User-Agent, Origin, Referer, cookies and cached Basic credentials (Fetch standard, "CORS-
// safelisted request-header" and "CORS-preflight fetch"). Such a request is never allowed to run anything:
//   - a command or an ingest runs only when the request carries proof that it is not simple: one of EdgeLake's own
//     headers (`command`, `dbms`, `table`, `type`, `mode`, ...) as a real header, a Content-Type outside the
//     safelist, or a User-Agent no browser sends by default (`curl/...`). Headers given in the URL query
//     (EdgeLake accepts `/?command=...`) are not proof: any page can put them in a link or a form's action.
//     `Authorization` is not proof either: a browser re-sends cached Basic credentials on its own.
//   - a request naming an Origin (or `Sec-Fetch-Site: cross-site`) that is not in `cors` runs nothing.
// CORS: no `Access-Control-Allow-Origin` unless the Origin is in `run rest server where cors = <list>`
// (EdgeLake answers `*` to everyone: tcpip/http_server.py L528-560); a listed origin gets itself back, and its
// preflights are answered, so tools such as EdgeLake's Remote CLI work from the origins the operator names.
import type { IncomingHttpHeaders } from 'node:http';
import { ConfigError } from '../../base/errors.js';

/** EdgeLake's request headers a browser can send cross-site only after a preflight. */
const EDGELAKE_HEADERS = [
  'command',
  'dbms',
  'table',
  'type',
  'mode',
  'destination',
  'subset',
  'topic',
  'anylog-agent',
  'x-requested-with',
];

const SIMPLE_TYPES = new Set(['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain']);

/** True when a browser could not have sent this request cross-site without a preflight the server approved. */
export function notBrowserSimple(method: string, raw: IncomingHttpHeaders): boolean {
  if (method !== 'GET' && method !== 'HEAD' && method !== 'POST') return true;
  if (EDGELAKE_HEADERS.some((h) => raw[h] !== undefined)) return true;
  const ct = raw['content-type'];
  if (ct !== undefined && !SIMPLE_TYPES.has(ct.split(';')[0]!.trim().toLowerCase())) return true;
  return /^curl\//i.test(raw['user-agent'] ?? '');
}

/** `cors` as configured: exact origins (`https://host:port`), or `*` for any. */
export class CorsPolicy {
  private readonly origins: Set<string>;
  private readonly any: boolean;

  constructor(list: readonly string[]) {
    for (const o of list)
      if (o !== '*' && !/^https?:\/\/[^/\s]+\/?$/i.test(o))
        throw new ConfigError(`rest server.cors: '${o}' is not an origin (scheme://host[:port]) or *`);
    this.any = list.includes('*');
    this.origins = new Set(list.filter((o) => o !== '*').map((o) => o.replace(/\/+$/, '').toLowerCase()));
  }

  allows(origin: string): boolean {
    return this.any || this.origins.has(origin.toLowerCase());
  }

  /** Why a browser request from another site is refused, or undefined when it may go on. */
  refusal(raw: IncomingHttpHeaders): string | undefined {
    const origin = raw['origin'];
    if (origin !== undefined) return this.allows(origin) ? undefined : `origin '${origin}' is not allowed (cors)`;
    if (raw['sec-fetch-site'] === 'cross-site') return 'a cross-site browser request without an allowed origin';
    return undefined;
  }

  /** Response headers for this request's origin (none when it is not allowed). */
  headers(raw: IncomingHttpHeaders): Record<string, string> {
    const origin = raw['origin'];
    if (origin === undefined || !this.allows(origin)) return {};
    return { 'Access-Control-Allow-Origin': origin, 'Access-Control-Expose-Headers': '*' };
  }

  /** Extra headers answering a preflight (OPTIONS) from an allowed origin. */
  preflight(raw: IncomingHttpHeaders): Record<string, string> {
    const origin = raw['origin'];
    if (origin === undefined || !this.allows(origin)) return {};
    const asked = raw['access-control-request-headers'];
    return {
      'Access-Control-Allow-Methods': 'GET, POST, PUT',
      ...(asked ? { 'Access-Control-Allow-Headers': asked } : {}),
      'Access-Control-Max-Age': '600',
    };
  }
}
