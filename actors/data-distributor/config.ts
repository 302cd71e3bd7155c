// `run data distributor where cluster_id, distr_dir, archive_dir` (seed 003, HA Process), plus `compress`
// (seed 003: "Before the data is copied to a member machine, the data is compressed"; false sends the JSON as is).
import { bool, schema, str, type Infer } from '../../runtime/config/schema.js';

const shape = {
  cluster_id: str(undefined, {
    doc: 'cluster policy id (default: the cluster of the operator policy naming this node)',
  }),
  distr_dir: str(undefined, { doc: 'files to distribute (default !distr_dir)' }),
  archive_dir: str(undefined, { doc: 'where a file goes once every member has it (default !archive_dir)' }),
  compress: bool(true, { doc: 'send files gzip-compressed (the receiver decompresses them)' }),
};
export const dataDistributorSchema = schema('data distributor', shape);
export type DataDistributorConfig = Infer<typeof shape>;
