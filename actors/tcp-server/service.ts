// The TCP service as the node sees it before (and while) its worker runs.
import { notYet, type ServiceDescriptor } from '../../runtime/service.js';
import { tcpServerSchema } from './config.js';

export const tcpServerService: ServiceDescriptor = {
  kind: 'tcp-server',
  process: 'TCP',
  run: [['tcp', 'server']],
  exit: ['tcp'],
  yaml: 'tcp_server',
  schema: tcpServerSchema,
  unavailable: notYet('the TCP server (EdgeLake peer protocol)'),
  positional: ['external_ip', 'external_port', 'internal_ip', 'internal_port', 'threads'],
};
