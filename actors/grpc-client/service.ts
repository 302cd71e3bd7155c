// The gRPC service as the node sees it before (and while) its worker runs.
import { notYet, type ServiceDescriptor } from '../../runtime/service.js';
import { grpcClientSchema } from './config.js';

export const grpcClientService: ServiceDescriptor = {
  kind: 'grpc-client',
  process: 'gRPC',
  run: [['grpc', 'client']],
  exit: ['grpc'],
  yaml: 'grpc_client',
  schema: grpcClientSchema,
  unavailable: notYet('the gRPC client'),
  multi: true,
};
