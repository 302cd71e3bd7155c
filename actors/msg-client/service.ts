// The MQTT service as the node sees it before (and while) its worker runs.
import { notYet, type ServiceDescriptor } from '../../runtime/service.js';
import { msgClientSchema } from './config.js';

export const msgClientService: ServiceDescriptor = {
  kind: 'msg-client',
  process: 'MQTT',
  run: [
    ['msg', 'client'],
    ['mqtt', 'client'],
  ],
  exit: ['mqtt', 'msg client'],
  yaml: 'msg_client',
  schema: msgClientSchema,
  unavailable: notYet('the message client (MQTT)'),
  multi: true,
};
