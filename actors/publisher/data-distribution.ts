// `set data distribution` and `get data distribution` (AnyLog "Set data distribution": "Define the destination of
// data based on the database and table assigned to the data. Force a publisher to a defined distribution of the
// data"; AnyLog's publisher keeps them in memory, round robin over the destinations):
//   set data distribution where dbms = <dbms>|* [and table = <table>|*] and dest = <ip:port> [and dest = ...]
//   set data distribution where dbms = <dbms> [and table = <table>] and remove = true
//   get data distribution [where dbms = .. and table = ..] [and format = json]     DBMS|Table|Destinations|Files
// The rules live on the node (they may be set before the publisher runs) and come first in the publisher's routing
// (route.ts): the most specific rule (dbms and table, then dbms and *, then *) names the operators, which take the
// files of a table in turn (the publisher's round robin is per table); a destination that is down passes its file
// to the next one. Files: what the running publisher
// delivered to that destination for the rule's tables.
// Not the HA data distributor (actors/data-distributor), which copies an operator's files to its cluster.
import { CommandError } from '../../base/errors.js';
import { runningInstance } from '../../node/service.js';
import { formatOf, whereObject, withKeyPositions } from '../../node/commands/args.js';
import { bool, ipPort, repeated, required, schema, str } from '../../runtime/config/schema.js';
import { formatTable, pyJson } from '../../protocols/format/table.js';
import type { CommandSpec, NodeApi } from '../../node/service.js';
import { PUBLISHER } from './messages.js';
import { DISTRIBUTION_SETTING, ruleFor } from './distribution-rules.js';
import { Status } from '../../base/status.js';

const setSchema = schema('set data distribution', {
  dbms: required(str()),
  table: str('*'),
  dest: repeated(ipPort()),
  remove: bool(false),
});

const lower = (s: string): string => s.toLowerCase();

const setDataDistribution: CommandSpec = {
  words: ['set', 'data', 'distribution'],
  method: 'post',
  usage:
    'set data distribution where dbms = <dbms> and table = <table>|* and dest = <ip:port> [and dest = ..] | and remove = true',
  run(inv, node) {
    const o = withKeyPositions(inv.where, () => setSchema.parse(whereObject(inv, node), 'set data distribution'));
    const dbms = lower(o.dbms);
    const table = lower(o.table);
    const rules = (node.settings.get(DISTRIBUTION_SETTING) ?? []).filter((r) => r.dbms !== dbms || r.table !== table);
    if (!o.remove) {
      // AnyLog: "Data distribution error: command requires 'dest' value or 'remove = True'"
      if (!o.dest || o.dest.length === 0)
        throw new CommandError("Data distribution error: command requires 'dest' value or 'remove = True'", {
          code: Status.CommandStructure,
        });
      rules.push({ dbms, table, dest: [...new Set(o.dest)] });
    }
    node.settings.set(DISTRIBUTION_SETTING, rules);
    return '';
  },
};

interface FileRow {
  DBMS: string;
  table: string;
  Destination: string;
  Files: number;
}

async function deliveredFiles(node: NodeApi): Promise<FileRow[]> {
  const id = runningInstance(node, 'publisher')?.id;
  if (!id) return [];
  const text = await node.ask(PUBLISHER, {
    type: 'publisher.stats',
    topic: 'files',
    format: 'json',
  });
  return JSON.parse(text) as FileRow[];
}

const getDataDistribution: CommandSpec = {
  words: ['get', 'data', 'distribution'],
  method: 'get',
  usage: 'get data distribution [where dbms = .. and table = ..] [and format = json]',
  async run(inv, node) {
    const where = whereObject(inv, node);
    const format = formatOf(inv, node);
    const want = (k: string, v: string): boolean => where[k] === undefined || lower(String(where[k])) === v;
    const all = node.settings.get(DISTRIBUTION_SETTING) ?? [];
    const delivered = await deliveredFiles(node);
    const rows = all
      .filter((r) => want('dbms', r.dbms) && want('table', r.table))
      .flatMap((r) =>
        r.dest.map((d) => ({
          DBMS: r.dbms,
          Table: r.table,
          Destinations: d,
          Files: delivered
            .filter((f) => f.Destination === d && ruleFor(all, f.DBMS, f.table) === r)
            .reduce((n, f) => n + f.Files, 0),
        })),
      );
    if (format === 'json') return pyJson(rows);
    // AnyLog shows dbms and table once per rule.
    return formatTable(
      ['DBMS', 'Table', 'Destinations', 'Files'],
      rows.map((r, i) => {
        const first = i === 0 || rows[i - 1]!.DBMS !== r.DBMS || rows[i - 1]!.Table !== r.Table;
        return [first ? r.DBMS : '', first ? r.Table : '', r.Destinations, r.Files];
      }),
    );
  },
};

export const dataDistributionCommands: readonly CommandSpec[] = [setDataDistribution, getDataDistribution];
