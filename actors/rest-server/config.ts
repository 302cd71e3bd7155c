// `run rest server where external_ip, external_port, internal_ip, internal_port, bind, timeout, threads, ssl,
// ca_org, server_org` (EdgeLake member_cmd.py L8731-8800; defaults timeout 20 s, threads 5, ssl false).
// edgelake-rt adds the TLS files (`key_file`, `cert_file`, default `<root>/data/pem/server-key.pem` and
// `server.pem`), the request limits and `cors` (origins allowed to call from a browser; actors/rest-server/browser.ts).
import { listenerFields } from '../../node/config/listener.js';
import { bool, int, list, schema, str, type Infer } from '../../runtime/config/schema.js';

const shape = {
  ...listenerFields(5),
  timeout: int(20, { min: 0 }, { doc: 'seconds a request may take; 0 = no limit' }),
  ssl: bool(false),
  ca_org: str(),
  server_org: str(),
  key_file: str(),
  cert_file: str(),
  max_body_mb: int(64, { min: 1, max: 4096 }, { doc: 'largest accepted request body' }),
  max_header_kb: int(16, { min: 1, max: 1024 }),
  cors: list(str(), [], {
    doc: 'origins (https://host:port) whose pages may call the node (CORS); * for any; none by default',
  }),
};
export const restServerSchema = schema('rest server', shape, { aliases: { workers: 'threads' } });
export type RestServerConfig = Infer<typeof shape>;
