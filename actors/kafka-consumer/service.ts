// The Kafka Consumer service as the node sees it:
//   run kafka consumer where ip = .. and port = .. [and reset = latest|earliest] and topic = (...)
//   exit kafka
//   get kafka consumer [where format = json]   (edgelake-rt: EdgeLake shows Kafka only inside
//                                               `get msg clients`, as `Connection: Kafka Consumer`)
// `get processes` Details: `Kafka consumer configured to <ip:port>` (EdgeLake al_kafka.py get_info).
import { formatOf } from '../../node/commands/args.js';
import { formatTable, pyJson } from '../../protocols/format/table.js';
import {
  actorEntry,
  type CommandSpec,
  type NodeApi,
  type ServiceDescriptor,
  runningInstance,
} from '../../node/service.js';
import { kafkaConsumerSchema } from './config.js';
import { KAFKA_CONSUMER, type KafkaStatus } from './messages.js';

const KIND = 'kafka-consumer';

async function status(node: NodeApi): Promise<KafkaStatus | undefined> {
  const id = runningInstance(node, KIND)?.id;
  return id ? node.ask(KAFKA_CONSUMER, { type: 'kafka.status' }, 5000) : undefined;
}

export function formatKafkaStatus(s: KafkaStatus): string {
  const head = `\r\nKafka consumer configured to ${s.broker}\r\nGroup:        ${s.group}\r\nReset:        ${s.reset}\r\nConnection:   ${s.connection}\r\nReconnects:   ${s.reconnects}\r\n`;
  const topics = formatTable(
    [
      'Topic',
      'Mapping',
      'Messages',
      'Success',
      'Errors',
      'Rows',
      'Skipped',
      'Last message time',
      'Last error time',
      'Last Error',
    ],
    s.topics.map((t) => [
      t.topic,
      t.mapping,
      t.messages,
      t.success,
      t.errors,
      t.rows,
      t.skipped,
      t.lastMessageTime,
      t.lastErrorTime,
      t.lastError,
    ]),
    { header: 'Subscribed Topics:' },
  );
  const parts = formatTable(
    ['Topic', 'Partition', 'Durable Offset', 'Committed Offset'],
    s.partitions.map((p) => [p.topic, p.partition, p.durable, p.committed]),
    { header: 'Partitions:' },
  );
  const reasons = s.topics.filter((t) => t.lastReason !== '').map((t) => `${t.topic}: ${t.lastReason}`);
  return `${head}\r\n${topics}\r\n${parts}${reasons.length > 0 ? `\r\nLast error reasons:\r\n${reasons.join('\r\n')}\r\n` : ''}`;
}

const getKafka: CommandSpec = {
  words: ['get', 'kafka', 'consumer'],
  method: 'get',
  usage: 'get kafka consumer [where format = json]',
  async run(inv, node) {
    const format = formatOf(inv, node);
    const s = await status(node);
    if (!s) return format === 'json' ? '{}' : 'No Kafka consumer';
    return format === 'json' ? pyJson(s) : formatKafkaStatus(s);
  },
};

export const kafkaConsumerService: ServiceDescriptor = {
  kind: KIND,
  process: 'Kafka Consumer',
  run: [['kafka', 'consumer']],
  exit: ['kafka'],
  yaml: 'kafka_consumer',
  schema: kafkaConsumerSchema,
  entry: actorEntry(import.meta.url),
  restart: 'permanent',
  shutdownMs: 10_000,
  consumes: [],
  details(instances) {
    const cfg = instances[0]?.config as { ip?: string; port?: number } | undefined;
    return cfg ? `Kafka consumer configured to ${cfg.ip}:${cfg.port}` : '';
  },
  commands: [getKafka],
};
