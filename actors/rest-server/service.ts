// The REST service as the node sees it before (and while) its worker runs.
import { notYet, type ServiceDescriptor } from '../../runtime/service.js';
import { restServerSchema } from './config.js';

export const restServerService: ServiceDescriptor = {
  kind: 'rest-server',
  process: 'REST',
  run: [['rest', 'server']],
  exit: ['rest'],
  yaml: 'rest_server',
  schema: restServerSchema,
  unavailable: notYet('the REST server'),
  positional: ['external_ip', 'external_port'],
};
