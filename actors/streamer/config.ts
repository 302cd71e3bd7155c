// `run streamer [where prep_dir, watch_dir, err_dir]` (EdgeLake member_cmd.py L8846-8870).
import { schema, str, type Infer } from '../../runtime/config/schema.js';

const shape = {
  prep_dir: str(),
  watch_dir: str(),
  err_dir: str(),
};
export const streamerSchema = schema('streamer', shape);
export type StreamerConfig = Infer<typeof shape>;
