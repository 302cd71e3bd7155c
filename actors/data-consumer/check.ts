// One check of the data consumer (seed 003 "Data Consumer": "continuously validates the completeness of the data set
// on his local database and if data is missing, it pulls the data from the peer members of the cluster"):
//   1. the date range: start_date and end_date (default now) evaluated now, so `-3d` slides with time
//   2. this node's TSD hashes (tsd_info and every tsd_<member>), over the range widened by a day each side (a
//      replicated file's time is its name's, to the second, and a file ingested near a boundary still counts)
//   3. each peer's TSD rows in the range: `run client (<peer>) time file get where table = * and start_date = ..
//      and end_date = .. and limit = 0 and format = json` (time-file.ts); rows still being ingested there (rows 0)
//      wait for the next check; rows of this node's own member are not pulled (see README)
//   4. a hash no local table has is missing; it is asked from a peer that lists it (another one after a failure):
//      `run client (<peer>) time file send where hash = <md5>`, which makes the peer send the archived file into
//      this node's watch directory, where the operator ingests it into tsd_<member> (actors/operator/files.ts)
//   5. a requested file seen in the local tables at a later check is fetched; one not seen after
//      REQUEST_AGAIN_MS is asked again, up to MAX_TRIES times
// In `suspend` mode steps 1-3 run (so `get consumer` shows what is missing) and no file is asked for.
import type { ActorContext } from '../../runtime/actor.js';
import { PeerError, errorMessage } from '../../base/errors.js';
import { NODE } from '../../node/messages.js';
import type { ClusterView, Member } from '../_shared/ha-members.js';
import type { ConsumerMode, DataConsumerConfig } from './config.js';
import { dateWord, parseDate } from './dates.js';
import type { ConsumerIn, PeerReport } from './messages.js';
import type { WantedFile } from './stats.js';
import type { TsdRow } from './time-file.js';

const WIDEN_MS = 86_400_000;
const REQUEST_AGAIN_MS = 60_000;
const MAX_TRIES = 5;
const REQUEST_CONCURRENCY = 4;
const PEER_TIMEOUT_S = 10;
const KEEP_FETCHED = 1000;

export interface CheckContext {
  cfg: DataConsumerConfig;
  /** Hash -> file found missing (written by the check in progress only). */
  files: Map<string, WantedFile>;
  mode(): ConsumerMode;
  cluster(): Promise<ClusterView>;
}

type Checked = Extract<ConsumerIn, { type: 'consumer.checked' }>;

function command(ctx: ActorContext<ConsumerIn>, text: string, timeoutMs: number): Promise<string> {
  return ctx.ask(NODE, { type: 'node.command', text, source: ctx.self }, timeoutMs);
}

/** The JSON one peer answered through `run client` ({"ip:port" : <json>}); its text answer is an error. */
function peerJson(reply: string, label: string): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(reply);
  } catch (err) {
    if (!(err instanceof SyntaxError)) throw err;
  }
  if (typeof parsed === 'object' && parsed !== null && label in parsed)
    return (parsed as Record<string, unknown>)[label];
  throw new PeerError(reply.replace(/^\s*\[From Node [^\]]*\]\s*/, '').trim() || `no answer from ${label}`);
}

async function ask(ctx: ActorContext<ConsumerIn>, peer: Member, text: string): Promise<unknown> {
  const reply = await command(
    ctx,
    `run client (${peer.address}, timeout = ${PEER_TIMEOUT_S}) ${text}`,
    (PEER_TIMEOUT_S + 5) * 1000,
  );
  return peerJson(reply, peer.address);
}

/** When a file is to be asked for (again). */
function due(f: WantedFile, now: number): boolean {
  if (f.status === 'missing') return true;
  if (f.tries >= MAX_TRIES || f.status === 'fetched') return false;
  if (f.status === 'requested') return now - f.requestedAt > REQUEST_AGAIN_MS;
  return now - f.requestedAt > Math.min(REQUEST_AGAIN_MS, 1000 * 2 ** f.tries);
}

function prune(files: Map<string, WantedFile>): void {
  const fetched = [...files.values()].filter((f) => f.status === 'fetched').sort((a, b) => b.fetchedAt - a.fetchedAt);
  for (const f of fetched.slice(KEEP_FETCHED)) files.delete(f.hash);
}

export async function runCheck(cc: CheckContext, ctx: ActorContext<ConsumerIn>): Promise<Checked> {
  const now = Date.now();
  const start = parseDate(cc.cfg.start_date, now, 'start_date');
  const end = cc.cfg.end_date === undefined ? new Date(now) : parseDate(cc.cfg.end_date, now, 'end_date');
  const checked = (cluster: string, peers: PeerReport[], error?: string): Checked => ({
    type: 'consumer.checked',
    cluster,
    start: dateWord(start),
    end: dateWord(end),
    peers,
    ...(error !== undefined ? { error } : {}),
  });
  const view = await cc.cluster();
  if (!view.ok) return checked('', [], view.error);
  const range = (s: number, e: number): string =>
    `time file get where table = * and start_date = ${dateWord(new Date(s))} and end_date = ${dateWord(new Date(e))} and limit = 0 and format = json`;
  let localRows: TsdRow[];
  try {
    localRows = JSON.parse(
      await command(ctx, range(start.getTime() - WIDEN_MS, end.getTime() + WIDEN_MS), 30_000),
    ) as TsdRow[];
  } catch (err) {
    return checked(
      view.cluster,
      [],
      `this node's TSD tables: ${errorMessage(err)} (the operator needs update_tsd_info = true)`,
    );
  }
  const local = new Set(localRows.map((r) => r.file_hash));
  const reports = new Map<string, PeerReport>(
    view.peers.map((p) => [p.id, { peer: p, listed: 0, missing: 0, requested: 0, fetched: 0, errors: 0 }]),
  );
  for (const f of [...cc.files.values()]) {
    if (!local.has(f.hash) || f.status === 'fetched') continue;
    if (f.status !== 'requested') {
      cc.files.delete(f.hash); // it came another way (the distributor)
      continue;
    }
    f.status = 'fetched';
    f.fetchedAt = now;
    const r = reports.get(f.peer.id);
    if (r) r.fetched++;
  }
  const listings = await Promise.all(
    view.peers.map((p) =>
      ask(ctx, p, range(start.getTime(), end.getTime())).then(
        (rows) => ({ p, rows: rows as TsdRow[], error: undefined }),
        (err: unknown) => ({ p, rows: [] as TsdRow[], error: errorMessage(err) }),
      ),
    ),
  );
  const listed = new Set<string>();
  const selfMember = view.self?.member ?? -1;
  for (const { p, rows, error } of listings) {
    const r = reports.get(p.id)!;
    if (error !== undefined) {
      r.errors++;
      r.lastError = `time file get: ${error}`;
      continue;
    }
    r.listed = rows.length;
    for (const row of rows) {
      const member = row.table === 'tsd_info' ? p.member : Number(row.table.slice(4));
      if (row.rows === 0 || local.has(row.file_hash) || (selfMember >= 0 && member === selfMember)) continue;
      r.missing++;
      listed.add(row.file_hash);
      const known = cc.files.get(row.file_hash);
      if (known) {
        // After a failure, the next peer that lists the file is asked instead.
        if (known.status === 'failed' && known.peer.id !== p.id) known.peer = p;
        continue;
      }
      cc.files.set(row.file_hash, {
        hash: row.file_hash,
        dbms: row.dbms_name,
        table: row.table_name,
        member,
        fileId: row.file_id,
        fileTime: row.file_time,
        peer: p,
        status: 'missing',
        tries: 0,
        requestedAt: 0,
        fetchedAt: 0,
        error: '',
      });
    }
  }
  // What no reachable peer lists any more (out of the range, or gone) is forgotten.
  const reachable = new Set(listings.filter((l) => l.error === undefined).map((l) => l.p.id));
  for (const f of [...cc.files.values()])
    if (f.status !== 'fetched' && reachable.has(f.peer.id) && !listed.has(f.hash)) cc.files.delete(f.hash);
  if (cc.mode() === 'active') await requestFiles(cc, ctx, reports, now);
  prune(cc.files);
  return checked(view.cluster, [...reports.values()]);
}

async function requestFiles(
  cc: CheckContext,
  ctx: ActorContext<ConsumerIn>,
  reports: Map<string, PeerReport>,
  now: number,
): Promise<void> {
  const todo = [...cc.files.values()].filter((f) => due(f, now)).slice(0, cc.cfg.max_requests);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < todo.length && cc.mode() === 'active' && !ctx.signal.aborted) {
      const f = todo[next++]!;
      const r = reports.get(f.peer.id);
      f.tries++;
      f.requestedAt = Date.now();
      try {
        await ask(ctx, f.peer, `time file send where hash = ${f.hash}`);
        f.status = 'requested';
        f.error = '';
        if (r) r.requested++;
      } catch (err) {
        f.status = 'failed';
        f.error = errorMessage(err);
        if (r) {
          r.errors++;
          r.lastError = `time file send ${f.hash}: ${f.error}`;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: REQUEST_CONCURRENCY }, lane));
}
