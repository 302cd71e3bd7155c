// Node identity commands (AnyLog, spec/anylog-authentication.md "Node keys and signed policies"; node/auth/identity.ts):
//   id create keys for node where password = <p>     the node's Ed25519 key pair, once
//   get node id                                      the node's public key
//   id sign <policy> where [password = <p>]          adds public_key and signature (password: the key's, else the
//                                                    one `set private password` gave); assign it: `p = id sign !p ...`
//   id authenticate <policy>                         'true' when the policy was signed by the key it names
//   id validate where key = .. and command = .. [and dbms = .. and table = ..]
//                                                    'true' when the ledger's permissions and assignment policies
//                                                    let that key run the command (node/auth/permissions.ts), else
//                                                    an error (212) saying why
// Creating keys and signing are refused from a TCP peer, and from REST unless an admin (or authentication is off).
import { CommandError } from '../../../base/errors.js';
import { Status } from '../../../base/status.js';
import { jsonDumps } from '../../../protocols/policy/pyrepr.js';
import { authenticatePolicy, createNodeKeys, nodeId, signPolicy } from '../../auth/identity.js';
import type { CommandSpec, NodeApi } from '../../service.js';
import { argWords, whereObject } from '../args.js';
import { policyFrom } from './blockchain.js';
import { ownerOnly } from './auth.js';

export const idDir = (node: NodeApi): string => node.dict.get('id_dir') || `${node.root}/anylog`;

const createKeys: CommandSpec = {
  words: ['id', 'create', 'keys', 'for', 'node'],
  method: 'post',
  usage: 'id create keys for node where password = <password>',
  run(inv, node) {
    ownerOnly(inv, node, 'id create keys for node');
    const pw = whereObject(inv, node)['password'];
    if (pw === undefined || pw === '')
      throw new CommandError("id create keys for node: missing 'password'", { code: Status.CommandStructure });
    createNodeKeys(idDir(node), String(pw));
    // The node signs its messages from now on (this run; `set private password` after a restart).
    node.peerAuth?.unlock(idDir(node), String(pw));
    return '';
  },
};

const getNodeId: CommandSpec = {
  words: ['get', 'node', 'id'],
  method: 'get',
  usage: 'get node id',
  run(_inv, node) {
    return nodeId(idDir(node)) ?? 'No keys for this node (id create keys for node where password = ..)';
  },
};

const idSign: CommandSpec = {
  words: ['id', 'sign'],
  method: 'post',
  usage: 'id sign <policy> where [password = <private key password>]',
  run(inv, node) {
    ownerOnly(inv, node, 'id sign');
    const o = whereObject(inv, node);
    const pw = o['password'] !== undefined ? String(o['password']) : node.auth?.getSecret('private_password');
    if (pw === undefined)
      throw new CommandError("id sign: missing 'password' (or set private password first)", {
        code: Status.CommandStructure,
      });
    const policy = policyFrom(argWords(inv, node).join(' '), node, 'id sign');
    return jsonDumps(signPolicy(policy, idDir(node), pw));
  },
};

const idAuthenticate: CommandSpec = {
  words: ['id', 'authenticate'],
  method: 'any',
  usage: 'id authenticate <policy>',
  run(inv, node) {
    const policy = policyFrom(argWords(inv, node).join(' '), node, 'id authenticate');
    if (!authenticatePolicy(policy))
      throw new CommandError('id authenticate: the policy is not signed by the key it names', {
        code: Status.FailedMessageAuthentication,
      });
    return 'true';
  },
};

const idValidate: CommandSpec = {
  words: ['id', 'validate'],
  method: 'any',
  usage: 'id validate where key = <public key> and command = <command> [and dbms = <dbms> and table = <table>]',
  run(inv, node) {
    const o = whereObject(inv, node);
    const key = o['key'];
    const command = o['command'];
    if (typeof key !== 'string' || key === '' || typeof command !== 'string' || command === '')
      throw new CommandError("id validate: expected 'where key = <public key> and command = <command>'", {
        code: Status.CommandStructure,
      });
    const auth = node.peerAuth;
    if (!auth) throw new CommandError('id validate: not available on this node', { code: Status.CommandStructure });
    const d = auth.validate(
      key,
      command,
      o['dbms'] !== undefined ? String(o['dbms']) : undefined,
      o['table'] !== undefined ? String(o['table']) : undefined,
    );
    if (!d.allowed)
      throw new CommandError(`id validate: not permitted: ${d.why}`, { code: Status.UnauthorizedCommand });
    return 'true';
  },
};

export const identityCommands: CommandSpec[] = [createKeys, getNodeId, idSign, idAuthenticate, idValidate];
