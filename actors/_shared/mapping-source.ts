// Where a worker gets what its mapping needs from the node (used by the gRPC client and the Kafka
// consumer, in `init`):
//   - a mapping policy named by `policy = <ref>`:
//       `{...}`          the policy JSON itself (typically `policy = !my_policy`, resolved from the
//                        dictionary when the command was parsed, or a node.yaml value)
//       a `.json` path   read from that file (absolute, or relative to the node's root)
//       anything else    a policy id, asked of the node as `blockchain get mapping where id = <id>`
//                        (EdgeLake member_cmd.py L8993 policies.get_policy_by_id), answered by the node's
//                        metadata (node/commands/builtin/blockchain.ts); a node without metadata, or
//                        without that policy, fails the start with the reason
//   - the dictionary values of `!name` words and `[!name]` keys inside column mappings, read once
//     (the mapping compiler takes a synchronous lookup; the dictionary lives on the main thread).
import { readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import type { ActorContext } from '../../runtime/actor.js';
import { ConfigError, errorMessage } from '../../base/errors.js';
import { NODE } from '../../node/messages.js';
import { Status } from '../../base/status.js';

export type PolicyObject = Record<string, unknown>;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A policy from the JSON text of a reference or of a `blockchain get` reply: `{..}`, or a list of them. */
export function policyFromJson(text: string, where: string): PolicyObject {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${where}: the policy is not JSON (${errorMessage(err)})`, {
      code: Status.WrongPolicyStructure,
      cause: err,
    });
  }
  if (Array.isArray(v)) {
    if (v.length === 0)
      throw new ConfigError(`${where}: no such mapping policy`, { code: Status.WrongPolicyStructure });
    v = v[0];
  }
  if (!isObject(v) || !isObject(v['mapping']))
    throw new ConfigError(`${where}: not a mapping policy (expected {"mapping": {...}})`, {
      code: Status.WrongPolicyStructure,
    });
  return v;
}

/** Looks a mapping policy up for `policy = <ref>` (see the header). Throws ConfigError (startup fails). */
export async function loadMappingPolicy(ctx: ActorContext, ref: string, where: string): Promise<PolicyObject> {
  const text = ref.trim();
  if (text.startsWith('{') || text.startsWith('[')) return policyFromJson(text, where);
  if (/\.json$/i.test(text)) {
    const path = isAbsolute(text) ? text : join(ctx.node.root, text);
    let body: string;
    try {
      body = await readFile(path, 'utf8');
    } catch (err) {
      throw new ConfigError(`${where}: cannot read the policy file ${path}: ${errorMessage(err)}`, { cause: err });
    }
    return policyFromJson(body, `${where} (${path})`);
  }
  if (!/^[\w.-]+$/.test(text))
    throw new ConfigError(`${where}: '${text}' is neither a policy id, a .json file nor policy JSON`);
  const command = `blockchain get mapping where id = ${text}`;
  let reply: string;
  try {
    reply = await ctx.ask(NODE, { type: 'node.command', text: command, source: ctx.self }, 10_000);
  } catch (err) {
    throw new ConfigError(
      `${where}: cannot look up mapping policy '${text}' (${command}: ${errorMessage(err)}); without the node's metadata, give the policy JSON (policy = !name) or a .json file`,
      { code: Status.WrongPolicyStructure, cause: err },
    );
  }
  if (typeof reply !== 'string' || reply.trim() === '')
    throw new ConfigError(`${where}: no mapping policy with id '${text}'`, { code: Status.WrongPolicyStructure });
  return policyFromJson(reply, where);
}

/** `!name` words and `[!name]` keys in the values (strings, nested objects), without the `!`. */
export function dictionaryNames(values: unknown): string[] {
  const names = new Set<string>();
  const visit = (v: unknown): void => {
    if (typeof v === 'string') for (const m of v.matchAll(/!([A-Za-z_][\w.-]*)/g)) names.add(m[1]!);
    else if (Array.isArray(v)) v.forEach(visit);
    else if (isObject(v)) Object.values(v).forEach(visit);
  };
  visit(values);
  return [...names];
}

/** A synchronous dictionary lookup for the mapping compiler, holding the values read now. */
export async function dictionaryFor(ctx: ActorContext, values: unknown): Promise<(name: string) => string | undefined> {
  const found = new Map<string, string>();
  for (const name of dictionaryNames(values)) {
    const v = await ctx.ask(NODE, { type: 'node.dict.get', name }, 5_000);
    if (typeof v === 'string' && v !== '') found.set(name, v);
  }
  return (name) => found.get(name.replace(/^!/, ''));
}
