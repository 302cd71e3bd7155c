// The Consumer service as the node sees it before (and while) its worker runs.
import { notYet, type ServiceDescriptor } from '../../runtime/service.js';
import { dataConsumerSchema } from './config.js';

export const dataConsumerService: ServiceDescriptor = {
  kind: 'data-consumer',
  process: 'Consumer',
  run: [['data', 'consumer']],
  exit: ['consumer'],
  yaml: 'data_consumer',
  schema: dataConsumerSchema,
  unavailable: notYet('the HA data consumer'),
};
