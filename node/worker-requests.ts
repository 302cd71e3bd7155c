// What workers ask the main thread (`NodeIn`, node/messages.ts): commands from REST and peers (with their method,
// peer, signer and user), peer answers and signatures, the dictionary, stash and settings, policies and the
// metadata, queries, metrics and status. Each case answers with what its message declares.
import { ScriptError } from '../protocols/command/interpreter.js';
import type { DispatchEnv } from './commands/dispatcher.js';
import { CommandError } from '../base/errors.js';
import type { ActorMessage } from '../runtime/wire.js';
import type { MetadataInfo, NodeIdentity, NodeIn } from './messages.js';
import { insertPolicy, policyFrom } from './commands/builtin/blockchain.js';
import { ledgerFromTable } from './commands/builtin/tables.js';
import { jsonDumps } from '../protocols/policy/pyrepr.js';
import { Status } from '../base/status.js';
import { runQuery } from './query.js';
import type { EdgeNode } from './node.js';

/** The node's own mailbox: what workers may ask the main thread (`NodeIn`, node/messages.ts). */
export async function answerWorker(node: EdgeNode, from: string, raw: ActorMessage): Promise<unknown> {
  const msg = raw as NodeIn;
  switch (msg.type) {
    case 'node.command': {
      const env: DispatchEnv = { source: typeof msg.source === 'string' ? msg.source : from };
      if (msg.method === 'GET' || msg.method === 'POST') env.method = msg.method;
      if (msg.peer) env.peer = { ip: String(msg.peer.ip), port: Number(msg.peer.port) };
      const text = String(msg.text ?? '');
      // A signed peer's command (node authentication on): its key's permissions first (node/auth/peer-auth.ts).
      if (typeof msg.signer === 'string') {
        node.peerAuth.permit(msg.signer, text);
        env.signer = msg.signer;
      }
      // Only the REST server and the TCP workers send commands from outside; each says which it is.
      const via = msg.via ?? (msg.peer ? 'peer' : undefined);
      if (via === 'rest' || via === 'peer') env.via = via;
      if (msg.user) env.user = { name: String(msg.user.name), type: msg.user.type === 'admin' ? 'admin' : 'user' };
      if (typeof msg.answerWithinMs === 'number' && msg.answerWithinMs > 0) env.answerWithinMs = msg.answerWithinMs;
      if (typeof msg.inner === 'string') {
        // EdgeLake gates the command the `destination` header carries, then sends it (http_server.py L931-1080).
        if (env.method) node.dispatcher.checkMethod(msg.inner, env.method);
        env.method = 'POST';
      } else if (env.method === 'GET') node.dispatcher.checkMethod(text, 'GET');
      try {
        return await node.interpreter.command(text, env);
      } catch (err) {
        // A remote caller learns where a script ended, not the line: that is the file's content.
        if (
          err instanceof ScriptError &&
          err.location !== undefined &&
          (env.via !== undefined || /^(rest|tcp) /.test(env.source))
        )
          throw new CommandError(`Script terminated on ${err.location}`, {
            code: err.code ?? Status.CommandStructure,
          });
        throw err;
      }
    }
    case 'node.peer.reply':
      // A signed answer (node authentication on) counts only from a member's key; its signature was checked.
      if (msg.reply.signer !== undefined && !node.peerAuth.isMember(msg.reply.signer)) {
        node.peerAuth.refuse('unknown_key');
        node.log.warn('signed peer answer from a key of no member: dropped', { peer: msg.reply.peerIp });
        return undefined;
      }
      node.peers.deliver(msg.reply);
      return undefined;
    case 'node.peer.permit':
      node.peerAuth.permit(msg.key, msg.command, msg.dbms, msg.table);
      return undefined;
    case 'node.peer.sign':
      if (msg.digest === null) return node.peerAuth.signing ? new Uint8Array(0) : null;
      // The segment names where the message goes (peer/sign.ts): a digest without it cannot be signed.
      if (typeof msg.dest !== 'string') throw new CommandError('node.peer.sign: a digest without its destination');
      return node.peerAuth.sign(msg.digest, msg.dest) ?? null;
    case 'node.peer.failed':
      node.peers.fail(msg.jobId, msg.receiverId, String(msg.peerIp), msg.reason);
      return undefined;
    case 'node.dict.get':
      return node.dict.get(String(msg.name ?? '')) ?? '';
    case 'node.identity':
      return {
        name: node.name,
        identity: node.identity(),
        connections: node.connections.list(),
      } satisfies NodeIdentity;
    case 'node.stash.put':
      node.stash.put(from, msg.value);
      return undefined;
    case 'node.stash.get':
      return node.stash.get(from);
    case 'node.settings.get':
      return node.settings.byName(msg.name);
    case 'node.policy.insert': {
      const r = await insertPolicy(
        node,
        policyFrom(String(msg.policy), node, `${from}: blockchain insert`),
        true,
        msg.master ? [msg.master] : [],
      );
      return jsonDumps(r.stored);
    }
    case 'node.metadata.info': {
      const l = node.metadata();
      return { file: l.file, version: l.version(), syncHash: l.syncHash() } satisfies MetadataInfo;
    }
    case 'node.ledger.from-dbms':
      return ledgerFromTable(node, msg.seen);
    case 'node.dbms.list':
      return node.dbms.list();
    case 'node.metrics':
      return node.metrics.text();
    case 'node.ready':
      return node.board.readiness(node.supervisor.info());
    case 'node.status':
      return node.board.snapshot(node.name, node.supervisor.info());
    case 'node.progress':
      node.onProgress(from, msg);
      return undefined;
    case 'node.helper.start':
      // Only the sender's own helpers: startHelper refuses an id that is not one of `from`'s on-demand helpers.
      await node.startHelper(from, String(msg.helper));
      return undefined;
    case 'node.query':
      return runQuery(
        node,
        msg.timeoutMs === undefined
          ? { dbms: msg.dbms, sql: msg.sql }
          : { dbms: msg.dbms, sql: msg.sql, timeoutMs: msg.timeoutMs },
      );
    default:
      throw new CommandError(`node: unknown message type '${(raw as ActorMessage).type}' from ${from}`, {
        code: Status.CommandStructure,
      });
  }
}
