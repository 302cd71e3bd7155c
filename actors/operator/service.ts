// The Operator service as the node sees it: `run operator where ...` (every option of seed 003 and
// EdgeLake's operator), `get operator [json|sql|inserts|error|summary|config] [where format = json]`,
// and its `get processes` details (`Cluster Member: False, Using Master: False, Threads Pool: 1`).
import { statsCommand } from '../../node/commands/stats-command.js';
import { formatTable, pyJson } from '../../protocols/format/table.js';
import { actorEntry, type NodeApi, type ServiceDescriptor } from '../../node/service.js';
import { OPERATOR_WATCH_DIR } from '../_shared/watch-dir.js';
import { operatorSchema, type OperatorConfig } from './config.js';
import { OPERATOR, type OperatorTopic } from './messages.js';
import { checkWatchDir } from '../_shared/file-moves.js';
import { dirDictionary } from '../../node/layout.js';

const KIND = 'operator';

const getOperator = statsCommand<OperatorTopic>({
  words: ['get', 'operator'],
  kind: KIND,
  topics: ['json', 'sql', 'inserts', 'error', 'summary', 'config', 'retry'],
  // EdgeLake member_cmd.py `get_service_info`: a stopped operator shows its CONFIG topic whatever topic is asked,
  // stats.py `statistics_["operator"]["config"]` printed by `get_stat_dict_output` (titles capitalised).
  idle: (_topic, format) =>
    format === 'json'
      ? pyJson({ status: 'Not Active', 'operational time': '00:00:00' })
      : '\r\n\nStats: OPERATOR CONFIG' + formatTable(['Status', 'Operational time'], [['Not Active', '00:00:00']]),
  ask: (node, topic, format) =>
    node.ask(OPERATOR, {
      type: 'operator.stats',
      topics: topic === undefined ? ['json', 'sql', 'inserts', 'error'] : [topic],
      format,
      // The name now, which `set node name` may have changed since the worker started (stats.py `get_node_name`).
      nodeName: node.name,
    }),
});

/** The directory the operator watches: its `watch_dir`, else the node's `!watch_dir` (as the actor resolves it). */
function watchDirOf(config: Record<string, unknown>, node: NodeApi): string {
  return (config as OperatorConfig).watch_dir ?? dirDictionary(node.root)['watch_dir']!;
}

export const operatorService: ServiceDescriptor = {
  kind: KIND,
  process: 'Operator',
  run: [['operator']],
  exit: ['operator'],
  yaml: 'operator',
  schema: operatorSchema,
  entry: actorEntry(import.meta.url),
  restart: 'permanent',
  shutdownMs: 10_000,
  consumes: ['streamer'],
  // The watch directory must exist (EdgeLake: member_cmd.py `_run_operator` types watch_dir "dir", which
  // interpreter.py checks with utils_io.test_dir_exists_and_writeable); the other directories are created when
  // first written to.
  async check(config, node) {
    await checkWatchDir(watchDirOf(config, node), 'watch_dir');
  },
  // REST `mode: file` PUTs write into this operator's watch directory (actors/_shared/watch-dir.ts).
  afterStart(inst, node) {
    node.settings.set(OPERATOR_WATCH_DIR, watchDirOf(inst.config, node));
  },
  afterStop(_id, node) {
    node.settings.delete(OPERATOR_WATCH_DIR);
  },
  details(instances) {
    const cfg = instances[0]?.config as OperatorConfig | undefined;
    if (!cfg) return '';
    return `Cluster Member: ${cfg.policy ? 'True' : 'False'}, Using Master: ${cfg.master_node ?? 'False'}, Threads Pool: ${cfg.threads}`;
  },
  commands: [getOperator],
};
