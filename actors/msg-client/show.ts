// `get msg clients` as EdgeLake writes it (mqtt_client.py L526-756, show_info / show_stat /
// get_subscriptions_stat / get_subscriptions_info):
//   \r\nSubscription ID: 0001\r\nUser:         unused\r\nBroker:       127.0.0.1:1883\r\nConnection:   Connected\r\n
//   \r\n     Messages    Success     Errors      Last message time    Last error time      Last Error
//   \r\n     ----------  ...\r\n
//   <messages rjust 15><success rjust 12><errors rjust 12>  <last message time>[  <last error time>  <status text>]
//   then `Subscribed Topics:` Topic|Dynamic|QOS|DBMS|Table|Column name|Column Type|Mapping Function|Optional|Policies
// `statistics = true` puts Topic|Success|Failure|Last Error Time|Last Error and the totals first.
// edgelake-rt adds one line under the counters (rows stored, redelivered duplicates skipped, the mapping's
// own reason for the last error, which EdgeLake only wrote to its error log), and the columns Rows and
// Last Reason at the end of the statistics table.
import { formatTable, type Cell } from '../../protocols/format/table.js';
import { MAP_STATUS_TEXT, type MapCodeValue } from '../../protocols/mapping/index.js';
import type { MsgClientInfo } from './messages.js';

const STATUS_TEXT: Readonly<Record<number, string>> = {
  ...MAP_STATUS_TEXT,
  1: 'Failed to store the rows',
  159: 'Unrecognized MQTT topic',
};

export function statusText(code: number): string {
  return STATUS_TEXT[code as MapCodeValue] ?? `Error #${code}`;
}

const commas = (n: number): string => n.toLocaleString('en-US');

export interface ShownClient {
  /** EdgeLake's subscription id. */
  sub: number;
  info: MsgClientInfo;
}

export interface ShowOptions {
  id: number | undefined;
  detailed: boolean;
  broker: string | undefined;
  topic: string | undefined;
  statistics: boolean;
}

function counters(c: ShownClient): string {
  const i = c.info;
  let s =
    `\r\nSubscription ID: ${String(c.sub).padStart(4, '0')}\r\nUser:         ${i.user}\r\nBroker:       ${i.broker}` +
    `\r\nConnection:   ${i.connection}\r\n`;
  s += '\r\n     Messages    Success     Errors      Last message time    Last error time      Last Error';
  s +=
    '\r\n     ----------  ----------  ----------  -------------------  -------------------  ----------------------------------\r\n';
  s += String(i.messages).padStart(15) + String(i.messages - i.errors).padStart(12) + String(i.errors).padStart(12);
  s += `  ${i.lastMessageTime}`;
  if (i.errors > 0) s += `  ${i.lastErrorTime}  ${statusText(i.lastErrorCode)}`;
  s += `\r\n\r\n     Rows: ${commas(i.rows)}, Duplicates skipped: ${commas(i.duplicates)}`;
  if (i.lastReason) s += `\r\n     Last error reason: ${i.lastReason}`;
  return s;
}

function stats(c: ShownClient): string {
  let s = counters(c);
  let ok = 0;
  let bad = 0;
  const rows: Cell[][] = c.info.topics.map((t) => {
    ok += t.stats.success;
    bad += t.stats.failure;
    const err = t.stats.lastErrorCode ? statusText(t.stats.lastErrorCode) : '';
    return [
      t.name,
      commas(t.stats.success),
      commas(t.stats.failure),
      t.stats.lastErrorCode ? t.stats.lastErrorTime : '',
      err,
      commas(t.stats.rows),
      t.stats.lastReason,
    ];
  });
  s += formatTable(['Topic', 'Success', 'Failure', 'Last Error Time', 'Last Error', 'Rows', 'Last Reason'], rows, {
    header: '\n\r',
    prefix: '     ',
  });
  s += `\r\n\nTotal Success: ${commas(ok)}, Total Error: ${commas(bad)}\r\n\n`;
  return s;
}

function topicsTable(c: ShownClient, only: string | undefined, detailed: boolean): string {
  const rows: Cell[][] = [];
  for (const t of c.info.topics) {
    if (only !== undefined && only !== t.name) continue;
    if (t.policy.length > 0) {
      rows.push([
        t.name,
        t.dynamic,
        t.qos,
        '',
        '',
        '',
        '',
        '',
        '',
        // EdgeLake mqtt_client.py `get_cmd_policies`.
        `blockchain get (mapping,transform) where ${t.policy.map((id) => `[id] == ${id}`).join(' or ')}`,
      ]);
      continue;
    }
    if (t.columns.length === 0) {
      rows.push([t.name, t.dynamic, t.qos, t.dbms || '*******', t.table || '*******', '', '', '', '', null]);
      continue;
    }
    t.columns.forEach((col, k) => {
      const first = k === 0;
      rows.push([
        first ? t.name : '',
        t.dynamic,
        first ? t.qos : '',
        first ? t.dbms : '',
        first ? t.table : '',
        col.name,
        col.type,
        col.fn,
        col.optional ? 'True' : 'False',
        null,
      ]);
    });
  }
  let s = formatTable(
    [
      'Topic',
      'Dynamic',
      'QOS',
      'DBMS',
      'Table',
      'Column name',
      'Column Type',
      'Mapping Function',
      'Optional',
      'Policies',
    ],
    rows,
    { header: '\r\n     Subscribed Topics:', prefix: '     ' },
  );
  if (detailed) {
    const d = c.info.dirs;
    s += formatTable(
      ['Directory Name', 'Location'],
      [
        ['Prep Dir', d.prep],
        ['Watch Dir', d.watch],
        ['Bwatch Dir', d.bwatch],
        ['Error Dir', d.err],
        ['Blobs Dir', d.blobs],
      ],
      { header: '\r\n     Directories Used:', prefix: '     ' },
    );
  }
  return s;
}

function one(c: ShownClient, o: ShowOptions): string {
  if (o.broker !== undefined && c.info.broker !== o.broker) return '';
  let s = '';
  if (o.statistics) {
    s = stats(c);
    if (!o.detailed && o.broker === undefined && o.topic === undefined) return s;
  }
  if (o.topic !== undefined && !c.info.topics.some((t) => t.name === o.topic)) return '';
  return s + counters(c) + topicsTable(c, o.topic, o.detailed);
}

/** The whole reply; `clients` in subscription id order. */
export function showClients(clients: readonly ShownClient[], o: ShowOptions): string {
  if (clients.length === 0) return '\r\nNo message client subscriptions';
  if (o.id !== undefined) {
    const c = clients.find((x) => x.sub === o.id);
    if (!c) return `\r\nSubscription ${o.id} is not in use`;
    return one(c, o) || 'No such client subscription';
  }
  return clients.map((c) => one(c, o)).join('') || 'No such client subscription';
}

/** `get msg brokers` (mqtt_client.py show_brokers): Broker|Topic|Client ID|Messages|Success|Failure. */
export function showBrokers(clients: readonly ShownClient[]): string {
  if (clients.length === 0) return '\r\nNo clients assigned to brokers';
  const rows: Cell[][] = [];
  for (const c of clients) {
    for (const t of c.info.topics) {
      const msgs = t.stats.success + t.stats.failure;
      rows.push([c.info.broker, t.name, c.sub, msgs, t.stats.success, t.stats.failure]);
    }
  }
  return formatTable(['Broker', 'Topic', 'Client ID', 'Messages', 'Success', 'Failure'], rows, { prefix: '     ' });
}
