// HTTP replies as EdgeLake writes them (tcpip/http_server.py L528-818), in well-formed HTTP:
//   - errors: 400 with `{"method": "get", "node": "<client ip>", "err_code": N, "err_text": ".."}`
//     (EdgeLake puts that JSON in the reason phrase and writes a malformed chunked body; here the
//     reason phrase is the standard one and the JSON is the body)
// Deviations:
//   - EdgeLake always answers `Connection: close`; here keep-alive works, so a client that reuses its connection
//     does not pay a TCP handshake per request.
//   - EdgeLake answers `Access-Control-Allow-Origin: *` and a Content-Type of `text/json` or `text` (not a media
//     type) by the first character of the body; here CORS headers go only to allowed origins (browser.ts, set by
//     the server per request), every reply has `X-Content-Type-Options: nosniff`, and the Content-Type is
//     `application/json` for a body that is JSON and `text/plain; charset=utf-8` for any other, so a browser
//     never guesses (sniffs) a type.
import type { ServerResponse } from 'node:http';
import { pyJson } from '../../protocols/format/table.js';

export const JSON_TYPE = 'application/json';
export const TEXT_TYPE = 'text/plain; charset=utf-8';

/** Headers of every reply (and of the 400 written for malformed HTTP). */
export const BASE_HEADERS: Record<string, string> = { 'X-Content-Type-Options': 'nosniff', Vary: 'Origin' };

/** Past this size a body that looks like JSON (`{...}` / `[...]`) is not parsed again just to name its type. */
const PARSE_LIMIT = 1 << 20;

export function contentTypeOf(body: string): string {
  const t = body.trim();
  const open = t[0];
  const close = t[t.length - 1];
  if (!((open === '{' && close === '}') || (open === '[' && close === ']'))) return TEXT_TYPE;
  if (t.length > PARSE_LIMIT) return JSON_TYPE;
  try {
    JSON.parse(t);
    return JSON_TYPE;
  } catch (err) {
    // A Python-repr table or a log line in brackets: text, which is what it is.
    if (err instanceof SyntaxError) return TEXT_TYPE;
    throw err;
  }
}

export function send(res: ServerResponse, status: number, body: string, contentType = contentTypeOf(body)): void {
  if (res.headersSent || res.destroyed) return;
  const buf = Buffer.from(body, 'utf8');
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': String(buf.length) });
  res.end(buf);
}

/**
 * A network reply (`destination` header): EdgeLake writes the headers first and the body as chunks
 * (golden rest_destination_get_status_raw_chunked.txt); the Content-Type follows the body, as `send`.
 */
export function sendChunked(res: ServerResponse, body: string): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(200, { 'Content-Type': contentTypeOf(body), 'Transfer-Encoding': 'chunked' });
  if (body.length > 0) res.write(body);
  res.end();
}

export function sendError(
  res: ServerResponse,
  method: string,
  client: string,
  code: number,
  text: string,
  status = 400,
): void {
  send(res, status, pyJson({ method: method.toLowerCase(), node: client, err_code: code, err_text: text }), JSON_TYPE);
}

/** The PUT acknowledgement, byte for byte (note the space before `}`): http_server.py L1939. */
export function putSuccess(hash: string): string {
  return `{"AnyLog.status":"Success", "AnyLog.hash": "${hash}" }`;
}
