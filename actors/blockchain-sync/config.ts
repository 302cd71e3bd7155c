// `run blockchain sync where source = master|blockchain|dbms and time = 30 seconds and dest = file
// [and dest = dbms] and connection = ip:port [and platform = ethereum] [and file = ..]`
// (EdgeLake member_cmd.py `_blockchain_sync`). `dest` is required and may repeat, as there.
import { duration, oneOf, repeated, required, schema, str, bool, type Infer } from '../../runtime/config/schema.js';

const shape = {
  source: oneOf(['master', 'blockchain', 'dbms'] as const, 'master'),
  time: duration(30),
  dest: required(repeated(oneOf(['file', 'dbms'] as const))),
  connection: str(),
  file: str(),
  platform: str(),
  trace: bool(false),
};
export const blockchainSyncSchema = schema('blockchain sync', shape);
export type BlockchainSyncConfig = Infer<typeof shape>;
