// The MSG Broker service as the node sees it before (and while) its worker runs.
import { notYet, type ServiceDescriptor } from '../../runtime/service.js';
import { messageBrokerSchema } from './config.js';

export const messageBrokerService: ServiceDescriptor = {
  kind: 'message-broker',
  process: 'MSG Broker',
  run: [['message', 'broker']],
  exit: ['broker'],
  yaml: 'message_broker',
  schema: messageBrokerSchema,
  unavailable: notYet('the message broker'),
  positional: ['external_ip', 'external_port', 'internal_ip', 'internal_port', 'threads'],
  idleDetails: 'No active connection',
};
