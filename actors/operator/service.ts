// The Operator service as the node sees it before (and while) its worker runs.
import { notYet, type ServiceDescriptor } from '../../runtime/service.js';
import { operatorSchema } from './config.js';

export const operatorService: ServiceDescriptor = {
  kind: 'operator',
  process: 'Operator',
  run: [['operator']],
  exit: ['operator'],
  yaml: 'operator',
  schema: operatorSchema,
  unavailable: notYet('the operator'),
};
