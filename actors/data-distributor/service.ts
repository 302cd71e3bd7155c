// The Distributor service as the node sees it (seed 003 "Invoking the Data Distributor Process"):
//   run data distributor where cluster_id = .. and distr_dir = .. and archive_dir = .. [and compress = true]
//   get distributor [where format = json]
//   exit distributor
// and `run ha` / `exit ha` (ha.ts), which start and stop the distributor and the consumer together.
import { statsCommand } from '../../node/commands/stats-command.js';
import { actorEntry, type ServiceDescriptor } from '../../node/service.js';
import { dataDistributorSchema, type DataDistributorConfig } from './config.js';
import { exitHa, runHa } from './ha.js';
import { DATA_DISTRIBUTOR } from './messages.js';

const KIND = 'data-distributor';

const getDistributor = statsCommand({
  words: ['get', 'distributor'],
  kind: KIND,
  topics: [],
  idle: () => 'Distributor not active',
  ask: (node, _topic, format) => node.ask(DATA_DISTRIBUTOR, { type: 'distributor.stats', format }),
});

export const dataDistributorService: ServiceDescriptor = {
  kind: KIND,
  process: 'Distributor',
  run: [['data', 'distributor']],
  exit: ['distributor'],
  yaml: 'data_distributor',
  schema: dataDistributorSchema,
  entry: actorEntry(import.meta.url),
  restart: 'permanent',
  shutdownMs: 5000,
  details(instances, node) {
    const cfg = instances[0]?.config as DataDistributorConfig | undefined;
    if (!cfg) return '';
    return `Cluster: ${cfg.cluster_id ?? 'of this operator'}, Distr dir: ${cfg.distr_dir ?? node.resolve('!distr_dir')}, Compress: ${cfg.compress ? 'True' : 'False'}`;
  },
  commands: [getDistributor, runHa, exitHa],
};
