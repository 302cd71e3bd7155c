// The Publisher service as the node sees it: `run publisher where ...` (seed 003 options), `get publisher
// [files|summary] [where format = json]`, `exit publisher`, and its `get processes` details.
import { CommandError } from '../../base/errors.js';
import { argWords, formatOf } from '../../node/commands/args.js';
import { actorEntry, type CommandSpec, type ServiceDescriptor, runningInstance } from '../../node/service.js';
import { publisherSchema, type PublisherConfig } from './config.js';
import { PUBLISHER, type PublisherTopic } from './messages.js';
import { dataDistributionCommands } from './data-distribution.js';
import { Status } from '../../base/status.js';

const KIND = 'publisher';
const TOPICS: readonly PublisherTopic[] = ['files', 'summary'];

const getPublisher: CommandSpec = {
  words: ['get', 'publisher'],
  method: 'get',
  usage: 'get publisher [files|summary] [where format = json]',
  async run(inv, node) {
    const [topic = 'files', extra] = argWords(inv, node);
    if (extra !== undefined || !TOPICS.includes(topic as PublisherTopic))
      throw new CommandError(`get publisher: one topic at most (${TOPICS.join(', ')})`, {
        code: Status.CommandStructure,
      });
    const format = formatOf(inv, node) as 'table' | 'json';
    const id = runningInstance(node, KIND)?.id;
    if (!id) return 'Publisher not active';
    return node.ask(PUBLISHER, {
      type: 'publisher.stats',
      topic: topic as PublisherTopic,
      format,
    });
  },
};

export const publisherService: ServiceDescriptor = {
  kind: KIND,
  process: 'Publisher',
  run: [['publisher']],
  exit: ['publisher'],
  yaml: 'publisher',
  schema: publisherSchema,
  entry: actorEntry(import.meta.url),
  restart: 'permanent',
  shutdownMs: 5000,
  details(instances) {
    const cfg = instances[0]?.config as PublisherConfig | undefined;
    if (!cfg) return '';
    return `Using Master: ${cfg.master_node ?? 'False'}, Delete JSON: ${cfg.delete_json ? 'True' : 'False'}, Compress JSON: ${cfg.compress_json ? 'True' : 'False'}`;
  },
  commands: [getPublisher, ...dataDistributionCommands],
};
