// `run client <destination> <command>` (EdgeLake member_cmd.run_client L3256-3298, send_command_message
// L3304+): the command goes to each peer as a TCP message with a job id and this node's TCP address as the
// reply address; the command waits for every peer's answer (or its failure, or the timeout) and returns them
// as EdgeLake shows them (peer/format.ts). `x = run client ...` stores that text.
//   subset = true     answer with what arrived and show the peers that failed; otherwise any failed peer makes
//                     the command fail with an error naming each failed peer and why
//   timeout = N       seconds to wait for the answers (default 20, EdgeLake's REST timeout)
//   sql <dbms> ...    a query: planned and consolidated by node/query/network-query.ts (EdgeLake's two passes)
//   ()  (dbms = d and table = t)  (blockchain get ...)   destinations from the metadata (node/query/operators.ts);
//                     a query's options `nodes = main|all` and `include = (t2, ..)` choose the operators
//   file copy <src> <dst> [watch_dir|ledger]   sends a local file as `file write` (no answer is awaited)
// Differences from EdgeLake: the command always waits for the answers and returns them (EdgeLake's CLI prints
// them when they arrive, and a REST POST of `run client` answers empty); the peers are sent to in parallel.
import { stat } from 'node:fs/promises';
import { CommandError, PeerError } from '../../base/errors.js';
import type { CommandSpec, Invocation, NodeApi } from '../service.js';
import type { RunEnv } from '../../protocols/command/interpreter.js';
import type { FileWriteFlag } from '../../protocols/tcp/builders.js';
import { parseDestination, remoteCommand, targetList, type Destination, type Target } from '../../peer/destinations.js';
import { formatAnswers } from '../../peer/format.js';
import { listOption } from '../../protocols/sql/command.js';
import { prepareQuery, runNetworkQuery } from '../query/network-query.js';
import { OperatorChooser, operatorsFor, type PolicyReader, type TableRef } from '../query/operators.js';
import type { Outcome, PeerNetwork } from '../../peer/network.js';
import { sendFile } from '../../peer/file-send.js';
import { signFnOf } from '../../peer/sign.js';
import { Status } from '../../base/status.js';
import { timedQuery } from '../metrics/query.js';
import { consolidateInPool } from '../query.js';
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

// Round-robin turns per node (one PeerNetwork per node), for the operators of a cluster without a main one.
const choosers = new WeakMap<PeerNetwork, OperatorChooser>();

function chooserOf(peers: PeerNetwork): OperatorChooser {
  let c = choosers.get(peers);
  if (!c) {
    c = new OperatorChooser();
    choosers.set(peers, c);
  }
  return c;
}

/**
 * The env of the metadata look-ups a `run client` makes for itself (`blockchain get`, read-only): without the
 * REST method of the request, which is the `run client`'s POST, not theirs.
 */
const lookupEnv = (inv: Invocation): RunEnv => ({ source: inv.env.source });

/** `blockchain get <type>` through the node, as the inner objects of the policies. */
function policyReader(node: NodeApi, inv: Invocation): PolicyReader {
  return async (type) => {
    const text = (await node.command(`blockchain get ${type}`, lookupEnv(inv))).trim();
    if (text === '') return [];
    const list = JSON.parse(text) as Record<string, Record<string, unknown>>[];
    return list.map((p) => Object.values(p)[0] ?? {});
  };
}

/** The table policy's `create`, if the metadata has it (dbms and table are checked names). */
function createReader(node: NodeApi, inv: Invocation) {
  return async (dbms: string, table: string): Promise<string | undefined> => {
    const text = (
      await node.command(`blockchain get table where dbms = ${dbms} and name = ${table}`, lookupEnv(inv))
    ).trim();
    if (text === '') return undefined;
    const list = JSON.parse(text) as { table?: { create?: unknown } }[];
    const create = list[0]?.table?.create;
    return typeof create === 'string' ? create : undefined;
  };
}

/** The peers of a metadata destination, one entry per cluster (candidates in order). */
async function metadataTargets(
  dest: Destination,
  node: NodeApi,
  inv: Invocation,
  peers: PeerNetwork,
  tables: TableRef[],
  all: boolean,
): Promise<Target[][]> {
  const md = dest.metadata!;
  if (md.kind === 'blockchain') {
    const list = targetList(await node.command(md.command, lookupEnv(inv)));
    if (list.length === 0)
      throw new CommandError(`run client: no destination from '${md.command}'`, { code: Status.DestinationIpPorts });
    return list.map((t) => [t]);
  }
  return operatorsFor(policyReader(node, inv), tables, chooserOf(peers), all);
}

async function runQuery(
  peers: PeerNetwork,
  dest: Destination,
  text: string,
  node: NodeApi,
  inv: Invocation,
  timeoutMs: number,
): Promise<string> {
  const q = await prepareQuery(text, (w) => node.resolve(w), createReader(node, inv));
  let clusters: Target[][];
  if (dest.metadata) {
    const md = dest.metadata;
    const main = md.kind === 'table' ? { dbms: md.dbms ?? q.cmd.dbms, table: md.table ?? q.table } : undefined;
    const include = listOption(q.cmd.options.get('include')).map((e) => {
      const dot = e.indexOf('.');
      return dot < 0 ? { dbms: q.cmd.dbms, table: e } : { dbms: e.slice(0, dot), table: e.slice(dot + 1) };
    });
    const nodes = String(q.cmd.options.get('nodes') ?? 'main').toLowerCase();
    clusters = await metadataTargets(dest, node, inv, peers, main ? [main, ...include] : [], nodes === 'all');
  } else clusters = dest.targets.map((t) => [t]);
  // Counted whole: outcome (a failure unless `subset` covers it), latency, and a timeout when a peer was late.
  return timedQuery(node.metrics, 'network', (timedOut) =>
    runNetworkQuery(peers, q, clusters, {
      timeoutMs,
      subset: dest.subset,
      onTimeout: timedOut,
      // The second pass runs on a query worker (node/query.ts), never on this thread.
      consolidate: (plan, parts) => consolidateInPool(node, plan, parts),
    }),
  );
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
  const sign = signFnOf(() => node.peerAuth?.messageSigner);
  for (const t of targets) await sendFile(t, src, dest, flag, { ip, port }, undefined, sign);
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
  usage:
    'run client (<ip:port>[, <ip:port> ...] | dbms = <d> and table = <t> | blockchain get ... | <nothing>[, subset = true][, timeout = <seconds>]) <command>',
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
    const timeoutMs = (dest.timeoutS ?? DEFAULT_TIMEOUT_S) * 1000;
    if (words[0] === 'sql') return runQuery(peers, dest, text, node, inv, timeoutMs);
    let targets = dest.targets;
    if (dest.metadata) {
      // Not a query: every operator of the table (EdgeLake get_all_operators), or the blockchain command's list.
      if (dest.metadata.kind === 'table' && !dest.metadata.dbms)
        throw new CommandError("run client: () names the operators of a query's table; give dbms and table", {
          code: Status.DestinationIpPorts,
        });
      const md = dest.metadata;
      const tables = md.kind === 'table' ? [{ dbms: md.dbms!, table: md.table! }] : [];
      targets = (await metadataTargets(dest, node, inv, peers, tables, true)).flat();
    }
    if (words[0] === 'file' && words[1] === 'copy') return fileCopy(targets, inv, dest.commandAt, node);
    const outcomes = await peers.request(targets, text, { timeoutMs });
    checkFailures(outcomes, dest.subset);
    return formatAnswers(outcomes);
  },
};
