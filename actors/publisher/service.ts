// The Publisher service as the node sees it: `run publisher where ...` (seed 003 options), `get publisher
// [files|summary] [where format = json]`, `exit publisher`, and its `get processes` details.
import { statsCommand } from '../../node/commands/stats-command.js';
import { actorEntry, type ServiceDescriptor } from '../../node/service.js';
import { publisherSchema, type PublisherConfig } from './config.js';
import { PUBLISHER, type PublisherTopic } from './messages.js';
import { dataDistributionCommands } from './data-distribution.js';

const KIND = 'publisher';

const getPublisher = statsCommand<PublisherTopic>({
  words: ['get', 'publisher'],
  kind: KIND,
  topics: ['files', 'summary'],
  defaultTopic: 'files',
  idle: () => 'Publisher not active',
  ask: (node, topic = 'files', format) => node.ask(PUBLISHER, { type: 'publisher.stats', topic, format }),
});

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
