// The messages a node sends, with the header fields EdgeLake sets for each (spec section 1).
//
//   command   send_command_to_nodes + send_message (member_cmd.py L3049-3123, L2801-2850): info 6, error 0,
//             par_used 1, par_id 0, job location/id, receivers, receiver id, source = our reply address.
//             Only the exact commands `print` and `echo` may span blocks; any other command with
//             207 + command + auth + payload >= 2048 must go as a large message (is_large_command, `>=`).
//   reply     post_process_command -> send_display_message (member_cmd.py L7394-7413, L2784-2796): EdgeLake reuses
//             the request's buffer, so every header field the reply path does not set is the request's (job
//             location/id, receivers, partitions, times...). Set: command `print` (ok) or `echo` (error = code),
//             info 4, generic flag 1 text / 2 JSON, source = the replier's address, socket id 0, thread number.
//   not recognized  error_message (tcpip_server.py L239-243): command `echo Command '<text>' not recoginzed` [sic],
//             error 1, info 4, no payload; the generic flag is not set, so it stays the request's.
//   file write  file_send (net_client.py L67-217): command `file write <dest>` with spaces sent as TAB, payload =
//             the file bytes, generic flag 0 path / 1 watch dir / 2 ledger / 3 large message, 'short-block' rule.
//             file_send sets no info type, error or job fields: they are whatever the thread's buffer held, 0 here.
//   large message  net_client.large_message (L39-61): `file write cmd.<sender ip>.<n>.lmsg`, n = 1..100, flag 3,
//             payload = the command text, header as prepared for the command.
import { ProtocolError } from '../../base/errors.js';
import { encodeMessage, encodeText, type HeaderFields } from './encoder.js';
import { GenericFlag, HEADER_SIZE, BLOCK_SIZE, InfoType, type BlockHeader } from './header.js';

export interface Address {
  ip: string;
  port: number;
}

export interface CommandOptions {
  /** Our reply address: the local one for a target on the local network, else the external one (nu L602-648). */
  source: Address;
  jobLocation?: number;
  jobId?: number;
  /** Number of target nodes. Default 1. */
  receivers?: number;
  receiverId?: number;
  /** socket_counter: EdgeLake writes the sending thread's number. Default 0. */
  threadNumber?: number;
  auth?: Uint8Array;
  payload?: Uint8Array;
}

/** A command to a peer (`run client`): one block, or several for `print`/`echo` with a long payload. */
export function commandMessage(command: string, opts: CommandOptions): Uint8Array[] {
  const size = HEADER_SIZE + encodeText(command).length + (opts.auth?.length ?? 0) + (opts.payload?.length ?? 0);
  if (command !== 'print' && command !== 'echo' && size >= BLOCK_SIZE) {
    throw new ProtocolError(
      `tcp encode: command message of ${size} bytes does not fit one block; send it with largeCommandMessage`,
    );
  }
  return encodeMessage({
    header: commandHeader(opts),
    command,
    ...(opts.auth ? { auth: opts.auth } : {}),
    ...(opts.payload ? { payload: opts.payload } : {}),
  });
}

function commandHeader(opts: CommandOptions): HeaderFields {
  return {
    sourceIp: opts.source.ip,
    sourcePort: opts.source.port,
    socketCounter: opts.threadNumber ?? 0,
    infoType: InfoType.authenticate,
    partitionsUsed: 1,
    partitionId: 0,
    jobLocation: opts.jobLocation ?? 0,
    jobId: opts.jobId ?? 0,
    receivers: opts.receivers ?? 1,
    receiverId: opts.receiverId ?? 0,
  };
}

export interface ReplyOptions {
  /** The replier's address, written as the reply's source. */
  source: Address;
  /** 0 (default) sends `print`; any other EdgeLake status code sends `echo` with this error. */
  error?: number;
  /** The text is JSON (generic flag 2); default text (1). */
  json?: boolean;
  threadNumber?: number;
  /** Block 1's authentication segment (a signed answer, peer/sign.ts). */
  auth?: Uint8Array;
}

/** The header fields a reply keeps from the request it answers (EdgeLake reuses the request's buffer). */
function fromRequest(request: BlockHeader, source: Address, threadNumber: number | undefined): HeaderFields {
  return {
    blockHash: request.blockHash,
    socketTimeId: request.socketTimeId,
    dataStruct: request.dataStruct,
    jsonCount: request.jsonCount,
    replyFlag: request.replyFlag,
    jobLocation: request.jobLocation,
    jobId: request.jobId,
    receivers: request.receivers,
    receiverId: request.receiverId,
    partitionsUsed: request.partitionsUsed,
    partitionId: request.partitionId,
    dbmsTimeMs: request.dbmsTimeMs,
    sendTimeMs: request.sendTimeMs,
    genericFlag: request.genericFlag,
    sourceIp: source.ip,
    sourcePort: source.port,
    socketId: 0,
    socketCounter: threadNumber ?? 0,
  };
}

/** The answer to a peer's command: `print <text>` or, with an error, `echo <text>`. Long text spans blocks. */
export function replyMessage(request: BlockHeader, text: string | Uint8Array, opts: ReplyOptions): Uint8Array[] {
  const error = opts.error ?? 0;
  return encodeMessage({
    header: {
      ...fromRequest(request, opts.source, opts.threadNumber),
      infoType: InfoType.command,
      error,
      genericFlag: opts.json ? GenericFlag.json : GenericFlag.text,
    },
    command: error === 0 ? 'print' : 'echo',
    payload: typeof text === 'string' ? encodeText(text) : text,
    keepUtf8Whole: typeof text === 'string',
    ...(opts.auth ? { auth: opts.auth } : {}),
  });
}

/** EdgeLake's answer to a command it does not know (error 1, spelling kept). */
export function notRecognizedReply(
  request: BlockHeader,
  commandText: string,
  opts: { source: Address; threadNumber?: number; auth?: Uint8Array },
): Uint8Array[] {
  const prefix = "echo Command '";
  const suffix = "' not recoginzed";
  // EdgeLake sends nothing when this does not fit a block (ERR_large_command); we cut the quoted text instead.
  const room = BLOCK_SIZE - HEADER_SIZE - encodeText(prefix + suffix).length - (opts.auth?.length ?? 0);
  return encodeMessage({
    header: { ...fromRequest(request, opts.source, opts.threadNumber), infoType: InfoType.command, error: 1 },
    command: prefix + truncateUtf8(commandText, room) + suffix,
    ...(opts.auth ? { auth: opts.auth } : {}),
  });
}

function truncateUtf8(text: string, maxBytes: number): string {
  if (encodeText(text).length <= maxBytes) return text;
  let out = '';
  let size = 0;
  for (const ch of text) {
    const n = encodeText(ch).length;
    if (size + n > maxBytes) break;
    out += ch;
    size += n;
  }
  return out;
}

/** generic_flag of `file write`: 0 dest is a path or `!key` on the receiver, then watch dir, ledger, large message. */
export type FileWriteFlag = 0 | 1 | 2 | 3;

export interface FileWriteOptions {
  source: Address;
  threadNumber?: number;
  auth?: Uint8Array;
  /** Header fields to carry besides the defaults (e.g. the job of a request being answered). */
  header?: Partial<HeaderFields>;
}

/** A file transfer: `file write <dest>` with the file bytes as payload. */
export function fileWriteMessage(
  dest: string,
  bytes: Uint8Array,
  flag: FileWriteFlag,
  opts: FileWriteOptions,
): Uint8Array[] {
  if (dest === '') throw new ProtocolError('tcp encode: file write needs a destination name');
  return encodeMessage({
    header: {
      ...opts.header,
      sourceIp: opts.source.ip,
      sourcePort: opts.source.port,
      socketCounter: opts.threadNumber ?? 0,
      genericFlag: flag,
    },
    // The receiver reads the name up to the next space and turns TABs back into spaces (member_cmd.py L10826-10832).
    command: `file write ${dest.replaceAll(' ', '\t')}`,
    payload: bytes,
    lastBlock: 'short-block',
    ...(opts.auth ? { auth: opts.auth } : {}),
  });
}

export interface LargeCommandOptions extends CommandOptions {
  /** The IP that names the file on the receiver: EdgeLake's external IP, else its local one. */
  senderIp: string;
  /** 1..100, cycling (net_client.large_msg_id_). */
  sequence: number;
}

/** A command too long for one block, sent as a file the receiver runs on the last block and then deletes. */
export function largeCommandMessage(command: string, opts: LargeCommandOptions): Uint8Array[] {
  if (!Number.isInteger(opts.sequence) || opts.sequence < 1 || opts.sequence > 100) {
    throw new ProtocolError(`tcp encode: large message sequence must be 1..100 (got ${opts.sequence})`);
  }
  return fileWriteMessage(`cmd.${opts.senderIp}.${opts.sequence}.lmsg`, encodeText(command), GenericFlag.largeMessage, {
    source: opts.source,
    header: commandHeader(opts),
    ...(opts.threadNumber !== undefined ? { threadNumber: opts.threadNumber } : {}),
    ...(opts.auth ? { auth: opts.auth } : {}),
  });
}

/** Where a reply to this header goes: the source address, or the socket's peer IP when the source is 0.0.0.0. */
export function replyTarget(request: BlockHeader, socketPeerIp: string): Address {
  // EdgeLake: tcpip_server.py L126-133 (is_source_ip_included).
  return { ip: request.sourceIp === '0.0.0.0' ? socketPeerIp : request.sourceIp, port: request.sourcePort };
}
