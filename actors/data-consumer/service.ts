// The Consumer service as the node sees it (seed 003 "Invoking the Data Consumer Process"):
//   run data consumer where start_date = -3d [and end_date = ..] [and mode = active|suspend] [and cluster_id = ..]
//                          [and interval = 10 seconds] [and max_requests = 100]
//   set consumer mode = suspend|active
//   get consumer [summary|files] [where format = json]
//   exit consumer
// and the `time file` commands the consumers of a cluster ask each other (time-file.ts), which every node
// answers whether or not its own consumer runs.
import { CommandError } from '../../base/errors.js';
import { argWords } from '../../node/commands/args.js';
import { statsCommand } from '../../node/commands/stats-command.js';
import { actorEntry, type CommandSpec, type ServiceDescriptor } from '../../node/service.js';
import { CONSUMER_MODES, dataConsumerSchema, type ConsumerMode, type DataConsumerConfig } from './config.js';
import { DATA_CONSUMER, CONSUMER_KIND, CONSUMER_SETTING, type ConsumerTopic } from './messages.js';
import { timeFileCommands } from './time-file.js';
import { Status } from '../../base/status.js';

const getConsumer = statsCommand<ConsumerTopic>({
  words: ['get', 'consumer'],
  kind: CONSUMER_KIND,
  topics: ['summary', 'files'],
  defaultTopic: 'summary',
  idle: () => 'Consumer not active',
  ask: (node, topic = 'summary', format) => node.ask(DATA_CONSUMER, { type: 'consumer.stats', topic, format }),
});

const setConsumerMode: CommandSpec = {
  words: ['set', 'consumer', 'mode'],
  method: 'post',
  usage: 'set consumer mode = suspend|active',
  run(inv, node) {
    const words = argWords(inv, node);
    const mode = words[0] === '=' && words.length === 2 ? words[1]!.toLowerCase() : undefined;
    if (mode === undefined || !(CONSUMER_MODES as readonly string[]).includes(mode))
      throw new CommandError(`set consumer mode: expected 'set consumer mode = ${CONSUMER_MODES.join('|')}'`, {
        code: Status.CommandStructure,
      });
    const id = node.instances(CONSUMER_KIND).find((i) => i.status === 'running' || i.status === 'restarting')?.id;
    if (!id)
      throw new CommandError('set consumer mode: the consumer is not running (run data consumer first)', {
        code: Status.CommandStructure,
      });
    node.settings.set(CONSUMER_SETTING, { mode: mode as ConsumerMode });
    node.send(DATA_CONSUMER, { type: 'consumer.mode', mode: mode as ConsumerMode });
    return '';
  },
};

export const dataConsumerService: ServiceDescriptor = {
  kind: CONSUMER_KIND,
  process: 'Consumer',
  run: [['data', 'consumer']],
  exit: ['consumer'],
  yaml: 'data_consumer',
  schema: dataConsumerSchema,
  entry: actorEntry(import.meta.url),
  restart: 'permanent',
  shutdownMs: 5000,
  details(instances, node) {
    const cfg = instances[0]?.config as DataConsumerConfig | undefined;
    if (!cfg) return '';
    const mode = node.settings.get(CONSUMER_SETTING)?.mode ?? cfg.mode;
    return `Mode: ${mode}, Start date: ${cfg.start_date}, End date: ${cfg.end_date ?? 'now'}, Cluster: ${cfg.cluster_id ?? 'of this operator'}`;
  },
  afterStop(_id, node) {
    // A later `run data consumer` starts in the mode it names.
    node.settings.delete(CONSUMER_SETTING);
  },
  commands: [getConsumer, setConsumerMode, ...timeFileCommands],
};
