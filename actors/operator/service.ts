// The Operator service as the node sees it: `run operator where ...` (every option of seed 003 and
// EdgeLake's operator), `get operator [json|sql|inserts|error|summary|config] [where format = json]`,
// and its `get processes` details (`Cluster Member: False, Using Master: False, Threads Pool: 1`).
import { statsCommand } from '../../node/commands/stats-command.js';
import { actorEntry, type ServiceDescriptor } from '../../node/service.js';
import { operatorSchema, type OperatorConfig } from './config.js';
import { OPERATOR, type OperatorTopic } from './messages.js';

const KIND = 'operator';

const getOperator = statsCommand<OperatorTopic>({
  words: ['get', 'operator'],
  kind: KIND,
  topics: ['json', 'sql', 'inserts', 'error', 'summary', 'config', 'retry'],
  // EdgeLake: a stopped operator shows its configuration only.
  idle: (topic) =>
    topic === undefined || topic === 'config'
      ? '\r\n\nStats: OPERATOR CONFIG\r\nOperator not active\r\n'
      : 'Operator not active',
  ask: (node, topic, format) =>
    node.ask(OPERATOR, {
      type: 'operator.stats',
      topics: topic === undefined ? ['json', 'sql', 'inserts', 'error'] : [topic],
      format,
    }),
});

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
  details(instances) {
    const cfg = instances[0]?.config as OperatorConfig | undefined;
    if (!cfg) return '';
    return `Cluster Member: ${cfg.policy ? 'True' : 'False'}, Using Master: ${cfg.master_node ?? 'False'}, Threads Pool: ${cfg.threads}`;
  },
  commands: [getOperator],
};
