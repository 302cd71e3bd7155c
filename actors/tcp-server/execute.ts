// What a command worker does with one command from a peer (tcpip_server.py L159-243, member_cmd.py
// post_process_command L7394-7413, send_display_message L2784-2796, query_row_by_row L4420-4500):
//   1. run it through the node's dispatcher (`ask('node', node.command)`); TABs stand for spaces inside a word
//   2. answer on a new connection to the source ip:port of the request (0.0.0.0 = the socket's peer):
//        ok                 `print` + the reply text, generic flag 2 when the text is JSON, else 1
//        unknown command    `echo Command '<text>' not recoginzed`, error 1 (EdgeLake's spelling)
//        failed             `echo` + the error text, error = its EdgeLake code
//   3. a query (`sql <dbms> ...` with a job id) answers with `job reply` rows (protocols/tcp/resultset.ts):
//        to EdgeLake        {"Query":[{"0":"<text>",..}]} per row: columns by position, values as text, which
//                           EdgeLake's query node requires (utils_sql.make_insert_row quotes each value)
//        to edgelake-rt     {"Query":[{"<name>":<typed value>,..}]} per row (the request carried the mark)
//      a failed query answers `job reply`, info type 4, error = the code, payload = the error text.
import { EdgeRtError, errorMessage } from '../../base/errors.js';
import { tokenize } from '../../protocols/command/lexer.js';
import { notRecognizedReply, replyMessage, replyTarget, type Address } from '../../protocols/tcp/builders.js';
import { encodeMessage, encodeText } from '../../protocols/tcp/encoder.js';
import { InfoType, type BlockHeader } from '../../protocols/tcp/header.js';
import { resultSetMessage } from '../../protocols/tcp/resultset.js';
import { JOB_REPLY, markBlocks } from '../../peer/wire.js';
import { fastReply } from './fast-reply.js';
import { Status } from '../../base/status.js';

export interface Command {
  head: BlockHeader;
  /** The request's 207 header bytes (fast-reply.ts). */
  rawHead: Uint8Array;
  command: string;
  peerIp: string;
  replyFrom: Address;
  rt: boolean;
}

export interface ExecDeps {
  /** Runs a command on the node; rejects with the command's error. */
  /** `peer`: the requester's answer address (header source), for commands that send it files (`event get_blockchain`). */
  run(text: string, source: string, peer?: Address): Promise<string>;
  /** Sends an answer's blocks (persistent when the requester is edgelake-rt). */
  send(to: Address, blocks: Uint8Array[], rt: boolean): Promise<void>;
  threadNumber: number;
}

/**
 * EdgeLake answers "not recognized" when the first word is no command (get_executable_command); a known first
 * word with unknown words after it (`get xyzzy`) is an `echo` of error 2, Error Command Structure (VERIFIED
 * against EdgeLake 1.4 on loopback).
 */
function isUnknownCommand(err: unknown): boolean {
  return err instanceof EdgeRtError && err.code === Status.NotInCommandsDict;
}

function looksJson(text: string): boolean {
  const c = text.trimStart()[0];
  if (c !== '{' && c !== '[') return false;
  try {
    JSON.parse(text);
    return true;
  } catch (err) {
    if (err instanceof SyntaxError) return false;
    throw err;
  }
}

/** Python's str() of a value as EdgeLake's operator writes it into a row ('' for NULL). */
function pyText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

interface Query {
  dbms: string;
  query: string;
}

/** `sql <dbms> [key = value [and ...]] <query>` as EdgeLake sends it (the query may be one TAB-joined word). */
function parseQuery(text: string): Query | undefined {
  const toks = tokenize(text);
  if (toks[0]?.text.toLowerCase() !== 'sql' || !toks[1]) return undefined;
  let i = 2;
  while (i + 2 < toks.length && toks[i]!.kind === 'word' && toks[i + 1]?.kind === 'op' && toks[i + 1]!.text === '=') {
    i += 3;
    if (toks[i]?.kind === 'word' && toks[i]!.text.toLowerCase() === 'and') i++;
  }
  const first = toks[i];
  if (!first) return undefined;
  const query = first.kind === 'string' && i === toks.length - 1 ? first.text : text.slice(first.pos).trim();
  return { dbms: toks[1].text, query };
}

async function answerQuery(cmd: Command, q: Query, deps: ExecDeps, source: string): Promise<Uint8Array[]> {
  const t0 = performance.now();
  let reply: string;
  try {
    reply = await deps.run(`sql ${q.dbms} format = json ${q.query}`, source);
  } catch (err) {
    const code = err instanceof EdgeRtError && err.code !== undefined ? err.code : 3;
    return encodeMessage({
      header: { ...answerHeader(cmd.head, cmd.replyFrom, deps.threadNumber), infoType: InfoType.command, error: code },
      command: JOB_REPLY,
      payload: encodeText(errorMessage(err)),
      keepUtf8Whole: true,
    });
  }
  const rows = (JSON.parse(reply) as { Query?: Record<string, unknown>[] }).Query ?? [];
  const texts = rows.map((r) =>
    JSON.stringify({
      Query: [cmd.rt ? r : Object.fromEntries(Object.values(r).map((v, i) => [String(i), pyText(v)]))],
    }),
  );
  return resultSetMessage(cmd.head, texts, {
    threadNumber: deps.threadNumber,
    dbmsTimeMs: Math.round(performance.now() - t0),
  });
}

/** The header fields an answer keeps from the request (EdgeLake reuses the request's buffer). */
function answerHeader(head: BlockHeader, from: Address, threadNumber: number) {
  const { commandLength: _c, authLength: _a, dataLength: _d, blockNumber: _b, lastFlag: _l, ...rest } = head;
  return { ...rest, sourceIp: from.ip, sourcePort: from.port, socketId: 0, socketCounter: threadNumber };
}

/** Runs one command from a peer and sends the answer. Resolves when the answer is sent (or cannot be). */
export async function execute(cmd: Command, deps: ExecDeps): Promise<void> {
  const text = cmd.command.replaceAll('\t', ' ');
  const source = `tcp ${cmd.peerIp}`;
  const to = replyTarget(cmd.head, cmd.peerIp);
  const opts = { source: cmd.replyFrom, threadNumber: deps.threadNumber };
  let blocks: Uint8Array[];
  const q = cmd.head.jobId !== 0 ? parseQuery(text) : undefined;
  // One block (almost every answer): built from the request's raw header (fast-reply.ts), same bytes.
  const answer = (reply: string, error: number, json: boolean): Uint8Array[] => {
    const one = fastReply(cmd.rawHead, encodeText(reply), {
      source: cmd.replyFrom,
      error,
      json,
      threadNumber: deps.threadNumber,
    });
    return one ? [one] : replyMessage(cmd.head, reply, { ...opts, error, json });
  };
  if (q) blocks = await answerQuery(cmd, q, deps, source);
  else {
    try {
      const reply = await deps.run(text, source, to);
      // Nobody waits for it (job id 0) and it said nothing: no answer, as EdgeLake for its events and `blockchain
      // push` (only failures are echoed). Keeps a synchronizer's console free of empty `[From Node ..]` lines.
      if (reply === '' && cmd.head.jobId === 0) return;
      blocks = answer(reply, 0, looksJson(reply));
    } catch (err) {
      if (isUnknownCommand(err)) blocks = notRecognizedReply(cmd.head, cmd.command, opts);
      else {
        const code = err instanceof EdgeRtError && err.code !== undefined && err.code > 0 ? err.code : 3;
        blocks = answer(errorMessage(err), code, false);
      }
    }
  }
  // Port 0: the requester gave no address to answer to (EdgeLake: ERR_dest_IP_Ports, nothing sent).
  if (to.port === 0 || to.ip === '') return;
  if (cmd.rt) markBlocks(blocks);
  await deps.send(to, blocks, cmd.rt);
}
