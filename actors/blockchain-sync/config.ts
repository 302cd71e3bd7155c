// `run blockchain sync where source = master|blockchain|dbms and time = 30 seconds and dest = file
// [and dest = dbms] and connection = ip:port [and platform = ethereum] [and file = ..]`
// (EdgeLake member_cmd.py L11685-11700). `dest` may repeat.
import { duration, oneOf, repeated, schema, str, bool, type Infer } from '../../runtime/config/schema.js';

const shape = {
  source: oneOf(['master', 'blockchain', 'dbms'] as const, 'master'),
  time: duration(30),
  dest: repeated(oneOf(['file', 'dbms'] as const)),
  connection: str(),
  file: str(),
  platform: str(),
  trace: bool(false),
};
export const blockchainSyncSchema = schema('blockchain sync', shape);
export type BlockchainSyncConfig = Infer<typeof shape>;
