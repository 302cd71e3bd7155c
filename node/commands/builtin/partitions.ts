// `partition <dbms> <table> using <column> by <interval>`, `get partitions`, `drop partition` (EdgeLake: member_cmd.py
// `_partition_data`, `_drop_partition`): the declarations the operator lands rows by (actors/operator/partition.ts).
import { formatTable } from '../../../protocols/format/table.js';
import { isSafeIdentifier, normalizeColumnName } from '../../../storage/schema/names.js';
import { parseInterval, partitionParent } from '../../../storage/schema/partitions.js';
import { dbmsNoticeTo, PARTITIONS } from '../../notices.js';
import type { CommandSpec } from '../../service.js';
import { argWords, whereObject, structure } from '../args.js';

export const partitionCommands: CommandSpec[] = [
  {
    words: ['partition'],
    minWords: 2,
    method: 'post',
    usage: 'partition <dbms> <table>|* using <column> by [<n>] year|month|day|hour (weeks: 7n days)',
    run(inv, node) {
      // EdgeLake: member_cmd.py `_partition_data` (the interval as two words or one quoted text).
      const w = argWords(inv, node);
      const [dbms, table, using, column, by, ...interval] = w;
      const iv = interval.join(' ');
      const col = column === undefined ? undefined : normalizeColumnName(column);
      if (!dbms || !table || using !== 'using' || !col || !isSafeIdentifier(col) || by !== 'by' || !parseInterval(iv))
        throw structure('partition: expected partition <dbms> <table> using <column> by [<n>] year|month|day|hour');
      const list = (node.settings.get(PARTITIONS) ?? []).filter((p) => !(p.dbms === dbms && p.table === table));
      list.push({ dbms, table, column: col, interval: iv });
      node.settings.set(PARTITIONS, list);
      // A running operator splits the rows it lands from now on (actors/operator/partition.ts).
      for (const i of node.instances('operator')) node.send(dbmsNoticeTo(i.id), { type: 'operator.partitions', list });
      return '';
    },
  },
  {
    words: ['get', 'partitions'],
    method: 'get',
    usage: 'get partitions',
    run(_inv, node) {
      const list = node.settings.get(PARTITIONS) ?? [];
      return formatTable(
        ['DBMS', 'Table', 'Column', 'Interval'],
        list.map((p) => [p.dbms, p.table, p.column, p.interval]),
      );
    },
  },
  {
    words: ['drop', 'partition'],
    method: 'post',
    usage: 'drop partition [<name>|*] where dbms = <dbms> and table = <table>|* [and keep = <n>]',
    // EdgeLake: member_cmd.py `_drop_partition` and `drop_table_partition`: without a name, the oldest partition
    // (with `keep = n`: the oldest ones until n are left); a table with one partition keeps it. Partition names
    // sort by their date key (zero-padded), so the oldest sort first.
    async run(inv, node) {
      const o = whereObject(inv, node);
      const dbms = o['dbms'];
      const table = o['table'];
      const keep = o['keep'] === undefined ? undefined : Number(o['keep']);
      if (
        typeof dbms !== 'string' ||
        typeof table !== 'string' ||
        (keep !== undefined && !(Number.isInteger(keep) && keep >= 0))
      )
        throw structure("drop partition: expected 'where dbms = .. and table = .. [and keep = n]'");
      if (!node.dbms.has(dbms)) return ''; // nothing partitioned in a database this node does not keep
      const [named] = argWords(inv, node);
      const byTable = new Map<string, string[]>();
      for (const t of await node.dbms.reader(dbms).listTables()) {
        const parent = partitionParent(t);
        if (parent === undefined || !isSafeIdentifier(t) || (table !== '*' && parent !== table.toLowerCase())) continue;
        if (named !== undefined && named !== '*' && t !== named) continue;
        byTable.set(parent, [...(byTable.get(parent) ?? []), t]);
      }
      const drop: string[] = [];
      for (const list of byTable.values()) {
        list.sort();
        if (named !== undefined) drop.push(...list);
        else if (list.length > 1) drop.push(...list.slice(0, keep ? Math.max(0, list.length - keep) : 1));
      }
      if (drop.length > 0)
        await node.dbms.ddl(
          dbms,
          // A safe identifier holds no '"' (storage/schema/names.ts): quoted as is.
          drop.map((t) => `DROP TABLE IF EXISTS "${t}"`),
        );
      // A running operator forgets the partition tables it knew (a late row recreates its partition).
      if (drop.length > 0)
        for (const i of node.instances('operator'))
          node.send(dbmsNoticeTo(i.id), { type: 'operator.partitions', list: node.settings.get(PARTITIONS) ?? [] });
      return '';
    },
  },
];
