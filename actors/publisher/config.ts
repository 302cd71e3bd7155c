// `run publisher where watch_dir, bkup_dir, error_dir, delete_json, delete_sql, compress_json, compress_sql,
// company, master_node` (seed 003, Publisher Process).
import { bool, schema, str, type Infer } from '../../runtime/config/schema.js';

const shape = {
  watch_dir: str(),
  bkup_dir: str(),
  error_dir: str(),
  delete_json: bool(false),
  delete_sql: bool(false),
  compress_json: bool(false),
  compress_sql: bool(false),
  company: str(),
  master_node: str(),
  blockchain: str(),
};
export const publisherSchema = schema('publisher', shape, { aliases: { err_dir: 'error_dir' } });
export type PublisherConfig = Infer<typeof shape>;
