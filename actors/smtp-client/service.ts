// The SMTP service as the node sees it before (and while) its worker runs.
import { notYet, type ServiceDescriptor } from '../../runtime/service.js';
import { smtpClientSchema } from './config.js';

export const smtpClientService: ServiceDescriptor = {
  kind: 'smtp-client',
  process: 'SMTP',
  run: [['smtp', 'client']],
  exit: ['smtp'],
  yaml: 'smtp_client',
  schema: smtpClientSchema,
  unavailable: notYet('the SMTP client'),
};
