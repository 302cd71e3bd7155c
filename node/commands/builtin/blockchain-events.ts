// The coded events of metadata sync (EdgeLake generic/events.py, called as `event <name> ...`):
//   event get_blockchain <file> <hash> <trace>   on the master, from a node's synchronizer (L41-165): unless its
//        ledger's md5 equals <hash>, the master sends its ledger to the requester (the address in the message
//        header) as `file write <file minus type>master_id_<1-9>.<type>` with generic flag 2; a failure is
//        answered `echo <text>` (the TCP worker sends the error of this command)
//   event blockchain_use_new <file>              on the node, once a flag-2 file arrived (L168-190, member_cmd.py
//        write_data_block L5836-5842): the file becomes the ledger, merged with this node's own changes, and
//        those are sent to the master again (blockchain.py merge_ledgers)
import { randomUUID } from 'node:crypto';
import { runningInstance } from '../../service.js';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { CommandError, errorMessage } from '../../../base/errors.js';
import { md5Hex } from '../../../storage/metadata/file.js';
import { jsonDumps } from '../../../protocols/policy/pyrepr.js';
import { sendFile } from '../../../peer/file-send.js';
import { signFnOf } from '../../../peer/sign.js';
import { sourceFor } from '../../../peer/send-command.js';
import type { CommandSpec, NodeApi } from '../../service.js';
import type { DispatchEnv } from '../dispatcher.js';
import { argWords } from '../args.js';
import { SYNC_KIND, ledgerOf, toMasters } from './blockchain.js';
import { mirrorLedger } from './tables.js';
import { Status } from '../../../base/status.js';

/** EdgeLake's name on the requester for the n-th copy (events.py L117-122). */
export function masterCopyName(callerFile: string, n: number): string {
  const slash = Math.max(callerFile.lastIndexOf('/'), callerFile.lastIndexOf('\\'));
  const dot = callerFile.lastIndexOf('.');
  if (dot > slash) return `${callerFile.slice(0, dot + 1)}master_id_${n}.${callerFile.slice(dot + 1)}`;
  return `${callerFile}.master_id_${n}`;
}

const getBlockchain: CommandSpec = {
  words: ['event', 'get_blockchain'],
  method: 'post',
  usage: 'event get_blockchain <file on the requester> <md5 of its ledger> <trace level>',
  async run(inv, node) {
    const words = inv.args.map((t) => t.text);
    if (words.length !== 3)
      throw new CommandError('Coded event "get_blockchain" failed: destination file name not provided', {
        code: Status.MissingFileName,
      });
    const [file, hash] = words as [string, string, string];
    const peer = (inv.env as DispatchEnv).peer;
    if (!peer || peer.port === 0)
      throw new CommandError(
        'event get_blockchain: no address to send the ledger to (it is a request from a peer over TCP)',
        { code: Status.CommandStructure },
      );
    const ledger = ledgerOf(node);
    const text = ledger.served();
    if (text === '') throw new CommandError('Empty local blockchain file', { code: Status.EmptyLocalBlockchainFile });
    if (md5Hex(text) === hash) return '';
    const tmp = join(dirname(ledger.file), `blockchain.serve.${randomUUID()}.tmp`);
    await writeFile(tmp, text, { mode: 0o600 });
    try {
      const source = sourceFor(node.connections.get('TCP'), peer, node.dict.get('ip') ?? '127.0.0.1');
      await sendFile(
        peer,
        tmp,
        masterCopyName(file, ledger.nextServeId()),
        2,
        source,
        undefined,
        signFnOf(() => node.peerAuth?.messageSigner),
      );
    } finally {
      await rm(tmp, { force: true });
    }
    return '';
  },
};

/** The master the running synchronizer uses (`connection = ..`), if any. */
function syncMaster(node: NodeApi): string | undefined {
  const inst = runningInstance(node, SYNC_KIND);
  const c = inst?.config['connection'];
  return inst?.config['source'] === 'master' && typeof c === 'string' ? c : undefined;
}

const useNew: CommandSpec = {
  words: ['event', 'blockchain_use_new'],
  method: 'post',
  usage: 'event blockchain_use_new <ledger file received>',
  async run(inv, node) {
    const [file, extra] = argWords(inv, node);
    if (!file || extra !== undefined)
      throw new CommandError('event blockchain_use_new: expected the file name', { code: Status.MissingFileName });
    const ledger = ledgerOf(node);
    const path = resolve(file);
    // Only a received copy (`*.new` in the ledger's own directory) can become the ledger: the name comes from a peer,
    // and the file is deleted once taken.
    if (dirname(path) !== dirname(resolve(ledger.file)) || !path.endsWith('.new'))
      throw new CommandError(`event blockchain_use_new: '${file}' is not a ledger copy (<blockchain dir>/*.new)`, {
        code: Status.CommandStructure,
      });
    let merged;
    try {
      merged = ledger.takeMaster(await readFile(path, 'utf8'));
    } finally {
      await rm(path, { force: true });
    }
    // dest = dbms: the ledger taken goes to the ledger table too (EdgeLake bsync.py `synchronizer`: `blockchain update
    // dbms` once the file changed).
    const dest = runningInstance(node, SYNC_KIND)?.config['dest'];
    if (Array.isArray(dest) && dest.includes('dbms'))
      await mirrorLedger(node).catch((err: unknown) =>
        node.log.warn('ledger table not updated from the master (the ledger file is; the next change retries)', {
          error: errorMessage(err),
        }),
      );
    const master = syncMaster(node);
    if (!master || (merged.push.length === 0 && merged.drop.length === 0)) return '';
    const failed = [
      ...(
        await Promise.all(merged.push.map((p) => toMasters(node, [master], `blockchain push ${jsonDumps(p)}`)))
      ).flat(),
      ...(
        await Promise.all(merged.drop.map((id) => toMasters(node, [master], `blockchain drop policy where id = ${id}`)))
      ).flat(),
    ];
    if (failed.length > 0)
      node.log.warn('local metadata changes not sent to the master (the next sync retries)', {
        master,
        errors: failed.slice(0, 3),
      });
    else
      node.log.info('local metadata changes sent to the master', {
        master,
        push: merged.push.length,
        drop: merged.drop.length,
      });
    return '';
  },
};

export const blockchainEvents: CommandSpec[] = [getBlockchain, useNew];
