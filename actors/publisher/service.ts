// The Publisher service as the node sees it before (and while) its worker runs.
import { notYet, type ServiceDescriptor } from '../../runtime/service.js';
import { publisherSchema } from './config.js';

export const publisherService: ServiceDescriptor = {
  kind: 'publisher',
  process: 'Publisher',
  run: [['publisher']],
  exit: ['publisher'],
  yaml: 'publisher',
  schema: publisherSchema,
  unavailable: notYet('the publisher'),
};
