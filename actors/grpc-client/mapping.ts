// What a gRPC response becomes (EdgeLake grpc_client.py process_grpc_data):
//   policy = <ref>         the mapping policy (compilePolicy) applied to the message's JSON; a message of
//                          one key whose value is JSON text or an object is unwrapped first (EdgeLake:
//                          "some gRPC frameworks wrap payloads in a default key")
//   column.* with dbms, table
//                          (edgelake-rt) the same mapping as a `topic = (...)` clause (compileTopic), with
//                          the same unwrapping
//   dbms, table only       the message's JSON is one row of dbms.table, as EdgeLake's `add_data` did
//   add_info = conn, proto, request
//                          adds `<conn>`, `<proto>`, `<request>` keys first in the message's JSON
// `ingest = false`: messages are counted (and printed with debug = true), nothing is written.
import type { ActorContext } from '../../runtime/actor.js';
import { ConfigError } from '../../base/errors.js';
import {
  compilePolicy,
  compileTopic,
  fail,
  MapCode,
  normalizeName,
  type MapResult,
  type Mapper,
} from '../../protocols/mapping/index.js';
import { dictionaryFor, loadMappingPolicy } from '../_shared/mapping-source.js';
import type { GrpcClientConfig } from './config.js';
import { Status } from '../../base/status.js';

export interface GrpcMapping {
  /** undefined: nothing is ingested (`ingest = false`). */
  map: ((msg: Record<string, unknown>, now: Date) => MapResult) | undefined;
  policyType: string;
  policyName: string;
  policyId: string;
  /** The policy's `mapping` object, for proto options the command left out. */
  policyInner: Record<string, unknown> | undefined;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** EdgeLake's unwrapping of a one-key message (L748-761): the inner JSON text or object. */
export function unwrap(msg: Record<string, unknown>): Record<string, unknown> | string {
  const keys = Object.keys(msg);
  if (keys.length !== 1) return msg;
  const inner = msg[keys[0]!];
  if (typeof inner === 'string') return inner;
  if (isObject(inner)) return inner;
  return msg;
}

function mapped(mapper: Mapper): GrpcMapping['map'] {
  return (msg, now) => {
    const body = unwrap(msg);
    if (typeof body === 'string' && !/^\s*[{[]/.test(body))
      return fail(MapCode.notJson, `the message's only field is not JSON text: ${body.slice(0, 80)}`);
    return mapper(body, now);
  };
}

export async function compileMapping(ctx: ActorContext, cfg: GrpcClientConfig, where: string): Promise<GrpcMapping> {
  const extra = cfg.extra ?? {};
  const hasColumns = Object.keys(extra).length > 0;
  const none: GrpcMapping = { map: undefined, policyType: '', policyName: '', policyId: '', policyInner: undefined };
  if (cfg.policy !== undefined && cfg.policy !== '') {
    if (hasColumns)
      throw new ConfigError(`${where}: give a policy or column mappings, not both`, { code: Status.MqttInfo });
    const policy = await loadMappingPolicy(ctx, cfg.policy, `${where}.policy`);
    const inner = policy['mapping'] as Record<string, unknown>;
    const mapper = compilePolicy(policy, { dictionary: await dictionaryFor(ctx, inner) });
    return {
      map: cfg.ingest ? mapped(mapper) : undefined,
      policyType: 'mapping',
      policyName: typeof inner['name'] === 'string' ? inner['name'] : '',
      policyId: typeof inner['id'] === 'string' ? inner['id'] : cfg.policy,
      policyInner: inner,
    };
  }
  if ((cfg.dbms === undefined) !== (cfg.table === undefined))
    throw new ConfigError(`${where}: Missing dbms and table definitions (give both)`, {
      code: Status.CommandStructure,
    });
  if (!cfg.ingest) return none;
  if (cfg.dbms === undefined || cfg.table === undefined) {
    throw new ConfigError(
      `${where}: nothing to map the messages to: give policy = <id>, or dbms and table (with or without column.* mappings), or ingest = false`,
      { code: Status.CommandStructure },
    );
  }
  if (hasColumns) {
    const mapper = compileTopic(
      { name: cfg.name, dbms: cfg.dbms, table: cfg.table, extra },
      { dictionary: await dictionaryFor(ctx, extra) },
    );
    return { ...none, map: mapped(mapper) };
  }
  const dbms = normalizeName(cfg.dbms);
  const table = normalizeName(cfg.table);
  return { ...none, map: (msg) => ({ rows: [{ dbms, table, row: msg }] }) };
}
