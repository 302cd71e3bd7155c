// The Blockchain Sync service as the node sees it before (and while) its worker runs.
import { notYet, type ServiceDescriptor } from '../../runtime/service.js';
import { blockchainSyncSchema } from './config.js';

export const blockchainSyncService: ServiceDescriptor = {
  kind: 'blockchain-sync',
  process: 'Blockchain Sync',
  run: [['blockchain', 'sync']],
  exit: ['synchronizer', 'sync'],
  yaml: 'blockchain_sync',
  schema: blockchainSyncSchema,
  unavailable: notYet('the blockchain synchronizer'),
};
