// `run grpc client where name, ip, port, policy, grpc_dir, proto, function, request, response, service,
// value = (...), debug, add_info, limit, dbms, table, ingest, timeout, reconnect, ...`
// (EdgeLake member_cmd.py L8923-8960). The seeds' short form names only name, ip, port and policy;
// the proto options then default from the mapping policy.
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
  add_info: str(),
  limit: int(0, { min: 0 }),
  dbms: str(),
  table: str(),
  ingest: bool(true),
  timeout: int(5, { min: 1 }),
  reconnect: bool(true),
  prep_dir: str(),
  watch_dir: str(),
  err_dir: str(),
  blobs_dir: str(),
  bwatch_dir: str(),
  log_error: bool(false),
  invoke: bool(false),
};
export const grpcClientSchema = schema('grpc client', shape);
export type GrpcClientConfig = Infer<typeof shape>;
