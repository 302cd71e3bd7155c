// `get local broker` (EdgeLake message_server.py L1253-1320, count_event / show_info): per protocol, client
// IP and event (CONNECT, PUBLISH, SUBSCRIBE), counters of successes and errors with their last times, the
// last error code and details, under the header `Message Broker Stat`.
import { formatTable, type Cell } from '../../protocols/format/table.js';

interface EventStat {
  success: number;
  successAt: number;
  errors: number;
  errorAt: number;
  code: number;
  details: string;
}

/** EdgeLake status texts of the codes the broker records. */
const TEXT: Readonly<Record<number, string>> = {
  1: 'Failed to store the rows',
  159: 'Unrecognized MQTT topic',
};

/** Error code: the topic has no `broker = local` msg client (EdgeLake Unrecognized_mqtt_topic). */
export const UNREGISTERED_TOPIC = 159;
/** Error code: a msg client could not make the rows durable (the device is disconnected, unacknowledged). */
export const NOT_STORED = 1;

const MAX_KEYS = 10_000;

function when(ms: number): string {
  if (!ms) return '';
  const d = new Date(ms);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export class BrokerStats {
  /** protocol \0 ip \0 event -> counters. Bounded: past MAX_KEYS new client addresses are pooled as `other`. */
  private readonly events = new Map<string, EventStat>();

  count(event: string, ip: string, code = 0, details = ''): void {
    let key = `MQTT\u0000${ip}\u0000${event}`;
    if (!this.events.has(key) && this.events.size >= MAX_KEYS) key = `MQTT\u0000other\u0000${event}`;
    let s = this.events.get(key);
    if (!s) this.events.set(key, (s = { success: 0, successAt: 0, errors: 0, errorAt: 0, code: 0, details: '' }));
    if (code === 0) {
      s.success++;
      s.successAt = Date.now();
    } else {
      s.errors++;
      s.errorAt = Date.now();
      s.code = code;
      s.details = details;
    }
  }

  show(): string {
    const rows: Cell[][] = [];
    for (const [key, s] of this.events) {
      const [protocol, ip, event] = key.split('\u0000');
      rows.push([
        protocol,
        ip,
        event,
        s.success.toLocaleString('en-US'),
        when(s.successAt),
        s.errors.toLocaleString('en-US'),
        when(s.errorAt),
        s.code ? (TEXT[s.code] ?? String(s.code)) : '',
        s.details,
      ]);
    }
    return formatTable(
      ['Protocol', 'IP', 'Event', 'Success', 'Last message time', 'Error', 'Last error time', 'Error Code', 'Details'],
      rows,
      { header: 'Message Broker Stat' },
    );
  }
}
