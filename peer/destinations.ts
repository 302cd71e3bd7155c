// The destination part of `run client` (EdgeLake member_cmd.get_command_ip_port L2154-2310):
//   run client <ip>:<port> <command>
//   run client <ip> <port> <command>
//   run client (<ip>:<port>[, <ip>:<port> ...][, subset = true][, timeout = 30]) <command>
//   run client (!master_node) <command>             a `!key` may hold one or several comma-separated ip:port
//   run client ([subset = true][, timeout = N]) <command>         the operators of the query's table (metadata)
//   run client (dbms = <d> and table = <t>[, subset = ..]) <command>  the operators of that table
//   run client (blockchain get operator ... bring ['operator']['ip'] ":" ['operator']['port'] separator = ",")
// `localhost` means 127.0.0.1. Duplicate ip:port entries are sent once. The metadata forms are resolved by the
// caller (node/query/operators.ts: table -> clusters -> operators; the blockchain command's ip:port list).
import { CommandError } from '../base/errors.js';
import type { Token } from '../protocols/command/lexer.js';
import { Status } from '../base/status.js';

export interface Target {
  ip: string;
  port: number;
  /** `ip:port` as EdgeLake prints it in `[From Node ip:port]`. */
  label: string;
}

/** A destination taken from the metadata, resolved by the caller. */
export type MetadataDestination =
  { kind: 'table'; dbms: string | undefined; table: string | undefined } | { kind: 'blockchain'; command: string };

export interface Destination {
  /** Empty when `metadata` is set. */
  targets: Target[];
  metadata?: MetadataDestination;
  subset: boolean;
  /** Seconds, from `timeout = N` inside the parentheses. */
  timeoutS: number | undefined;
  /** Index of the first token of the command to send. */
  commandAt: number;
}

/** EdgeLake 20: IP and Port of destination servers are not properly provided. */
const destError = (text: string): CommandError =>
  new CommandError(`run client: ${text}`, { code: Status.DestinationIpPorts });

function target(ip: string, portText: string, entry: string): Target {
  const host = ip === 'localhost' ? '127.0.0.1' : ip;
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!host || !(port > 0 && port <= 65535)) throw destError(`wrong IP and port value: '${entry}'`);
  return { ip: host, port, label: `${host}:${port}` };
}

/** One `ip:port`, `ip port` or `ip=port` entry (EdgeLake splits on `:`, `=` and spaces). */
function parseEntry(entry: string): Target {
  const parts = entry.split(/[:=\s]+/).filter((p) => p !== '');
  if (parts.length !== 2) throw destError(`wrong IP and port value: '${entry}'`);
  return target(parts[0]!, parts[1]!, entry);
}

const METADATA = /^((operator|query|master|publisher|node)\s+where\b|\()/i;

function metadataTable(text: string, resolve: (w: string) => string): MetadataDestination {
  const pairs = text
    .replace(/\s+and\s+/gi, ',')
    .split(',')
    .map((p) => p.split('=').map((x) => x.trim()));
  let dbms: string | undefined;
  let table: string | undefined;
  for (const [k, v] of pairs) {
    if (!v) throw destError(`expected dbms = <name> and table = <name> (got '${text}')`);
    const value = v.startsWith('!') ? resolve(v) : v;
    if (k?.toLowerCase() === 'dbms') dbms = value;
    else if (k?.toLowerCase() === 'table') table = value;
    else throw destError(`unknown destination key '${k}' (expected dbms and table)`);
  }
  if (!dbms || !table) throw destError(`expected dbms = <name> and table = <name> (got '${text}')`);
  return { kind: 'table', dbms, table };
}

function parseGroup(inner: string, resolve: (w: string) => string): Omit<Destination, 'commandAt'> {
  const out: Omit<Destination, 'commandAt'> = { targets: [], subset: false, timeoutS: undefined };
  const text = inner.replace(/\s+/g, ' ').trim();
  if (/^blockchain\s+get\b/i.test(text)) return { ...out, metadata: { kind: 'blockchain', command: text } };
  if (METADATA.test(text)) {
    throw destError(`destinations by a policy query (${text}) are not supported; use (blockchain get ... bring ...)`);
  }
  const rest: string[] = [];
  for (const raw of text.split(',')) {
    let entry = raw.trim();
    if (entry === '') continue;
    if (entry.startsWith('!') && entry.length > 1) {
      const sp = entry.indexOf(' ');
      entry = (sp < 0 ? resolve(entry) : resolve(entry.slice(0, sp)) + entry.slice(sp)).trim();
      if (entry === '') throw destError(`'${raw.trim()}' is not set`);
    }
    const opt = /^(subset|timeout)\s*=\s*(.*)$/i.exec(entry);
    if (opt) {
      const value = opt[2]!.trim();
      if (opt[1]!.toLowerCase() === 'subset') out.subset = value.toLowerCase() === 'true';
      else if (/^\d+$/.test(value)) out.timeoutS = Number(value);
      else throw destError(`timeout must be a number of seconds (got '${value}')`);
      continue;
    }
    rest.push(entry);
  }
  const joined = rest.join(', ');
  if (rest.length === 0) return { ...out, metadata: { kind: 'table', dbms: undefined, table: undefined } };
  if (/^(dbms|table)\s*=/i.test(joined)) return { ...out, metadata: metadataTable(joined, resolve) };
  for (const entry of rest) {
    // A `!key` may expand to several peers.
    for (const one of entry.split(',')) {
      const t = parseEntry(one.trim());
      if (!out.targets.some((x) => x.label === t.label)) out.targets.push(t);
    }
  }
  return out;
}

/**
 * Parsed groups without a `!key` (their parse depends on nothing but the text), frozen: a node that sends to the
 * same peers again (monitoring, scripts in a loop, benchmarks) does not split and match the text each time
 * (issue 14: the parse was 6% of the requester's main thread in tcp-rtt). Bounded: cleared when full.
 */
const parsedGroups = new Map<string, Readonly<Omit<Destination, 'commandAt'>>>();
const MAX_PARSED_GROUPS = 256;

function parseGroupOnce(inner: string, resolve: (w: string) => string): Omit<Destination, 'commandAt'> {
  if (inner.includes('!')) return parseGroup(inner, resolve);
  let d = parsedGroups.get(inner);
  if (!d) {
    const parsed = parseGroup(inner, resolve);
    for (const t of parsed.targets) Object.freeze(t);
    Object.freeze(parsed.targets);
    if (parsed.metadata) Object.freeze(parsed.metadata);
    d = Object.freeze(parsed);
    if (parsedGroups.size >= MAX_PARSED_GROUPS) parsedGroups.clear();
    parsedGroups.set(inner, d);
  }
  return d;
}

/** An `ip:port` list (a `blockchain get ... bring` answer): comma, space or newline separated. */
export function targetList(text: string): Target[] {
  const out: Target[] = [];
  for (const one of text.split(/[,\s]+/)) {
    if (one === '') continue;
    const t = parseEntry(one);
    if (!out.some((x) => x.label === t.label)) out.push(t);
  }
  return out;
}

/** Parses the destination starting at `tokens[at]` (the token after `run client`). */
export function parseDestination(tokens: readonly Token[], at: number, resolve: (w: string) => string): Destination {
  const first = tokens[at];
  if (!first) throw destError('expected a destination: run client <ip:port> <command>');
  if (first.kind === 'group') return { ...parseGroupOnce(first.text, resolve), commandAt: at + 1 };
  if (first.kind !== 'word' && first.kind !== 'string') throw destError(`unexpected '${first.text}'`);
  const value = first.text.startsWith('!') ? resolve(first.text) : first.text;
  if (value === '') throw destError(`'${first.text}' is not set`);
  const colon = value.lastIndexOf(':');
  if (colon > 0) return { targets: [parseEntry(value)], subset: false, timeoutS: undefined, commandAt: at + 1 };
  const portTok = tokens[at + 1];
  if (!portTok || portTok.kind !== 'word') throw destError(`expected '<ip>:<port>' or '<ip> <port>' (got '${value}')`);
  const port = portTok.text.startsWith('!') ? resolve(portTok.text) : portTok.text;
  return { targets: [target(value, port, `${value} ${port}`)], subset: false, timeoutS: undefined, commandAt: at + 2 };
}

/**
 * The command text sent to the peers: the words after the destination as typed, with `!key` words replaced by
 * this node's values (EdgeLake params.get_translated_string resolves them before sending).
 */
export function remoteCommand(
  text: string,
  tokens: readonly Token[],
  at: number,
  resolve: (w: string) => string,
): string {
  let out = '';
  let cursor = tokens[at]!.pos;
  for (let i = at; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind !== 'word' || !t.text.startsWith('!') || t.text.length < 2) continue;
    const value = resolve(t.text);
    if (value === '') continue;
    out += text.slice(cursor, t.pos) + value;
    cursor = t.pos + t.text.length;
  }
  return (out + text.slice(cursor)).trim();
}
