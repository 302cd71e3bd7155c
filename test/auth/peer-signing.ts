// Helpers for the signed-peer tests: a node's key as the test can use it (read from its key file), policies
// signed on a node and inserted into another's ledger, and hand-made messages (signed, tampered, replayed) sent
// from a chosen loopback address.
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { TestNode } from '../../harness/test-node.js';
import { commandMessage } from '../../protocols/tcp/builders.js';
import { readMessage, type TcpMessage } from '../../protocols/tcp/assembler.js';
import { authSegment, blocksDigest, placeholderAuth, writeAuth, type MessageSigner } from '../../peer/sign.js';
import { close, listen } from '../network/peers.js';

/** The signer of a node whose keys were made with `password` (the test reads the node's own key file). */
export function signerOf(n: TestNode, password: string, publicKey: string): MessageSigner {
  const key = createPrivateKey({ key: readFileSync(join(n.root, 'anylog', 'node_id.key')), passphrase: password });
  return { publicKey, key };
}

/** Signs `policy` (JSON text) with `signer`'s node key and password and inserts it into `into`'s ledger. */
export async function signInto(signer: TestNode, password: string, policy: string, into: TestNode): Promise<string> {
  await signer.cmd(`tosign = ${policy}`);
  await signer.cmd(`signed = id sign !tosign where password = ${password}`);
  const text = await signer.cmd('get dictionary value where key = signed');
  into.running.node.dict.set('incoming', text);
  await into.cmd('blockchain insert where policy = !incoming and local = true');
  return text;
}

export interface RawOptions {
  /** Sign with this key (at `timeMs`); a tamper function changes the signed bytes before they are sent. */
  signer?: MessageSigner;
  timeMs?: number;
  tamper?: (block: Uint8Array) => void;
  /** The local address to connect from (127.0.0.x: another peer IP on loopback). */
  from?: string;
  /** Bytes to send instead of a new message (a replay). */
  bytes?: Uint8Array;
  /** The request's job id (41 unless given; 0: a command nobody waits for, never a query). */
  jobId?: number;
  /** The destination signed for (`127.0.0.1:<port sent to>` unless given). */
  dest?: string;
}

/** The bytes of one command message, signed or not. */
export function rawCommand(command: string, replyPort: number, opts: RawOptions = {}): Uint8Array {
  const blocks = commandMessage(command, {
    source: { ip: '127.0.0.1', port: replyPort },
    jobId: opts.jobId ?? 41,
    ...(opts.signer ? { auth: placeholderAuth() } : {}),
  });
  if (opts.signer) {
    const dest = opts.dest ?? 'unset:0';
    writeAuth(blocks, authSegment(opts.signer, blocksDigest(blocks), dest, opts.timeMs ?? Date.now()));
  }
  if (opts.tamper) opts.tamper(blocks[0]!);
  return Buffer.concat(blocks);
}

/**
 * Sends a message to `port` from `opts.from` and resolves with the answer the node sends back, or 'none' when
 * none comes within `ms` (a refused message gets no answer).
 */
export async function sendRaw(
  port: number,
  command: string,
  opts: RawOptions = {},
  ms = 2500,
): Promise<{ answer: TcpMessage | 'none'; bytes: Uint8Array }> {
  let got: (m: TcpMessage) => void = () => undefined;
  const answered = new Promise<TcpMessage>((r) => (got = r));
  const { server, port: replyPort } = await listen((s) => void readMessage(s).then(got, () => undefined));
  try {
    const bytes = opts.bytes ?? rawCommand(command, replyPort, { dest: `127.0.0.1:${port}`, ...opts });
    await new Promise<void>((resolve, reject) => {
      const s = connect({ port, host: '127.0.0.1', ...(opts.from ? { localAddress: opts.from } : {}) }, () =>
        s.end(bytes),
      );
      s.resume();
      s.on('close', () => resolve());
      s.on('error', (err) => ((err as { code?: string }).code === 'ECONNRESET' ? resolve() : reject(err)));
    });
    let timer: NodeJS.Timeout | undefined;
    const answer = await Promise.race([
      answered,
      new Promise<'none'>((r) => (timer = setTimeout(() => r('none'), ms))),
    ]);
    clearTimeout(timer);
    return { answer, bytes };
  } finally {
    await close(server);
  }
}

export const answerText = (m: TcpMessage | 'none'): string =>
  m === 'none' ? 'none' : Buffer.from(m.payload).toString('utf8') || m.command;
