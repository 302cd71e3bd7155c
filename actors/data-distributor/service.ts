// The Distributor service as the node sees it before (and while) its worker runs.
import { notYet, type ServiceDescriptor } from '../../runtime/service.js';
import { dataDistributorSchema } from './config.js';

export const dataDistributorService: ServiceDescriptor = {
  kind: 'data-distributor',
  process: 'Distributor',
  run: [['data', 'distributor']],
  exit: ['distributor'],
  yaml: 'data_distributor',
  schema: dataDistributorSchema,
  unavailable: notYet('the HA data distributor'),
};
