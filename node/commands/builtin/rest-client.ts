// `rest get|put|post|delete where url = ..`: an outgoing HTTP call from a script (EdgeLake: member_cmd.py
// `_rest_client`, tcpip/http_client.py), answered with the reply's body.
import { CommandError, errorMessage } from '../../../base/errors.js';
import { Status } from '../../../base/status.js';
import type { CommandSpec, NodeApi } from '../../service.js';
import { whereObject, structure } from '../args.js';

/** The HTTP verbs of `rest` and the keys each takes besides url (tcpip/http_client.py keywords_*). */
const REST_KEYS: Record<string, string[]> = {
  get: [
    'user',
    'password',
    'type',
    'details',
    'command',
    'destination',
    'User-Agent',
    'subset',
    'validate',
    'Authorization',
    'Accept',
    'Cache-Control',
    'X-Vault-Token',
    'Content-Type',
  ],
  put: ['user', 'password', 'dbms', 'table', 'type', 'mode', 'body'],
  post: ['headers', 'user', 'password', 'dbms', 'table', 'type', 'mode', 'body'],
  delete: ['user', 'password'],
};

async function restCall(verb: string, opts: Record<string, unknown>, node: NodeApi): Promise<string> {
  const url = opts['url'];
  if (typeof url !== 'string' || !/^https?:\/\//i.test(url))
    throw structure(`rest ${verb}: expected 'where url = http(s)://...'`);
  const headers: Record<string, string> = {};
  let body: string | undefined;
  for (const [k, v] of Object.entries(opts)) {
    if (k === 'url') continue;
    if (!REST_KEYS[verb]!.includes(k)) throw structure(`rest ${verb}: unknown option '${k}'`);
    const text = String(v);
    if (k === 'body') body = text;
    else if (k === 'headers') {
      try {
        for (const [hk, hv] of Object.entries(JSON.parse(text) as Record<string, unknown>)) headers[hk] = String(hv);
      } catch (err) {
        throw structure(`rest ${verb}: headers must be a JSON object (${errorMessage(err)})`);
      }
    } else if (k === 'user' || k === 'password') continue;
    else headers[k] = text;
  }
  if (typeof opts['user'] === 'string')
    headers['Authorization'] =
      `Basic ${Buffer.from(`${opts['user']}:${String(opts['password'] ?? '')}`).toString('base64')}`;
  const timeoutSec = Number(node.dict.get('rest_timeout') ?? '') || 20;
  let res: Response;
  try {
    res = await fetch(url, {
      method: verb.toUpperCase(),
      headers,
      ...(body !== undefined ? { body } : {}),
      signal: AbortSignal.timeout(Math.min(timeoutSec, 60) * 1000),
    });
  } catch (err) {
    throw new CommandError(`rest ${verb} ${url}: ${errorMessage(err)}`, { code: Status.Network, cause: err });
  }
  const text = await res.text();
  if (!res.ok)
    throw new CommandError(`rest ${verb} ${url}: HTTP ${res.status} ${text.slice(0, 200)}`, { code: Status.Network });
  return text;
}

export const restCommands: CommandSpec[] = [
  ...(['get', 'put', 'post', 'delete'] as const).map((verb): CommandSpec => ({
    words: ['rest', verb],
    method: 'post',
    usage: `rest ${verb} where url = <url> [and ...]`,
    run(inv, node) {
      if (!inv.where) throw structure("Missing 'where' keyword in 'rest' command");
      return restCall(verb, whereObject(inv, node), node);
    },
  })),
];
