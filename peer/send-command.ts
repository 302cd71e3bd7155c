// One command to one peer, without waiting for an answer: what EdgeLake's `run_client` does for metadata traffic
// (member_cmd.py L10443-10450 `blockchain push`, L10307 `blockchain drop policy`, bsync.py L300-303
// `event get_blockchain`): the send succeeds when the peer took the bytes. Answers, if the peer sends any, arrive
// on our TCP server like any other (peer/network.ts shows those nobody waits for).
// A command too long for one block goes as EdgeLake's large message (`file write cmd.<ip>.<n>.lmsg`, flag 3).
import { randomInt } from 'node:crypto';
import { ProtocolError } from '../base/errors.js';
import { commandMessage, largeCommandMessage, type Address } from '../protocols/tcp/builders.js';
import { PeerSender } from './sender.js';
import { destination, placeholderAuth, signBlocksWith, type SignFn } from './sign.js';
import { parseAddress, replyAddress, type TcpConnection } from './address.js';

export interface SendOptions {
  tries?: number;
  connectTimeoutMs?: number;
  /** Signs the message (peer/sign.ts) when the node signs. */
  sign?: SignFn;
}

export { parseAddress };

/** Our address as `to` must see it, or a placeholder (port 0: "no TCP server, do not answer") when none runs. */
export function sourceFor(tcp: TcpConnection | undefined, to: Address, fallbackIp: string): Address {
  return replyAddress(tcp, to.ip) ?? { ip: fallbackIp, port: 0 };
}

export async function sendCommand(
  to: Address,
  command: string,
  source: Address,
  opts: SendOptions = {},
): Promise<void> {
  let blocks: Uint8Array[];
  const signing = opts.sign !== undefined && (await opts.sign.active());
  const auth = signing ? { auth: placeholderAuth() } : {};
  try {
    blocks = commandMessage(command, { source, ...auth });
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err;
    // The file name on the receiver is cmd.<ip>.<n>.lmsg; n at random keeps two of ours in flight apart.
    blocks = largeCommandMessage(command, { source, senderIp: source.ip, sequence: randomInt(1, 101), ...auth });
  }
  if (signing) await signBlocksWith(blocks, opts.sign!, destination(to.ip, to.port));
  const sender = new PeerSender();
  try {
    await sender.send(to.ip, to.port, blocks, {
      ...(opts.tries !== undefined ? { tries: opts.tries } : {}),
      ...(opts.connectTimeoutMs !== undefined ? { connectTimeoutMs: opts.connectTimeoutMs } : {}),
    });
  } finally {
    sender.close();
  }
}
