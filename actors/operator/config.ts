// `run operator where ...`: every option of EdgeLake's operator (member_cmd.py L11777-11800) and of the
// seeds' option table. EdgeLake requires `policy`; edgelake-rt also runs standalone (no policy, no
// master), which is the embedded default. `archive` is the seeds' name for `archive_json`.
import { bool, int, list, schema, str, type Infer } from '../../runtime/config/schema.js';

const shape = {
  policy: str(undefined, { doc: 'id of the operator policy (optional on a standalone node)' }),
  watch_dir: str(),
  bkup_dir: str(),
  error_dir: str(),
  archive_dir: str(),
  distr_dir: str(),
  dbms: str(undefined, { doc: 'default dbms when a file name does not name a connected one' }),
  file_type: list(str(), ['json', 'sql', 'gz']),
  master_node: str(),
  blockchain: str(undefined, { doc: 'blockchain platform (EdgeLake); not supported here' }),
  company: str(),
  create_table: bool(true),
  update_tsd_info: bool(false),
  compress_json: bool(true),
  compress_sql: bool(true),
  archive_json: bool(true),
  archive_sql: bool(false),
  delete_json: bool(false),
  delete_sql: bool(false),
  move_json: bool(false),
  move_sql: bool(false),
  limit_tables: list(str()),
  distributor: bool(false),
  flush_streaming: bool(false),
  threads: int(1, { min: 1, max: 10 }),
};
export const operatorSchema = schema('operator', shape, {
  aliases: { err_dir: 'error_dir', archive: 'archive_json', craete_table: 'create_table' },
});
export type OperatorConfig = Infer<typeof shape>;
