// How a REST request maps to an EdgeLake action (tcpip/http_server.py L931-1460, L1142-1180):
//   - headers are lower-cased; they may also come in the URL (`/?User-Agent=AnyLog/1.23?command=get status`)
//   - `anylog-agent` overrides `user-agent`; the product is the text before `/`, lower-cased; `curl`
//     counts as `anylog` and a curl GET without `command` runs `get status`
//   - GET/POST `command` runs through the node's dispatcher; `destination: network` sends it to the
//     network (`run client ()`), any other destination to those peers (`run client (<value>)`)
//   - PUT (and POST without `command`) with `dbms` and `table` headers ingests the body
//   - no User-Agent and no command: `/health` and `/api/status` answer JSON
import type { IncomingHttpHeaders } from 'node:http';
import { Status } from '../../base/status.js';

export type RequestAction =
  /** `inner`: the command a `destination` header sends to peers; `text` is then its `run client (..)` wrapper. */
  | { k: 'command'; text: string; method: 'GET' | 'POST'; inner?: string }
  | { k: 'ingest' }
  | { k: 'data' }
  /** POST without `command`: a JSON object body whose keys are the headers (EdgeLake L1243-1460). */
  | { k: 'body-headers' }
  | { k: 'health'; body: string }
  | { k: 'empty' }
  | { k: 'bad'; status: number; code: number; text: string };

export type Headers = Record<string, string>;

/** Header values (lower-case keys), including the ones EdgeLake accepts in the URL. */
export function collectHeaders(raw: IncomingHttpHeaders, url: string | undefined): Headers {
  const h: Headers = {};
  for (const [k, v] of Object.entries(raw))
    if (v !== undefined) h[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  const q = url?.indexOf('?') ?? -1;
  if (url && q >= 0) {
    for (const part of url.slice(q + 1).split(/[?&]/)) {
      const eq = part.indexOf('=');
      if (eq <= 0) continue;
      try {
        h[decodeURIComponent(part.slice(0, eq)).toLowerCase()] = decodeURIComponent(
          part.slice(eq + 1).replace(/\+/g, ' '),
        );
      } catch {
        // A malformed %-escape: keep the raw text rather than fail the request.
        h[part.slice(0, eq).toLowerCase()] = part.slice(eq + 1);
      }
    }
  }
  return h;
}

/** The User-Agent product: `anylog`, `grafana`, a registered msg-client agent, or undefined. */
export function productOf(h: Headers, known: ReadonlySet<string>): string | undefined {
  const ua = h['anylog-agent'] ?? h['user-agent'];
  if (!ua) return undefined;
  const slash = ua.indexOf('/');
  if (slash === 0) return undefined;
  const p = (slash < 0 ? ua : ua.slice(0, slash)).trim().toLowerCase();
  if (p === 'curl') return 'anylog';
  return known.has(p) ? p : undefined;
}

/** Wraps the command for a `destination` header as EdgeLake does. */
export function withDestination(text: string, h: Headers): string {
  const dest = h['destination']?.trim();
  if (!dest || dest.toLowerCase() === 'local') return text;
  const opts: string[] = [];
  if (h['subset']) opts.push(`subset = ${h['subset']}`);
  if (h['timeout']) opts.push(`timeout = ${h['timeout']}`);
  const extra = opts.length > 0 ? `, ${opts.join(', ')}` : '';
  if (dest.toLowerCase() === 'network') return `run client (${extra.slice(2)}) ${text}`;
  return `run client (${dest}${extra}) ${text}`;
}

/**
 * Why the `destination`, `subset` or `timeout` header cannot go into the `run client (...)` wrapper, if it cannot:
 * they are pasted into it, so a parenthesis or a quote in them would end the destination and add a command of the
 * client's to it (`destination: 10.0.0.1:32048) set x = 1 (`), past the GET check of the `command` header.
 */
export function destinationProblem(h: Headers): string | undefined {
  const dest = h['destination']?.trim();
  if (!dest || dest.toLowerCase() === 'local') return undefined;
  if (/[()"\r\n]/.test(dest))
    return `destination: parentheses, quotes and line breaks are not allowed (${dest.slice(0, 80)})`;
  if (h['subset'] !== undefined && !/^\s*(true|false)\s*$/i.test(h['subset']))
    return `subset: true or false (got ${h['subset'].slice(0, 40)})`;
  if (h['timeout'] !== undefined && !/^\s*\d+(\.\d+)?\s*$/.test(h['timeout']))
    return `timeout: a number of seconds (got ${h['timeout'].slice(0, 40)})`;
  return undefined;
}

const KNOWN = new Set(['anylog', 'grafana']);

function commandAction(cmd: string, h: Headers, method: 'GET' | 'POST'): RequestAction {
  const problem = destinationProblem(h);
  if (problem !== undefined) return { k: 'bad', status: 400, code: Status.CommandStructure, text: problem };
  const text = withDestination(cmd, h);
  return text === cmd ? { k: 'command', text, method } : { k: 'command', text, method, inner: cmd };
}

export function classify(
  method: string,
  url: string | undefined,
  h: Headers,
  agents: ReadonlySet<string> = KNOWN,
): RequestAction {
  const ua = h['anylog-agent'] ?? h['user-agent'];
  const product = productOf(h, new Set([...KNOWN, ...agents]));
  const path = (url ?? '/').split('?')[0]!;
  switch (method) {
    case 'PUT':
      return { k: 'ingest' };
    case 'OPTIONS':
      return { k: 'empty' };
    case 'GET': {
      let cmd = h['command'];
      if (!cmd && (ua ?? '').toLowerCase().startsWith('curl')) cmd = 'get status';
      if (!cmd) {
        if (!ua && path === '/health')
          return {
            k: 'health',
            body: `{"status": "healthy", "service": "anylog-rest-server", "timestamp": ${Date.now() / 1000}}`,
          };
        if (!ua && path === '/api/status') return { k: 'health', body: '{"status": "ok"}' };
        if (ua && !product) return { k: 'empty' };
        return { k: 'bad', status: 400, code: Status.CommandStructure, text: "Missing 'command' header" };
      }
      return commandAction(cmd, h, 'GET');
    }
    case 'POST': {
      const cmd = h['command'];
      if (cmd?.trim().toLowerCase() === 'data') return { k: 'data' };
      if (cmd) return commandAction(cmd, h, 'POST');
      if (h['dbms'] && h['table']) return { k: 'ingest' };
      return { k: 'body-headers' };
    }
    default:
      return { k: 'bad', status: 405, code: Status.CommandStructure, text: `HTTP method ${method} is not supported` };
  }
}
