// `run data distributor where cluster_id, distr_dir, archive_dir` (seed 003, HA Process).
import { schema, str, type Infer } from '../../runtime/config/schema.js';

const shape = {
  cluster_id: str(),
  distr_dir: str(),
  archive_dir: str(),
};
export const dataDistributorSchema = schema('data distributor', shape);
export type DataDistributorConfig = Infer<typeof shape>;
