// The node's side of `run client`: sends a command to peers and collects what each sends back (EdgeLake
// member_cmd.send_command_to_nodes L3049-3123, integrate_print_reply L7604-7650, job_instance members).
//
// One request = one job id (header job_id, u32, never 0); the peers answer on new connections to our TCP server
// with the job id and their receiver id copied, and the TCP dispatch actor forwards those answers here
// (`node.peer.reply`, node/node.ts). The job id is drawn at random (crypto), not counted up (EdgeLake counts,
// so a third party can guess the next one), and an answer counts only when its connection comes from the IP of
// the peer whose receiver id it names; any other answer to a waiting or unknown job is dropped and counted
// (`dropped`), never shown as a peer's reply. A receiver's outcome is its `print`/`echo` text, its `job reply`
// rows, or why it failed (send error naming the peer, or no reply before the timeout). Answers nobody waits for
// (job id 0, a peer asking us to show text, a reply after its timeout) are shown on the node's console, as
// EdgeLake prints `[From Node <ip:port>] <text>`.
import { randomInt } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { ProtocolError } from '../base/errors.js';
import type { Logger } from '../base/log.js';
import { largeCommandMessage, type Address } from '../protocols/tcp/builders.js';
import { GenericFlag, InfoType } from '../protocols/tcp/header.js';
import { decodeSegments, joinSegments } from '../protocols/tcp/resultset.js';
import type { Target } from './destinations.js';
import { PeerSender, PeerSendError } from './sender.js';
import {
  JOB_REPLY,
  RT_DUPLEX_SOCKET_ID,
  RT_SOCKET_ID,
  markBlocks,
  peerReply,
  replyText,
  type PeerReply,
} from './wire.js';
import { RequestTemplates, type CommandHeader } from './templates.js';
import { destination, placeholderAuth, signBlocks, type MessageSigner } from './sign.js';
import { Status } from '../base/status.js';

export type Outcome =
  /** A `print` (error 0) or `echo` (error = the peer's code) answer. */
  | { kind: 'text'; target: Target; error: number; json: boolean; text: string }
  /** A `job reply` result set: one JSON text per row. `rt`: the peer is edgelake-rt (typed values, names). */
  | { kind: 'rows'; target: Target; rows: string[]; rt: boolean }
  | { kind: 'failed'; target: Target; code: number; reason: string };

export interface RequestOptions {
  timeoutMs: number;
  connectTimeoutMs?: number;
  tries?: number;
  /**
   * EdgeLake's pattern even with edgelake-rt peers: the request goes unmarked on a connection of its own, so the
   * peer answers the same way (benchmarks).
   */
  oneShot?: boolean;
}

export interface PeerNetworkHost {
  log: Logger;
  /** Where answers nobody waits for are shown. */
  output(text: string): void;
  /** Our TCP server's address as a peer at `peerIp` must see it, or undefined when no TCP server runs. */
  replyAddress(peerIp: string): Address | undefined;
  /** The node's signing key when it signs its messages (node/auth/peer-auth.ts). */
  signer?(): MessageSigner | undefined;
  /**
   * May answers be read back on request connections (peer/wire.ts, duplex)? Not while node authentication is on:
   * those answers would skip the TCP server's signature and allow-list checks. Default yes.
   */
  duplex?(): boolean;
  /** Each target's outcome and the time from the request to it (the node's `/metrics`). */
  onOutcome?(peer: string, outcome: 'ok' | 'error' | 'timeout', seconds: number): void;
}

interface Slot {
  target: Target;
  /** The target's addresses (a host name resolved when the request is sent): where its answers may come from. */
  addrs: string[];
  outcome: Outcome | undefined;
  rows: string[];
  parts: number;
  rt: boolean;
}

interface Job {
  slots: Slot[];
  /** performance.now() when the request was sent. */
  t0: number;
  pending: number;
  finish(): void;
}

const MAX_KNOWN_PEERS = 10_000;
/**
 * The largest answer read back on a request connection (duplex, peer/wire.ts): the TCP server's default
 * `max_message_mb`, the limit on answers that come through it. Queries' result sets, the big answers, still do.
 */
const MAX_DUPLEX_ANSWER_BYTES = 64 << 20;

const norm = (a: string): string => {
  const x = a.replace(/^::ffff:/i, '').toLowerCase();
  return x === 'localhost' || x === '::1' ? '127.0.0.1' : x;
};

/** Does a connection from `ip` come from this slot's peer? (its addresses, IPv4-mapped IPv6 normalised) */
function samePeer(slot: Slot, ip: string): boolean {
  const from = norm(ip);
  return slot.addrs.some((a) => norm(a) === from);
}
/** EdgeLake 26 (Time Out). */
const TIMEOUT = 26;

export class PeerNetwork {
  private readonly sender: PeerSender;
  private readonly jobs = new Map<number, Job>();
  /** Answers dropped: for no waiting job, or from a connection that is not the addressed peer's. */
  dropped = 0;
  private largeSeq = 0;
  /** Peers whose answers carried the edgelake-rt mark: requests to them go on a persistent connection. */
  private readonly rtPeers = new Set<string>();
  private readonly templates = new RequestTemplates();

  constructor(private readonly host: PeerNetworkHost) {
    this.sender = new PeerSender({
      onError: (peer, err) => host.log.debug('persistent peer connection failed', { peer, error: err.message }),
      answers: {
        maxAnswerBytes: MAX_DUPLEX_ANSWER_BYTES,
        answer: (key, peerIp, m) => {
          const reply = peerReply(m.header, m.command, m.payload, peerIp);
          reply.via = key;
          this.deliver(reply);
        },
        malformed: (key, peerIp, h, err) => {
          if (h && h.jobId !== 0) this.fail(h.jobId, h.receiverId, peerIp, `bad answer on ${key}: ${err.message}`);
          else host.log.warn('bad answer on a request connection: dropped', { peer: key, error: err.message });
        },
      },
    });
  }

  /** Jobs waiting for answers (for `get` commands and tests). */
  get waiting(): number {
    return this.jobs.size;
  }

  /** Sends `command` to every target and resolves with one outcome per target, in target order. */
  request(targets: readonly Target[], command: string, opts: RequestOptions): Promise<Outcome[]> {
    const jobId = this.allocate();
    return new Promise<Outcome[]>((resolve) => {
      let done = false;
      const cancelled = (): boolean => done;
      const job: Job = {
        slots: targets.map((target) => ({
          target,
          addrs: [target.ip],
          outcome: undefined,
          rows: [],
          parts: 0,
          rt: this.rtPeers.has(target.label),
        })),
        pending: targets.length,
        t0: performance.now(),
        finish: () => {
          clearTimeout(timer);
          done = true;
          this.jobs.delete(jobId);
          resolve(job.slots.map((s) => s.outcome!));
        },
      };
      const timer = setTimeout(() => {
        for (const s of job.slots) {
          if (!s.outcome) this.host.onOutcome?.(s.target.label, 'timeout', opts.timeoutMs / 1000);
          s.outcome ??= {
            kind: 'failed',
            target: s.target,
            code: TIMEOUT,
            reason: `no reply within ${opts.timeoutMs / 1000} s`,
          };
        }
        job.finish();
      }, opts.timeoutMs);
      this.jobs.set(jobId, job);
      targets.forEach((t, i) => {
        this.sendTo(job, jobId, i, command, opts, cancelled).catch((err: unknown) => {
          const text = err instanceof Error ? err.message : String(err);
          // The outcome is shown beside the peer's address: do not repeat it.
          const reason = text.startsWith(`${t.label}: `) ? text.slice(t.label.length + 2) : text;
          const code = err instanceof PeerSendError || err instanceof ProtocolError ? (err.code ?? Status.Network) : 15;
          this.settle(job, i, { kind: 'failed', target: t, code, reason });
        });
      });
    });
  }

  /** An answer (or text to show) forwarded by the TCP dispatch actor. */
  deliver(reply: PeerReply): void {
    const job = reply.jobId === 0 ? undefined : this.jobs.get(reply.jobId);
    const slot = job?.slots[reply.receiverId];
    // Info type 6 marks an outgoing command: a peer asking us to print something, not an answer.
    if (!job || !slot || slot.outcome || reply.infoType === InfoType.authenticate) {
      if (reply.jobId !== 0 && reply.infoType !== InfoType.authenticate) {
        this.drop(reply.jobId, reply.peerIp, job ? 'answer for a receiver that is not waiting' : 'no waiting job');
        return;
      }
      this.show(reply);
      return;
    }
    if (!samePeer(slot, reply.peerIp)) {
      this.drop(reply.jobId, reply.peerIp, `answer for ${slot.target.label} from another address`);
      return;
    }
    // Read back on a request connection: it must be the one to this receiver (another peer's answer there would
    // come from a connection we opened to that other peer).
    if (reply.via !== undefined && reply.via !== `${slot.target.ip}:${slot.target.port}`) {
      this.drop(reply.jobId, reply.peerIp, `answer for ${slot.target.label} on the connection to ${reply.via}`);
      return;
    }
    if (reply.socketId === RT_SOCKET_ID) {
      slot.rt = true;
      if (this.rtPeers.size < MAX_KNOWN_PEERS) this.rtPeers.add(slot.target.label);
    }
    const text = (): string => replyText(reply.command, reply.payload);
    if (reply.command.startsWith(JOB_REPLY) && reply.infoType === InfoType.resultSet) {
      try {
        for (const row of joinSegments([decodeSegments(reply.payload)]))
          slot.rows.push(Buffer.from(row).toString('utf8'));
      } catch (err) {
        this.settle(job, reply.receiverId, {
          kind: 'failed',
          target: slot.target,
          code: Status.Network,
          reason: `bad result set: ${(err as Error).message}`,
        });
        return;
      }
      slot.parts++;
      if (reply.error !== 0) {
        this.settle(job, reply.receiverId, {
          kind: 'text',
          target: slot.target,
          error: reply.error,
          json: false,
          text: text() || `error ${reply.error}`,
        });
      } else if (slot.parts >= Math.max(1, reply.partitionsUsed)) {
        this.settle(job, reply.receiverId, { kind: 'rows', target: slot.target, rows: slot.rows, rt: slot.rt });
      }
      return;
    }
    this.settle(job, reply.receiverId, {
      kind: 'text',
      target: slot.target,
      error: reply.error,
      json: reply.genericFlag === GenericFlag.json,
      text: text(),
    });
  }

  /** A receiver's answer arrived malformed (the TCP dispatch actor closed that connection): it failed, code 15. */
  fail(jobId: number, receiverId: number, peerIp: string, reason: string): void {
    const job = this.jobs.get(jobId);
    const slot = job?.slots[receiverId];
    if (!job || !slot) return;
    if (!samePeer(slot, peerIp)) return this.drop(jobId, peerIp, `bad answer for ${slot.target.label}`);
    this.settle(job, receiverId, { kind: 'failed', target: slot.target, code: Status.Network, reason });
  }

  /** Fails every waiting request and closes persistent connections. */
  close(): void {
    for (const job of [...this.jobs.values()]) {
      for (const s of job.slots)
        s.outcome ??= { kind: 'failed', target: s.target, code: Status.Network, reason: 'the node is stopping' };
      job.finish();
    }
    this.sender.close();
  }

  private async sendTo(
    job: Job,
    jobId: number,
    i: number,
    command: string,
    opts: RequestOptions,
    cancelled: () => boolean,
  ): Promise<void> {
    const slot = job.slots[i]!;
    const t = slot.target;
    const source = this.host.replyAddress(t.ip);
    if (!source)
      throw new PeerSendError(
        'error',
        `${t.label}: no TCP server is running here to receive the reply (run tcp server first)`,
      );
    if (isIP(t.ip) === 0) slot.addrs = (await lookup(t.ip, { all: true })).map((a) => a.address);
    const header = { source, jobId, jobLocation: 0, receivers: job.slots.length, receiverId: i };
    const signer = this.host.signer?.();
    const auth = signer ? placeholderAuth() : undefined;
    const persistent = slot.rt && !opts.oneShot;
    // On our persistent connection to an edgelake-rt peer, the answer comes back on it (peer/wire.ts, duplex),
    // unless node authentication is on here: then every answer goes through our TCP server, which checks it.
    const duplex = persistent && !signer && (this.host.duplex?.() ?? true);
    const mark = opts.oneShot ? 0 : duplex ? RT_DUPLEX_SOCKET_ID : RT_SOCKET_ID;
    const one = this.templates.blocks(command, header, mark, auth);
    const blocks = one ?? this.largeMessage(command, header, !opts.oneShot, auth);
    // Signed after the job fields are written (the mark, written before, is not covered: peer/sign.ts).
    if (signer) signBlocks(blocks, signer, destination(t.ip, t.port));
    await this.sender.send(t.ip, t.port, blocks, {
      persistent,
      answerHere: duplex && one !== undefined,
      cancelled,
      ...(opts.connectTimeoutMs !== undefined ? { connectTimeoutMs: opts.connectTimeoutMs } : {}),
      ...(opts.tries !== undefined ? { tries: opts.tries } : {}),
    });
  }

  /** A command too long for one block: EdgeLake sends it as a file the peer runs (net_client.large_message). */
  private largeMessage(command: string, header: CommandHeader, mark: boolean, auth?: Uint8Array): Uint8Array[] {
    this.largeSeq = (this.largeSeq % 100) + 1;
    const blocks = largeCommandMessage(command, {
      ...header,
      senderIp: header.source.ip,
      sequence: this.largeSeq,
      ...(auth ? { auth } : {}),
    });
    if (mark) markBlocks(blocks);
    return blocks;
  }

  private settle(job: Job, i: number, outcome: Outcome): void {
    const slot = job.slots[i];
    if (!slot || slot.outcome) return;
    slot.outcome = outcome;
    const ok = outcome.kind === 'rows' || (outcome.kind === 'text' && outcome.error === 0);
    this.host.onOutcome?.(slot.target.label, ok ? 'ok' : 'error', (performance.now() - job.t0) / 1000);
    if (--job.pending === 0) job.finish();
  }

  /** A random job id in 1..2^32-1 not in use (the header's field is 32 bits). */
  private allocate(): number {
    for (;;) {
      const id = randomInt(1, 0x1_0000_0000);
      if (!this.jobs.has(id)) return id;
    }
  }

  private drop(jobId: number, from: string, why: string): void {
    this.dropped++;
    // Bounded: a flood of forged answers must not flood the log too.
    if (this.dropped <= 10 || this.dropped % 1000 === 0)
      this.host.log.warn('peer answer dropped', { job: jobId, from, why, dropped: this.dropped });
  }

  /** EdgeLake prints what no job waits for: `[From Node <ip:port>] <text>` (member_cmd._print / _echo). */
  private show(reply: PeerReply): void {
    const text = reply.command.startsWith(JOB_REPLY)
      ? `(${reply.payload.length} bytes of query result)`
      : replyText(reply.command, reply.payload);
    this.host.output(`[From Node ${reply.sourceIp}:${reply.sourcePort}] ${text}`);
  }
}
