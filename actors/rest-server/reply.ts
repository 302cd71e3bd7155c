// HTTP replies as EdgeLake writes them (tcpip/http_server.py L528-818), in well-formed HTTP:
//   - always `Access-Control-Allow-Origin: *`, `Vary: Origin`, `Access-Control-Expose-Headers: *`
//   - Content-Type `text/json` when the body starts with `{` or `[`, else `text`
//   - errors: 400 with `{"method": "get", "node": "<client ip>", "err_code": N, "err_text": ".."}`
//     (EdgeLake puts that JSON in the reason phrase and writes a malformed chunked body; here the
//     reason phrase is the standard one and the JSON is the body)
// Deviation: EdgeLake always answers `Connection: close`; here keep-alive works, so a client that
// reuses its connection does not pay a TCP handshake per request.
import type { ServerResponse } from 'node:http';
import { pyJson } from '../../protocols/format/table.js';

const CORS: Record<string, string> = {
  'Access-Control-Allow-Origin': '*',
  Vary: 'Origin',
  'Access-Control-Expose-Headers': '*',
};

export function contentTypeOf(body: string): string {
  const c = body.trimStart()[0];
  return c === '{' || c === '[' ? 'text/json' : 'text';
}

export function send(res: ServerResponse, status: number, body: string, contentType = contentTypeOf(body)): void {
  if (res.headersSent || res.destroyed) return;
  const buf = Buffer.from(body, 'utf8');
  res.writeHead(status, { ...CORS, 'Content-Type': contentType, 'Content-Length': String(buf.length) });
  res.end(buf);
}

/**
 * A network reply (`destination` header): EdgeLake writes the headers first and the body as chunks, with
 * Content-Type `text/json` whatever the body (golden rest_destination_get_status_raw_chunked.txt).
 */
export function sendChunked(res: ServerResponse, body: string): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(200, { ...CORS, 'Content-Type': 'text/json', 'Transfer-Encoding': 'chunked' });
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
  contentType = 'text/json',
): void {
  send(
    res,
    status,
    pyJson({ method: method.toLowerCase(), node: client, err_code: code, err_text: text }),
    contentType,
  );
}

/** The PUT acknowledgement, byte for byte (note the space before `}`): http_server.py L1939. */
export function putSuccess(hash: string): string {
  return `{"AnyLog.status":"Success", "AnyLog.hash": "${hash}" }`;
}
