// The Streamer service as the node sees it before (and while) its worker runs.
import { notYet, type ServiceDescriptor } from '../../runtime/service.js';
import { streamerSchema } from './config.js';

export const streamerService: ServiceDescriptor = {
  kind: 'streamer',
  process: 'Streamer',
  run: [['streamer']],
  exit: ['streamer'],
  yaml: 'streamer',
  schema: streamerSchema,
  unavailable: notYet('the streamer'),
};
