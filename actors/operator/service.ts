// The Operator service as the node sees it: `run operator where ...` (every option of seed 003 and
// EdgeLake's operator), `get operator [json|sql|inserts|error|summary|config] [where format = json]`,
// and its `get processes` details (`Cluster Member: False, Using Master: False, Threads Pool: 1`).
import { CommandError } from '../../base/errors.js';
import { argWords, formatOf } from '../../node/commands/args.js';
import { actorEntry, type CommandSpec, type ServiceDescriptor, runningInstance } from '../../node/service.js';
import { operatorSchema, type OperatorConfig } from './config.js';
import { OPERATOR, type OperatorTopic } from './messages.js';
import { Status } from '../../base/status.js';

const KIND = 'operator';
const TOPICS: readonly OperatorTopic[] = ['json', 'sql', 'inserts', 'error', 'summary', 'config'];

const getOperator: CommandSpec = {
  words: ['get', 'operator'],
  method: 'get',
  usage: 'get operator [json|sql|inserts|error|summary|config] [where format = json]',
  async run(inv, node) {
    const [topic, extra] = argWords(inv, node);
    if (extra !== undefined)
      throw new CommandError(`get operator: one topic at most (${TOPICS.join(', ')})`, {
        code: Status.CommandStructure,
      });
    if (topic !== undefined && !TOPICS.includes(topic as OperatorTopic))
      throw new CommandError(`get operator: unknown topic '${topic}' (${TOPICS.join(', ')})`, {
        code: Status.CommandStructure,
      });
    const format = formatOf(inv, node) as 'table' | 'json';
    const id = runningInstance(node, KIND)?.id;
    // EdgeLake: a stopped operator shows its configuration only.
    if (!id)
      return topic === undefined || topic === 'config'
        ? '\r\n\nStats: OPERATOR CONFIG\r\nOperator not active\r\n'
        : `Operator not active`;
    const topics: OperatorTopic[] =
      topic === undefined ? ['json', 'sql', 'inserts', 'error'] : [topic as OperatorTopic];
    return node.ask(OPERATOR, { type: 'operator.stats', topics, format });
  },
};

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
