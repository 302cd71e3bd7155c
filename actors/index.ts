// The explicit, static registry of services (house style: no registration by import side effect,
// no import of a computed path). `get processes` lists them in EdgeLake's order (PROCESS_ORDER);
// this list's order is the order node.yaml services start in.
import type { ServiceDescriptor } from '../node/service.js';
import { tcpServerService } from './tcp-server/service.js';
import { restServerService } from './rest-server/service.js';
import { blockchainSyncService } from './blockchain-sync/service.js';
import { schedulerService } from './scheduler/service.js';
import { operatorService } from './operator/service.js';
import { streamerService } from './streamer/service.js';
import { publisherService } from './publisher/service.js';
import { blobsArchiverService } from './blobs-archiver/service.js';
import { messageBrokerService } from './message-broker/service.js';
import { msgClientService } from './msg-client/service.js';
import { smtpClientService } from './smtp-client/service.js';
import { kafkaConsumerService } from './kafka-consumer/service.js';
import { grpcClientService } from './grpc-client/service.js';
import { dataDistributorService } from './data-distributor/service.js';
import { dataConsumerService } from './data-consumer/service.js';
import { queryPoolService } from './query-pool/service.js';

export const SERVICES: readonly ServiceDescriptor[] = [
  tcpServerService,
  restServerService,
  blockchainSyncService,
  schedulerService,
  operatorService,
  streamerService,
  publisherService,
  blobsArchiverService,
  messageBrokerService,
  msgClientService,
  smtpClientService,
  kafkaConsumerService,
  grpcClientService,
  dataDistributorService,
  dataConsumerService,
  queryPoolService,
];
