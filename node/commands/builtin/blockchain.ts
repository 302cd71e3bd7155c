// `blockchain ...` commands over the node's metadata (storage/metadata/ledger.ts; EdgeLake cmd/member_cmd.py):
//   blockchain get|read <query>                         the query language of protocols/policy (L18211-18245)
//   blockchain insert where policy = <p> [and local = true|false] [and master = ip:port]   (L10339-10460)
//   blockchain push [ignore] <policy>                   on a master: a node's policy (L1272-1320)
//   blockchain delete policy where id = <id> [and local = ..] [and master = ip:port]       (L10236-10325)
//   blockchain drop policy where id = <id>[,<id>..]     on a master (L1369-1417); `blockchain drop policy <json>`
//   blockchain reload|load metadata                     the file again (L1524-1540)
//   get metadata version                                md5 of blockchain.json
// Policies sent to a master travel as EdgeLake sends them: `blockchain push <json>` and `blockchain drop policy
// where id = <id>` commands, without waiting for an answer (peer/send-command.ts).
// `blockchain = <platform>` (Ethereum, Hyperledger...) is refused: no blockchain platform is supported here.
import { CommandError, errorMessage } from '../../../base/errors.js';
import { runningInstance } from '../../service.js';
import { typedResolver, substituteJsonRefs } from '../../../protocols/policy/build.js';
import { computePolicyId, policyId, policyInner, policyType } from '../../../protocols/policy/id.js';
import { prepareInsert } from '../../../protocols/policy/insert.js';
import { runQuery } from '../../../protocols/policy/query.js';
import { parseQuery, type ParsedQuery } from '../../../protocols/policy/query-parse.js';
import type { NodeAddress } from '../../../protocols/policy/address.js';
import { jsonDumps, pyStr } from '../../../protocols/policy/pyrepr.js';
import { clone, isDict, parseJson, type Policy, type PyDict } from '../../../protocols/policy/pyvalue.js';
import { parseAddress, sendCommand, sourceFor } from '../../../peer/send-command.js';
import { signFnOf } from '../../../peer/sign.js';
import type { Ledger } from '../../../storage/metadata/ledger.js';
import type { CommandSpec, Invocation, NodeApi } from '../../service.js';
import { whereObject } from '../args.js';
import { Status } from '../../../base/status.js';
import { syncNowTo } from '../../notices.js';
import { policyAddressOf } from '../../connections.js';

export const SYNC_KIND = 'blockchain-sync';

export function ledgerOf(node: NodeApi): Ledger {
  if (!node.metadata) throw new CommandError('this node keeps no metadata', { code: Status.NoLocalBlockchainFile });
  return node.metadata();
}

/** This node's TCP addresses, for `bring.ip_port`. */
export function nodeAddress(node: NodeApi): NodeAddress | undefined {
  return policyAddressOf(node.connections.get('TCP'));
}

/** The text after the command words. */
export function restText(inv: Invocation, words: number): string {
  const t = inv.tokens[words];
  return t ? inv.text.slice(t.pos).trim() : '';
}

/**
 * The types a query selects, when they are plain names: only those policies are read (the type index). `*`, a
 * `!var`, root policies and bring.children need the whole ledger.
 */
function plainTypes(q: ParsedQuery): string[] | undefined {
  if (q.types.kind !== 'word' || q.bring?.word.includes('children')) return undefined;
  const t = q.types.text;
  if (t === '*' || t.startsWith('!') || t.startsWith('$')) return undefined;
  const list =
    t.startsWith('(') && t.endsWith(')')
      ? t
          .slice(1, -1)
          .split(',')
          .map((x) => x.trim())
      : [t];
  return list.some((x) => x === '*' || x === '') ? undefined : list;
}

/** `blockchain get <query>` on this node's metadata (the reply text; '' when nothing is selected). */
export function queryLedger(node: NodeApi, text: string): string {
  const q = parseQuery(text);
  return runQuery(q, ledgerOf(node).policies(plainTypes(q)), {
    resolve: (w) => node.resolve(w),
    node: nodeAddress(node),
  });
}

const getCommand = (word: 'get' | 'read'): CommandSpec => ({
  words: ['blockchain', word],
  method: 'get',
  usage: `blockchain ${word} <type>|(<t1>, <t2>)|* [where ...] [bring[.mods] ...] [separator = x]`,
  rawWhere: true,
  run(inv, node) {
    const text = restText(inv, 2);
    if (text === '')
      throw new CommandError(`blockchain ${word}: expected a policy type (or * for all)`, {
        code: Status.CommandStructure,
      });
    return queryLedger(node, text);
  },
});

/** A policy given as `!var`, a JSON text, or JSON with `!var` references inside. */
export function policyFrom(text: string, node: NodeApi, what: string): Policy {
  let v;
  try {
    v = parseJson(
      substituteJsonRefs(
        text.trim(),
        typedResolver((w) => node.resolve(w)),
      ),
    );
  } catch (err) {
    throw new CommandError(
      `${what}: provided policy is not a json object (${errorMessage(err)}): ${text.slice(0, 200)}`,
      {
        code: Status.CommandStructure,
        cause: err,
      },
    );
  }
  if (Array.isArray(v) && v.length === 1) v = v[0]!;
  if (!isDict(v) || policyType(v) === undefined || !isDict(policyInner(v)))
    throw new CommandError(`${what}: provided policy is not a json object: ${text.slice(0, 200)}`, {
      code: Status.CommandStructure,
    });
  return v;
}

const boolOpt = (v: unknown, key: string, dflt: boolean): boolean => {
  if (v === undefined) return dflt;
  if (v === 'true' || v === 'false') return v === 'true';
  throw new CommandError(`${key}: expected true|false (got ${JSON.stringify(v)})`, { code: Status.CommandStructure });
};

const listOpt = (v: unknown): string[] => (v === undefined ? [] : (Array.isArray(v) ? v : [v]).map(String));

function refusePlatform(opts: Record<string, unknown>, what: string): void {
  const p = listOpt(opts['blockchain']);
  if (p.length > 0 && !(p.length === 1 && p[0] === 'local'))
    throw new CommandError(
      `${what}: blockchain = ${p.join(',')}: no blockchain platform is supported here (use a master node: master = ip:port)`,
      { code: Status.CommandStructure },
    );
}

/** Sends `command` to each master; returns the failures (`ip:port: why`). */
export async function toMasters(node: NodeApi, masters: readonly string[], command: string): Promise<string[]> {
  const failed: string[] = [];
  for (const m of masters) {
    const to = parseAddress(m);
    if (!to) {
      failed.push(`${m}: not an ip:port`);
      continue;
    }
    try {
      await sendCommand(to, command, sourceFor(node.connections.get('TCP'), to, node.dict.get('ip') ?? '127.0.0.1'), {
        tries: 2,
        sign: signFnOf(() => node.peerAuth?.messageSigner),
      });
    } catch (err) {
      failed.push(errorMessage(err));
    }
  }
  return failed;
}

function globalCopy(p: Policy): Policy {
  const out = clone(p) as Policy;
  (policyInner(out) as PyDict).set('ledger', 'global');
  return out;
}

/** Asks the running synchronizer for a sync within 10 seconds; false when none runs. */
export function triggerSync(node: NodeApi): boolean {
  const id = runningInstance(node, SYNC_KIND)?.id;
  return id !== undefined && node.send(syncNowTo(id), { type: 'sync.now' });
}

export interface InsertOutcome {
  stored: Policy;
  /** Set when the local ledger took the policy but a master did not. */
  warning?: string;
}

/**
 * `blockchain insert`: into the local ledger (`local`, checked by prepareInsert), then `blockchain push` to each
 * master. A master that cannot be reached is a warning when the local ledger took the policy (the next sync sends
 * it again), else an error (EdgeLake shared_metadata_update_failure).
 */
export async function insertPolicy(
  node: NodeApi,
  policy: Policy,
  local: boolean,
  masters: readonly string[],
): Promise<InsertOutcome> {
  const ledger = ledgerOf(node);
  // Not local: checked against the local ledger all the same (EdgeLake's process_new_policy), not written.
  const stored = local
    ? ledger.insertLocal(policy, { now: new Date() })
    : prepareInsert(policy, ledger.policies(), { now: new Date() });
  if (masters.length === 0) return { stored };
  const failed = await toMasters(node, masters, `blockchain push ${jsonDumps(globalCopy(stored))}`);
  if (failed.length === 0) {
    if (local) ledger.noteSentToMaster(policyId(stored));
    return { stored };
  }
  const type = policyType(stored)!;
  if (!local)
    throw new CommandError(`New policy '${type}' failed to update the Master Node at '${failed.join('; ')}'`, {
      code: Status.BlockchainOperationFailed,
    });
  node.log.warn('policy not sent to the master: it stays local and the next sync sends it again', {
    type,
    masters: failed,
  });
  return {
    stored,
    warning: `Warning: New policy '${type}' failed to update the Master Node at '${failed.join('; ')}'`,
  };
}

const insert: CommandSpec = {
  words: ['blockchain', 'insert'],
  method: 'post',
  usage: 'blockchain insert where policy = <policy> [and local = true|false] [and master = <ip:port>]',
  async run(inv, node) {
    const opts = whereObject(inv, node);
    const text = opts['policy'];
    if (typeof text !== 'string')
      throw new CommandError(`blockchain insert: expected 'where policy = <policy>'`, {
        code: Status.CommandStructure,
      });
    if (!('local' in opts) && !('master' in opts) && !('blockchain' in opts))
      throw new CommandError(
        `Missing ledger location information in 'blockchain insert' command - specify insert dest (local/master/blockchain)`,
        { code: Status.CommandStructure },
      );
    refusePlatform(opts, 'blockchain insert');
    const policy = policyFrom(text, node, `Error in 'blockchain insert'`);
    const r = await insertPolicy(node, policy, boolOpt(opts['local'], 'local', true), listOpt(opts['master']));
    return r.warning ?? '';
  },
};

const push: CommandSpec = {
  words: ['blockchain', 'push'],
  method: 'post',
  usage: 'blockchain push [ignore] <policy>',
  run(inv, node) {
    const words = inv.args;
    const ignore = words[0]?.kind === 'word' && words[0].text === 'ignore' && words.length === 2;
    const t = words[ignore ? 1 : 0];
    if (!t || words.length !== (ignore ? 2 : 1))
      throw new CommandError('blockchain push: usage: blockchain push [ignore] <policy>', {
        code: Status.CommandStructure,
      });
    const text = t.kind === 'word' ? node.resolve(t.text) : t.text;
    const policy = policyFrom(text, node, 'blockchain push');
    const outcome = ledgerOf(node).push(policy, new Date());
    if (outcome === 'duplicate' && !ignore)
      throw new CommandError(
        `blockchain push: a policy with id '${pyStr(policyInner(policy)?.get('id') ?? computePolicyId(policy))}' is already in the ledger`,
        { code: Status.BlockchainOperationFailed },
      );
    return '';
  },
};

const deletePolicy: CommandSpec = {
  words: ['blockchain', 'delete', 'policy'],
  method: 'post',
  usage: 'blockchain delete policy where id = <id> [and local = true|false] [and master = <ip:port>]',
  async run(inv, node) {
    const opts = whereObject(inv, node);
    const id = opts['id'];
    if (typeof id !== 'string' || id === '')
      throw new CommandError(`blockchain delete policy: expected 'where id = <policy id>'`, {
        code: Status.CommandStructure,
      });
    if (!('local' in opts) && !('master' in opts) && !('blockchain' in opts))
      throw new CommandError(
        `Missing ledger location information in 'blockchain delete' command - specify delete dest (local/master/blockchain)`,
        { code: Status.CommandStructure },
      );
    refusePlatform(opts, 'blockchain delete policy');
    const ledger = ledgerOf(node);
    if (!ledger.byId(id))
      throw new CommandError(`Error in 'blockchain delete': policy id: '${id}' not available`, {
        code: Status.NeededPolicyNotAvailable,
      });
    if (boolOpt(opts['local'], 'local', true)) ledger.deleteLocal(id);
    const failed = await toMasters(node, listOpt(opts['master']), `blockchain drop policy where id = ${id}`);
    // EdgeLake ignores these failures (the master may be down); the deletion record makes the next merge retry.
    if (failed.length > 0) node.log.warn('policy deletion not sent to the master', { id, masters: failed });
    triggerSync(node);
    return '';
  },
};

const dropPolicy: CommandSpec = {
  words: ['blockchain', 'drop', 'policy'],
  method: 'post',
  usage: 'blockchain drop policy where id = <id>[,<id>...] | blockchain drop policy <policy>',
  rawWhere: true,
  run(inv, node) {
    const ledger = ledgerOf(node);
    const args = inv.args;
    if (args[0]?.kind === 'word' && args[0].text === 'from')
      throw new CommandError(
        `blockchain drop policy from ${args[1]?.text ?? ''}: no blockchain platform is supported here`,
        { code: Status.CommandStructure },
      );
    let ids: string[];
    if (args[0]?.kind === 'word' && args[0].text === 'where') {
      const [k, eq, ...rest] = args.slice(1);
      if (k?.text !== 'id' || eq?.text !== '=' || rest.length === 0)
        throw new CommandError(`blockchain drop policy: expected 'where id = <id>'`, { code: Status.CommandStructure });
      ids = rest
        .map((t) => (t.kind === 'word' ? node.resolve(t.text) : t.text))
        .join(' ')
        .split(',')
        .map((x) => x.trim())
        .filter((x) => x !== '');
    } else {
      const t = args[0];
      if (!t || args.length !== 1)
        throw new CommandError('blockchain drop policy: expected a policy or where id = <id>', {
          code: Status.CommandStructure,
        });
      const p = policyFrom(t.kind === 'word' ? node.resolve(t.text) : t.text, node, 'blockchain drop policy');
      const id = policyInner(p)?.get('id');
      ids = [id !== undefined ? pyStr(id) : computePolicyId(p)];
    }
    const missing = ledger.drop(ids);
    if (missing.length > 0)
      throw new CommandError(`blockchain drop policy: no policy with id ${missing.join(', ')}`, {
        code: Status.WrongDbmsKeyInDelete,
      });
    return '';
  },
};

const reload = (word: 'reload' | 'load'): CommandSpec => ({
  words: ['blockchain', word, 'metadata'],
  method: 'post',
  usage: `blockchain ${word} metadata`,
  run(_inv, node) {
    // EdgeLake's `load` reads the file only when it changed; reading it again is as cheap and never stale.
    ledgerOf(node).reload();
    return '';
  },
});

const metadataVersion: CommandSpec = {
  words: ['get', 'metadata', 'version'],
  method: 'get',
  usage: 'get metadata version',
  run: (_inv, node) => ledgerOf(node).version(),
};

export const blockchainCommands: CommandSpec[] = [
  getCommand('get'),
  getCommand('read'),
  insert,
  push,
  deletePolicy,
  dropPolicy,
  reload('reload'),
  reload('load'),
  metadataVersion,
];
