// The Blockchain Sync service as the node sees it:
//   run blockchain sync where source = master and time = 30 seconds and dest = file and connection = <ip:port>
//   run blockchain sync                  (no options) a sync within 10 seconds (seed 003 "Forcing synchronization")
//   get synchronizer [where format = json]   EdgeLake's columns (member_cmd.py L15588-15620)
//   exit synchronizer | exit sync
// and its `get processes` details: `Sync every <n> seconds with master using: <ip:port>` (bsync.py L247-250).
import { CommandError, errorMessage } from '../../base/errors.js';
import { formatOf, withKeyPositions } from '../../node/commands/args.js';
import { runOptions } from '../../node/commands/builtin/services.js';
import { SYNC_KIND, ledgerOf, triggerSync } from '../../node/commands/builtin/blockchain.js';
import { hasLedgerTable } from '../../node/commands/builtin/tables.js';
import { formatTable, pyJson } from '../../protocols/format/table.js';
import {
  actorEntry,
  type CommandSpec,
  type NodeApi,
  type ServiceDescriptor,
  runningInstance,
  withNodeDefaults,
} from '../../node/service.js';
import { blockchainSyncSchema } from './config.js';
import { BLOCKCHAIN_SYNC, type SyncInfo } from './messages.js';
import { Status } from '../../base/status.js';

function running(node: NodeApi): string | undefined {
  return runningInstance(node, SYNC_KIND)?.id;
}

async function info(node: NodeApi): Promise<SyncInfo | undefined> {
  const id = running(node);
  return id ? node.ask(BLOCKCHAIN_SYNC, { type: 'sync.info' }) : undefined;
}

const hms = (ms: number): string => {
  const s = Math.max(0, Math.floor(ms / 1000));
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${p(Math.floor(s / 3600))}:${p(Math.floor((s % 3600) / 60))}:${p(s % 60)}`;
};

const getSynchronizer: CommandSpec = {
  words: ['get', 'synchronizer'],
  method: 'get',
  usage: 'get synchronizer [where format = json]',
  async run(inv, node) {
    const i = await info(node);
    const ledger = ledgerOf(node);
    const s = ledger.stats;
    const row = {
      Status: i ? 'Running' : 'Not Running',
      'Sync Source': i?.source ?? 'Not declared',
      Connection: i?.connection ?? 'Not declared',
      'Sync Time': i?.time ?? -1,
      'Metadata Version': ledger.version(),
      'Time Since Update': s.updatedAt === undefined ? 'Not updated' : hms(Date.now() - s.updatedAt),
      Calls: i?.calls ?? 0,
      Loads: s.loads,
      Policies: ledger.count(),
      'Sync OK': s.syncOk,
      // EdgeLake member_cmd.py `get_synchronizer` counts failed merges; a sync whose master cannot be reached
      // fails too, so it is counted (else Sync Err stays 0 while every sync fails).
      'Sync Err': s.syncErr + (i?.failures ?? 0),
    };
    if (formatOf(inv, node) === 'json') return pyJson(row);
    return formatTable(
      [
        'Status',
        'Sync\nSource',
        'Connection',
        'Sync\nTime',
        'Metadata Version',
        'Time\nSince Update',
        'Calls',
        'Loads',
        'Policies',
        'Sync OK',
        'Sync Err',
      ],
      [Object.values(row)],
    );
  },
};

const runSync: CommandSpec = {
  words: ['run', 'blockchain', 'sync'],
  method: 'post',
  usage:
    'run blockchain sync [where source = master and time = <n> seconds and dest = file and connection = <ip:port>]',
  async run(inv, node) {
    if (inv.args.length === 0 && !inv.where) {
      if (!triggerSync(node))
        throw new CommandError(
          'run blockchain sync: the synchronizer is not running (run blockchain sync where source = master and ...)',
          { code: Status.CommandStructure },
        );
      return '';
    }
    const desc = node.service(SYNC_KIND)!;
    const raw = runOptions(desc, inv, node);
    withKeyPositions(inv.where, () => desc.schema.parse(withNodeDefaults(desc, node, raw), 'run blockchain sync'));
    await node.startService(desc, raw, inv.env);
    return '';
  },
};

export const blockchainSyncService: ServiceDescriptor = {
  kind: SYNC_KIND,
  process: 'Blockchain Sync',
  run: [['blockchain', 'sync']],
  exit: ['synchronizer', 'sync'],
  yaml: 'blockchain_sync',
  schema: blockchainSyncSchema,
  entry: actorEntry(import.meta.url),
  restart: 'permanent',
  shutdownMs: 3000,
  startupError: 'error',
  async check(config, node) {
    // EdgeLake member_cmd.py `_blockchain_sync` refuses dest = dbms without the table; source = dbms reads it
    // (bsync.py `master_synchronizer` ends at once without it), so it is refused here too.
    const dest = config['dest'];
    const needs = config['source'] === 'dbms' || (Array.isArray(dest) && dest.includes('dbms'));
    if (needs && !(await hasLedgerTable(node)))
      throw new CommandError(
        "Failed to run blockchain sync process: Table 'ledger' in 'blockchain' dbms not available (connect dbms blockchain ... and create table ledger where dbms = blockchain)",
        { code: Status.ProcessFailure },
      );
  },
  async details(instances, node) {
    if (!instances.some((x) => x.status === 'running')) return '';
    try {
      const i = await info(node);
      if (!i) return '';
      if (i.source === 'DBMS')
        return i.lastError
          ? `Failed to read table blockchain.ledger: ${i.lastError}`
          : `Sync every ${i.time} seconds to local blockchain file`;
      return i.lastError
        ? `Failed to connect to master using: ${i.connection}`
        : `Sync every ${i.time} seconds with master using: ${i.connection}`;
    } catch (err) {
      return `(details unavailable: ${errorMessage(err)})`;
    }
  },
  commands: [getSynchronizer, runSync],
};
