// What a command worker does with one command from a peer (tcpip_server.py L159-243, member_cmd.py
// post_process_command L7394-7413, send_display_message L2784-2796, query_row_by_row L4420-4500):
//   1. run it through the node's dispatcher (`ask('node', node.command)`); TABs stand for spaces inside a word
//   2. answer on a new connection to the source ip:port of the request (0.0.0.0 = the socket's peer):
//        ok                 `print` + the reply text, generic flag 2 when the text is JSON, else 1
//        unknown command    `echo Command '<text>' not recoginzed`, error 1 (EdgeLake's spelling)
//        failed             `echo` + the error text, error = its EdgeLake code
//   3. a query (`sql <dbms> ...` with a job id) is rewritten into EdgeLake's remote query (protocols/sql/plan.ts:
//      avg -> SUM, COUNT; increments -> strftime/date_trunc; `extend` values first; `limit N per col`) and
//      answers with `job reply` rows (protocols/tcp/resultset.ts), columns by position:
//        to EdgeLake        {"Query":[{"0":"<text>",..}]} per row: values as text, which EdgeLake's query
//                           node requires (utils_sql.make_insert_row quotes each value)
//        to edgelake-rt     {"Query":[{"<name>":<typed value>,..}]} per row (the request carried the mark)
//      a failed query, parsing included, answers at once: `job reply`, info type 4, error = the code (134 for
//      a statement that cannot be read), payload = the error text.
import { assertNever, EdgeRtError, errorMessage } from '../../base/errors.js';
import { listOption, parseSqlCommand, type SqlCommand } from '../../protocols/sql/command.js';
import { limitPer } from '../../protocols/sql/limit-per.js';
import { planQuery, type QueryPlan, type SqlEngine } from '../../protocols/sql/plan.js';
import { parseSelect, selectError } from '../../protocols/sql/select.js';
import { resolveTimes } from '../../protocols/sql/time.js';
import { notRecognizedReply, replyMessage, replyTarget, type Address } from '../../protocols/tcp/builders.js';
import { encodeMessage, encodeText } from '../../protocols/tcp/encoder.js';
import { InfoType, type BlockHeader } from '../../protocols/tcp/header.js';
import { resultSetMessage } from '../../protocols/tcp/resultset.js';
import { JOB_REPLY, markBlocks } from '../../peer/wire.js';
import { fastReply } from './fast-reply.js';
import { blocksDigest, destination, placeholderAuth, writeAuth } from '../../peer/sign.js';
import { Status } from '../../base/status.js';
import type { ActorContext } from '../../runtime/actor.js';
import type { ActorMessage } from '../../runtime/wire.js';
import { NODE } from '../../node/messages.js';

export interface Command {
  head: BlockHeader;
  /** The request's 207 header bytes (fast-reply.ts). */
  rawHead: Uint8Array;
  command: string;
  peerIp: string;
  replyFrom: Address;
  rt: boolean;
  /** Node authentication on: the key the request was signed with (its permissions are checked here). */
  signer?: string;
  /** Sign the answer. */
  sign?: boolean;
}

export interface ExecDeps {
  /** Runs a command on the node; rejects with the command's error. */
  /** `peer`: the requester's answer address (header source), for commands that send it files (`event get_blockchain`). */
  /** `signer`: node authentication on, the key that signed the request; the node checks its permission first. */
  run(text: string, source: string, peer?: Address, signer?: string): Promise<string>;
  /** Sends an answer's blocks (persistent when the requester is edgelake-rt). */
  send(to: Address, blocks: Uint8Array[], rt: boolean): Promise<void>;
  /** Rejects (CommandError) unless the node lets `key` run this command (node/auth/peer-auth.ts). */
  permit(key: string, command: string, dbms?: string, table?: string): Promise<void>;
  /** The authentication segment for an answer with this digest to `dest`, undefined when the node does not sign. */
  sign(digest: Uint8Array, dest: string): Promise<Uint8Array | undefined>;
  threadNumber: number;
}

/**
 * `permit` and `sign` as the node answers them (node/auth/peer-auth.ts): the private key and the ledger's
 * permissions stay on the main thread; a TCP thread only asks.
 */
export function nodeAuthDeps<In extends ActorMessage>(ctx: ActorContext<In>): Pick<ExecDeps, 'permit' | 'sign'> {
  return {
    permit: async (key, command, dbms, table) => {
      await ctx.ask(NODE, {
        type: 'node.peer.permit',
        key,
        command,
        ...(dbms !== undefined ? { dbms } : {}),
        ...(table !== undefined ? { table } : {}),
      });
    },
    sign: async (digest, dest) => (await ctx.ask(NODE, { type: 'node.peer.sign', digest, dest })) ?? undefined,
  };
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

/** The engine of a logical dbms (`get databases`): the remote query of `increments` depends on it. */
async function engineOf(deps: ExecDeps, dbms: string, source: string): Promise<SqlEngine> {
  const list = JSON.parse(await deps.run('get databases where format = json', source)) as Record<
    string,
    { dbms_type?: string }
  >;
  return list[dbms]?.dbms_type === 'psql' ? 'psql' : 'sqlite';
}

function errorReply(cmd: Command, deps: ExecDeps, err: unknown, fallback: number): Uint8Array[] {
  const code = err instanceof EdgeRtError && err.code !== undefined && err.code > 0 ? err.code : fallback;
  return encodeMessage({
    header: { ...answerHeader(cmd.head, cmd.replyFrom, deps.threadNumber), infoType: InfoType.command, error: code },
    command: JOB_REPLY,
    payload: encodeText(errorMessage(err)),
    keepUtf8Whole: true,
    ...(cmd.sign ? { auth: placeholderAuth() } : {}),
  });
}

/** The values of `extend = (...)` on this node (member_cmd.get_extend_data): this node's TCP address. */
function extendValues(plan: QueryPlan, from: Address, dbms: string, table: string): unknown[] {
  return plan.extend.map((x) => {
    switch (x.key) {
      case 'ip':
        return from.ip;
      case 'port':
        return String(from.port);
      case 'dbms_name':
        return dbms;
      case 'table_name':
        return table;
      default:
        return assertNever(x.key, 'extend key');
    }
  });
}

/**
 * A query from a query node: rewritten into EdgeLake's remote query (protocols/sql/plan.ts, as its operator
 * does in member_cmd._issue_sql -> db_info.select_parser -> unify_results.make_sql_stmt), run on the local
 * dbms, answered by position. Any failure, parsing included, is answered at once with its code (a statement
 * that cannot be read is EdgeLake's 134): the query node never waits out its timeout.
 */
async function answerQuery(cmd: Command, text: string, deps: ExecDeps, source: string): Promise<Uint8Array[]> {
  const t0 = performance.now();
  let q: SqlCommand;
  let parts: { dbms: string; table: string; plan: QueryPlan }[];
  try {
    // Node authentication: the signer's permissions name each table the statement reads, a subquery's included
    // (node/auth/sql-scope.ts).
    if (cmd.signer !== undefined) await deps.permit(cmd.signer, text);
    q = parseSqlCommand(text);
    // EdgeLake's query node sends now() already set; a caller that did not gets this node's instant.
    const sel = parseSelect(resolveTimes(q.query, new Date()));
    const extend = listOption(q.options.get('extend'));
    // `include = t2 and include = dbms2.t3` (member_cmd.partition_query L5431+): the same statement over
    // those tables too, as if they were the queried one.
    const tables = [
      { dbms: q.dbms, table: sel.table },
      ...listOption(q.options.get('include')).map((e) => {
        const dot = e.indexOf('.');
        return dot < 0 ? { dbms: q.dbms, table: e } : { dbms: e.slice(0, dot), table: e.slice(dot + 1) };
      }),
    ];
    parts = [];
    for (const t of tables) {
      if (!/^[\w$]+$/.test(t.dbms) || !/^[\w$]+$/.test(t.table))
        throw selectError(`include: '${t.dbms}.${t.table}' is not a table name`);
      const engine = await engineOf(deps, t.dbms, source);
      parts.push({ ...t, plan: planQuery({ ...sel, table: t.table }, { engine, localTable: 'query', extend }) });
    }
  } catch (err) {
    return errorReply(cmd, deps, err, Status.SelectStatement);
  }
  // `committed = true` (member_cmd._issue_sql L5237): rows on every node of the cluster. Without HA peers
  // sharing this node's tables (edgelake-rt's operator keeps no safe ids), all local rows are committed.
  const plan = parts[0]!.plan;
  let rows: unknown[][] = [];
  let names: string[] = [];
  for (const part of parts) {
    let reply: string;
    try {
      reply = await deps.run(`sql ${part.dbms} format = json ${part.plan.remote}`, source);
    } catch (err) {
      // EdgeLake skips a table this node does not have when several are queried.
      if (parts.length > 1 && /no such table|does not exist/i.test(errorMessage(err))) continue;
      return errorReply(cmd, deps, err, Status.SqlFailure);
    }
    const objects = (JSON.parse(reply) as { Query?: Record<string, unknown>[] }).Query ?? [];
    const extra = extendValues(plan, cmd.replyFrom, part.dbms, part.table);
    if (names.length === 0 && objects[0]) names = [...plan.extend.map((x) => x.key), ...Object.keys(objects[0])];
    let some = objects.map((r) => [...extra, ...Object.values(r)]);
    if (plan.perColumn !== undefined && plan.limit !== undefined && objects[0]) {
      const at = Object.keys(objects[0]).findIndex((k) => k.toLowerCase() === plan.perColumn!.toLowerCase());
      if (at >= 0) some = limitPer(some, extra.length + at, plan.limit);
    }
    rows = rows.concat(some);
  }
  // edgelake-rt query nodes read the values by position too; the names let a node without the table's
  // metadata still name the columns of a `select *`.
  const texts = rows.map((r) =>
    JSON.stringify({
      Query: [Object.fromEntries(r.map((v, i) => (cmd.rt ? [names[i] ?? String(i), v] : [String(i), pyText(v)])))],
    }),
  );
  return resultSetMessage(cmd.head, texts, {
    threadNumber: deps.threadNumber,
    dbmsTimeMs: Math.round(performance.now() - t0),
    ...(cmd.sign ? { auth: placeholderAuth() } : {}),
  });
}

/** The header fields an answer keeps from the request (EdgeLake reuses the request's buffer). */
function answerHeader(head: BlockHeader, from: Address, threadNumber: number) {
  const { commandLength: _c, authLength: _a, dataLength: _d, blockNumber: _b, lastFlag: _l, ...rest } = head;
  return { ...rest, sourceIp: from.ip, sourcePort: from.port, socketId: 0, socketCounter: threadNumber };
}

/** A query (`sql` with a job id): answered with `job reply` rows, built by a command worker. */
export function isQuery(head: BlockHeader, command: string): boolean {
  return head.jobId !== 0 && /^\s*sql\s/i.test(command);
}

type ReplyOpts = { source: Address; threadNumber: number; auth?: Uint8Array };

/** One block (almost every answer): built from the request's raw header (fast-reply.ts), same bytes. */
function replyBlocks(cmd: Command, reply: string, error: number, json: boolean, opts: ReplyOpts): Uint8Array[] {
  const one = fastReply(cmd.rawHead, reply, { ...opts, error, json });
  return one ? [one] : replyMessage(cmd.head, reply, { ...opts, error, json });
}

/**
 * The blocks `execute` sends for an unsigned command whose run answered `reply` (undefined: it sends none), for a
 * reply known without running the command (local.ts).
 */
export function plainAnswer(cmd: Command, reply: string, threadNumber: number): Uint8Array[] | undefined {
  if (cmd.sign) throw new Error('plainAnswer: signed answers are built by execute()');
  if (reply === '' && cmd.head.jobId === 0) return undefined;
  const to = replyTarget(cmd.head, cmd.peerIp);
  if (to.port === 0 || to.ip === '') return undefined;
  const blocks = replyBlocks(cmd, reply, 0, looksJson(reply), { source: cmd.replyFrom, threadNumber });
  if (cmd.rt) markBlocks(blocks);
  return blocks;
}

/** Runs one command from a peer and sends the answer. Resolves when the answer is sent (or cannot be). */
export async function execute(cmd: Command, deps: ExecDeps): Promise<void> {
  const text = cmd.command.replaceAll('\t', ' ');
  const source = `tcp ${cmd.peerIp}`;
  const to = replyTarget(cmd.head, cmd.peerIp);
  const opts = {
    source: cmd.replyFrom,
    threadNumber: deps.threadNumber,
    ...(cmd.sign ? { auth: placeholderAuth() } : {}),
  };
  let blocks: Uint8Array[];

  const answer = (reply: string, error: number, json: boolean): Uint8Array[] =>
    replyBlocks(cmd, reply, error, json, opts);
  if (isQuery(cmd.head, text)) blocks = await answerQuery(cmd, text, deps, source);
  else {
    try {
      const reply = await deps.run(text, source, to, cmd.signer);
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
  if (cmd.sign) {
    // No segment: the node stopped signing meanwhile; the placeholder reads as unsigned on the receiver.
    const auth = await deps.sign(blocksDigest(blocks), destination(to.ip, to.port));
    if (auth) writeAuth(blocks, auth);
  }
  if (cmd.rt) markBlocks(blocks);
  await deps.send(to, blocks, cmd.rt);
}
