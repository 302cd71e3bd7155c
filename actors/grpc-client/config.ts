// `run grpc client where name, ip, port, policy, grpc_dir, proto, function, request, response, service,
// value = (...), debug, add_info, limit, dbms, table, ingest, timeout, reconnect, ...`
// (EdgeLake member_cmd.py L8923-8960). The seeds' short form names only name, ip, port and policy;
// the proto options then default from the mapping policy (keys of the same names in its `mapping`).
// edgelake-rt also accepts `column.<name>.<type> = "bring .."` (the topic clause's column mappings) with
// dbms and table, for a mapping without a policy.
import { bool, freeform, int, port, required, schema, str, type Infer } from '../../runtime/config/schema.js';

const shape = {
  name: required(str()),
  ip: required(str()),
  port: required(port()),
  policy: str(),
  grpc_dir: str(),
  proto: str(),
  function: str(),
  request: str(),
  response: str(),
  service: str(),
  value: freeform({ doc: 'request fields as (key = value ...)' }),
  debug: bool(false),
  add_info: str(undefined, { doc: 'conn, proto, request: keys added to every message' }),
  limit: int(0, { min: 0 }),
  dbms: str(),
  table: str(),
  ingest: bool(true),
  timeout: int(5, { min: 1 }, { doc: 'seconds to wait for the connection on each attempt' }),
  reconnect: bool(true),
  prep_dir: str(),
  watch_dir: str(),
  err_dir: str(),
  blobs_dir: str(),
  bwatch_dir: str(),
  log_error: bool(false),
  invoke: bool(false),
};
export const grpcClientSchema = schema('grpc client', shape, { patterns: [/^column\.[^.]+(\.[a-z0-9]+)?$/i] });
export type GrpcClientConfig = Infer<typeof shape> & { extra?: Record<string, unknown> };

/** The config as the worker receives it (parsed once by the node: `column.*` keys under `extra`). */
export function parseGrpcClientConfig(raw: unknown): GrpcClientConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || !('extra' in raw))
    return grpcClientSchema.parse(raw);
  const { extra, ...rest } = raw as Record<string, unknown>;
  return grpcClientSchema.parse({ ...rest, ...(extra as Record<string, unknown>) });
}
