// The gRPC side of `run grpc client`: the .proto is loaded with @grpc/proto-loader (no generated code,
// where EdgeLake imported the `<proto>_pb2` / `<proto>_pb2_grpc` modules compiled into grpc_dir), the
// service and method are looked up by name, the request is built from `value = (k = v ...)`, and each
// response is deserialized to the JSON object EdgeLake's `json_format.MessageToJson` makes of it:
// lowerCamelCase field names, 64-bit integers and enums as text, bytes as base64, unset fields omitted.
import { isAbsolute, join } from 'node:path';
import { loadSync, type MethodDefinition, type PackageDefinition } from '@grpc/proto-loader';
import { ConfigError, errorMessage } from '../../base/errors.js';

export interface ProtoMethod {
  /** `/package.Service/Method` */
  path: string;
  serviceName: string;
  methodName: string;
  requestName: string;
  responseName: string;
  streaming: boolean;
  serialize: (value: object) => Buffer;
  /** Never throws: bytes that do not decode become a BadMessage (counted; the stream goes on). */
  deserialize: (bytes: Buffer) => object | BadMessage;
  /** Request field names as the serializer expects them (lowerCamelCase). */
  requestFields: Set<string>;
}

export class BadMessage {
  constructor(readonly reason: string) {}
}

export interface ProtoOptions {
  dir: string;
  proto: string;
  service: string;
  method: string;
  request: string | undefined;
  response: string | undefined;
}

const lastName = (full: string): string => full.slice(full.lastIndexOf('.') + 1);

function isService(def: PackageDefinition[string]): def is Record<string, MethodDefinition<object, object>> {
  return !('format' in def);
}

function fieldNames(type: object): string[] {
  const fields = (type as { field?: unknown }).field;
  if (!Array.isArray(fields)) return [];
  return fields
    .map((f: unknown) =>
      typeof f === 'object' && f !== null && typeof (f as { name?: unknown }).name === 'string'
        ? (f as { name: string }).name
        : '',
    )
    .filter((n) => n !== '');
}

/** protobufjs' camelCase for field names (what proto-loader's objects use with keepCase = false). */
const camel = (name: string): string => name.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());

function typeName(def: { type: object }): string {
  const n = (def.type as { name?: unknown }).name;
  return typeof n === 'string' ? n : '';
}

export function loadMethod(o: ProtoOptions, root: string, where: string): ProtoMethod {
  const dir = isAbsolute(o.dir) ? o.dir : join(root, o.dir);
  const file = o.proto.endsWith('.proto') ? o.proto : `${o.proto}.proto`;
  let pkg: PackageDefinition;
  try {
    pkg = loadSync(join(dir, file), {
      keepCase: false,
      longs: String,
      enums: String,
      bytes: String,
      defaults: false,
      oneofs: true,
      includeDirs: [dir],
    });
  } catch (err) {
    throw new ConfigError(`${where}.proto: cannot load ${join(dir, file)}: ${errorMessage(err)}`, { cause: err });
  }
  const services = Object.entries(pkg).filter((e): e is [string, Record<string, MethodDefinition<object, object>>] =>
    isService(e[1]),
  );
  const found = services.find(([name]) => name === o.service || lastName(name) === o.service);
  if (!found)
    throw new ConfigError(
      `${where}.service: no service '${o.service}' in ${file} (services: ${services.map(([n]) => n).join(', ') || 'none'})`,
    );
  const [serviceName, service] = found;
  const m = service[o.method] ?? Object.values(service).find((d) => d.originalName === o.method);
  if (!m)
    throw new ConfigError(
      `${where}.function: no method '${o.method}' in ${serviceName} (methods: ${Object.keys(service).join(', ')})`,
    );
  if (m.requestStream)
    throw new ConfigError(
      `${where}.function: ${o.method} takes a request stream; only unary and server-streaming methods can be subscribed to`,
    );
  const requestName = typeName(m.requestType);
  const responseName = typeName(m.responseType);
  if (o.request !== undefined && o.request !== requestName && lastName(o.request) !== requestName)
    throw new ConfigError(`${where}.request: ${o.method} takes ${requestName}, not ${o.request}`);
  if (o.response !== undefined && o.response !== responseName && lastName(o.response) !== responseName)
    throw new ConfigError(`${where}.response: ${o.method} returns ${responseName}, not ${o.response}`);
  // proto-loader's descriptors already carry the lowerCamelCase names (keepCase = false).
  const requestFields = new Set(fieldNames(m.requestType.type).map(camel));
  const decode = m.responseDeserialize;
  return {
    path: m.path,
    serviceName,
    methodName: o.method,
    requestName,
    responseName,
    streaming: m.responseStream,
    serialize: m.requestSerialize,
    deserialize: (bytes) => {
      try {
        return decode(bytes);
      } catch (err) {
        return new BadMessage(`${responseName} does not decode (${errorMessage(err)}; ${bytes.length} bytes)`);
      }
    },
    requestFields,
  };
}

/**
 * The request object from `value = (k = v and ...)` (EdgeLake grpc_client.py get_request_obj): keys are
 * the .proto field names (or their camelCase); a `.int`, `.float`, `.bool` or `.str` suffix types the value
 * (`nonce = 10.int`); other text is converted by the field's type when serialized.
 */
export function buildRequest(
  value: string | Record<string, unknown> | undefined,
  m: ProtoMethod,
  where: string,
): object {
  if (value === undefined) return {};
  if (typeof value === 'string')
    throw new ConfigError(`${where}.value: expected (key = value and ...) (got "${value}")`);
  const out: Record<string, unknown> = {};
  for (const [k, raw] of Object.entries(value)) {
    // The .proto's name (`sensor_filter`) or its lowerCamelCase (`sensorFilter`).
    const field = camel(k);
    if (!m.requestFields.has(field))
      throw new ConfigError(
        `${where}.value.${k}: ${m.requestName} has no field '${k}' (fields: ${[...m.requestFields].join(', ') || 'none'})`,
      );
    out[field] = typed(raw, `${where}.value.${k}`);
  }
  // Serialize once now, so a value that does not fit its field fails the start, not every call.
  try {
    m.serialize(out);
  } catch (err) {
    throw new ConfigError(`${where}.value: ${m.requestName} cannot hold ${JSON.stringify(out)}: ${errorMessage(err)}`, {
      cause: err,
    });
  }
  return out;
}

function typed(raw: unknown, where: string): unknown {
  if (typeof raw !== 'string') return raw;
  const m = /^(.*)\.(int|float|bool|str)$/.exec(raw);
  if (!m) return raw;
  const [, text, type] = m as unknown as [string, string, string];
  switch (type) {
    case 'int':
    case 'float': {
      const n = Number(text);
      if (text.trim() === '' || !Number.isFinite(n) || (type === 'int' && !Number.isInteger(n)))
        throw new ConfigError(`${where}: '${text}' is not ${type === 'int' ? 'an integer' : 'a number'}`);
      return n;
    }
    case 'bool':
      if (text === 'true' || text === 'false') return text === 'true';
      throw new ConfigError(`${where}: '${text}' is not true or false`);
    default:
      return text;
  }
}
