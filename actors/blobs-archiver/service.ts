// The Blobs Archiver service as the node sees it before (and while) its worker runs.
import { notYet, type ServiceDescriptor } from '../../runtime/service.js';
import { blobsArchiverSchema } from './config.js';

export const blobsArchiverService: ServiceDescriptor = {
  kind: 'blobs-archiver',
  process: 'Blobs Archiver',
  run: [['blobs', 'archiver']],
  exit: ['archiver', 'blobs'],
  yaml: 'blobs_archiver',
  schema: blobsArchiverSchema,
  unavailable: notYet('the blobs archiver'),
};
