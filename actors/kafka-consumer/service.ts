// The Kafka Consumer service as the node sees it before (and while) its worker runs.
import { notYet, type ServiceDescriptor } from '../../runtime/service.js';
import { kafkaConsumerSchema } from './config.js';

export const kafkaConsumerService: ServiceDescriptor = {
  kind: 'kafka-consumer',
  process: 'Kafka Consumer',
  run: [['kafka', 'consumer']],
  exit: ['kafka'],
  yaml: 'kafka_consumer',
  schema: kafkaConsumerSchema,
  unavailable: notYet('the Kafka consumer'),
};
