// `run client <destination> <command>` (EdgeLake member_cmd.run_client L3256-3298, send_command_message
// L3304+): the command goes to each peer as a TCP message with a job id and this node's TCP address as the
// reply address; the command waits for every peer's answer (or its failure, or the timeout) and returns them
// as EdgeLake shows them (peer/format.ts). `x = run client ...` stores that text.
//   subset = true     answer with what arrived and show the peers that failed; otherwise any failed peer makes
//                     the command fail with an error naming each failed peer and why
//   timeout = N       seconds to wait for the answers (default 20, EdgeLake's REST timeout)
//   sql <dbms> ...    a query: the peers answer with rows, joined into EdgeLake's {"Query":[..],"Statistics":[..]}
//   file copy <src> <dst> [watch_dir|ledger]   sends a local file as `file write` (no answer is awaited)
// Differences from EdgeLake: the command always waits for the answers and returns them (EdgeLake's CLI prints
// them when they arrive, and a REST POST of `run client` answers empty); the peers are sent to in parallel.
import { stat } from 'node:fs/promises';
import { CommandError, PeerError } from '../../base/errors.js';
import { tokenize } from '../../protocols/command/lexer.js';
import { optionsObject, parseWhere } from '../../protocols/command/where.js';
import type { CommandSpec, Invocation, NodeApi } from '../service.js';
import type { FileWriteFlag } from '../../protocols/tcp/builders.js';
import { parseDestination, remoteCommand, type Target } from '../../peer/destinations.js';
import { collectRows, formatAnswers, formatQuery } from '../../peer/format.js';
import type { Outcome, PeerNetwork } from '../../peer/network.js';
import { sendFile } from '../../peer/file-send.js';
import { Status } from '../../base/status.js';
import { commandPath } from '../files/confine.js';

export const DEFAULT_TIMEOUT_S = 20;

function failureText(o: Extract<Outcome, { kind: 'failed' }>): string {
  return `${o.target.label} ${o.reason}`;
}

/** Without `subset = true`, a failed peer fails the command (EdgeLake ends the job on a failed send). */
function checkFailures(outcomes: readonly Outcome[], subset: boolean): void {
  const failed = outcomes.filter((o): o is Extract<Outcome, { kind: 'failed' }> => o.kind === 'failed');
  if (failed.length === 0 || (subset && failed.length < outcomes.length)) return;
  const head = outcomes.length > 1 ? `${failed.length} of ${outcomes.length} peers failed: ` : '';
  throw new PeerError(`run client: ${head}${failed.map(failureText).join('; ')}`, { code: failed[0]!.code });
}

interface SqlCommand {
  dbms: string;
  format: string;
  query: string;
}

/** `sql <dbms> [key = value [and ...]] <query>` (the query quoted or not), as node/commands/builtin/dbms.ts. */
function parseSql(text: string, resolve: (w: string) => string): SqlCommand {
  const toks = tokenize(text);
  const dbms = toks[1];
  if (!dbms) throw new CommandError('run client: sql needs a dbms name and a query', { code: Status.CommandStructure });
  let i = 2;
  while (i + 2 < toks.length && toks[i]!.kind === 'word' && toks[i + 1]?.kind === 'op' && toks[i + 1]!.text === '=') {
    i += 3;
    if (toks[i]?.kind === 'word' && toks[i]!.text.toLowerCase() === 'and') i++;
  }
  const opts = i > 2 ? optionsObject(parseWhere(toks.slice(2, i)), resolve) : {};
  const first = toks[i];
  if (!first) throw new CommandError('run client: sql without a query', { code: Status.CommandStructure });
  const query = first.kind === 'string' && i === toks.length - 1 ? first.text : text.slice(first.pos).trim();
  const format = String(opts['format'] ?? 'json').toLowerCase();
  if (format !== 'json' && format !== 'table')
    throw new CommandError(`run client: sql format must be json or table (got ${format})`, {
      code: Status.CommandStructure,
    });
  return { dbms: resolve(dbms.text), format, query };
}

async function runQuery(
  peers: PeerNetwork,
  targets: Target[],
  text: string,
  node: NodeApi,
  timeoutMs: number,
  subset: boolean,
): Promise<string> {
  const q = parseSql(text, (w) => node.resolve(w));
  // EdgeLake sends the query as one word, spaces as TAB (capture tcp_sql_query): `sql test format = json select\t..`
  const wire = `sql ${q.dbms} format = json ${q.query.replace(/[ \r\n]/g, '\t')}`;
  const t0 = performance.now();
  const outcomes = await peers.request(targets, wire, { timeoutMs });
  const failedQuery = outcomes.find((o) => o.kind === 'text' && o.error !== 0);
  if (failedQuery && !subset)
    throw new CommandError(`run client: query failed on ${formatAnswers([failedQuery]).trim()}`, {
      code: (failedQuery as { error: number }).error,
    });
  checkFailures(outcomes, subset);
  return formatQuery(collectRows(outcomes, q.query), targets.length, performance.now() - t0, q.format);
}

async function fileCopy(targets: Target[], inv: Invocation, at: number, node: NodeApi): Promise<string> {
  const words = inv.tokens.slice(at + 2).map((t) => t.text);
  const [srcWord, dest, flagWord, extra] = words;
  if (!srcWord || !dest || extra !== undefined)
    throw new CommandError('run client: usage: run client <dest> file copy <source> <destination> [watch_dir|ledger]', {
      code: Status.CommandStructure,
    });
  const flags: Record<string, FileWriteFlag> = { watch_dir: 1, ledger: 2 };
  const flag: FileWriteFlag | undefined = flagWord === undefined ? 0 : flags[flagWord];
  if (flag === undefined)
    throw new CommandError(`run client: file copy flag must be watch_dir or ledger (got '${flagWord}')`, {
      code: Status.CommandStructure,
    });
  // From outside (`run client (me) file copy /etc/passwd ..` sent by a peer), only the node's data files.
  const src = await commandPath(inv, node, node.resolve(srcWord), 'read', 'run client: file copy');
  await stat(src).catch((err: unknown) => {
    throw new CommandError(`run client: file copy: ${src}: ${(err as Error).message}`, {
      code: Status.FileDoesNotExist,
    });
  });
  const tcp = node.connections.get('TCP');
  const [ip, port] = tcp ? splitAddress(tcp.external) : ['0.0.0.0', 0];
  // The destination is sent as typed: a leading `!key` is the receiver's (its watch dir, not ours).
  for (const t of targets) await sendFile(t, src, dest, flag, { ip, port });
  return '';
}

function splitAddress(a: string): [string, number] {
  const i = a.lastIndexOf(':');
  return [a.slice(0, i), Number(a.slice(i + 1))];
}

export const runClient: CommandSpec = {
  words: ['run', 'client'],
  method: 'post',
  // The command for the peers is theirs to parse (`where [name] == x`, `where a > 1` in a query).
  rawWhere: true,
  usage: 'run client (<ip:port>[, <ip:port> ...][, subset = true][, timeout = <seconds>]) <command>',
  async run(inv, node) {
    const peers = node.peers;
    if (!peers) throw new CommandError('run client: this node has no peer network', { code: Status.CommandStructure });
    const resolve = (w: string): string => node.resolve(w);
    const dest = parseDestination(inv.tokens, 2, resolve);
    if (dest.commandAt >= inv.tokens.length) {
      throw new CommandError(
        'run client: expected a command after the destination (setting a default CLI target is not supported)',
        { code: Status.CommandStructure },
      );
    }
    const text = remoteCommand(inv.text, inv.tokens, dest.commandAt, resolve);
    const words = inv.tokens.slice(dest.commandAt, dest.commandAt + 2).map((t) => t.text.toLowerCase());
    if (words[0] === 'file' && words[1] === 'copy') return fileCopy(dest.targets, inv, dest.commandAt, node);
    const timeoutMs = (dest.timeoutS ?? DEFAULT_TIMEOUT_S) * 1000;
    if (words[0] === 'sql') return runQuery(peers, dest.targets, text, node, timeoutMs, dest.subset);
    const outcomes = await peers.request(dest.targets, text, { timeoutMs });
    checkFailures(outcomes, dest.subset);
    return formatAnswers(outcomes);
  },
};
