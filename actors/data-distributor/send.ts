// One pass of the distributor over distr_dir (the files the operator processed with `distributor = true`):
//   - each file goes to every member that does not have it yet, as EdgeLake's `file write <name>` with generic
//     flag 1 (the member's watch directory), keeping its 8-section name so the origin member and file id travel
//     with it; gzip-compressed as `<name>.gz` with `compress` (the receiving TCP server decompresses it)
//   - members in parallel, up to SEND_CONCURRENCY files in flight per member; the first failure stops that member
//     for this pass and it is not tried again before its backoff (1 s, doubling to RETRY_MAX_MS) has passed
//   - a file every member has is moved to archive_dir/YY/MM/DD/<name>.gz, or deleted when the operator already
//     archived it there (it archives its own copy with archive_json)
// A member has a file once its TCP server took all the bytes (EdgeLake's file write has no answer); a member that
// dies before landing it gets it again from its consumer (actors/data-consumer).
import { askSign } from '../../node/messages.js';
import { stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzip, gzipSync } from 'node:zlib';
import type { ActorContext } from '../../runtime/actor.js';
import { errorMessage } from '../../base/errors.js';
import { parseAddress } from '../../peer/address.js';
import { sendFile } from '../../peer/file-send.js';
import type { Address } from '../../protocols/tcp/builders.js';
import { archivePath } from '../../protocols/files/dest.js';
import { finishFile } from '../_shared/file-moves.js';
import type { Member } from '../_shared/ha-members.js';
import type { DistributorIn } from './messages.js';
import { readRegularBytes } from '../_shared/file-moves.js';

export const SEND_CONCURRENCY = 4;
const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 15_000;
const CONNECT_TIMEOUT_MS = 3000;
const gzipAsync = promisify(gzip);
const SYNC_GZIP_BYTES = 256 << 10;

export interface PassContext {
  distrDir: string;
  archiveDir: string;
  errDir: string;
  compress: boolean;
  source: Address;
  /** File name -> ids of the members that have it (written by the pass in progress only). */
  done: Map<string, Set<string>>;
  /** Member id -> when it may be tried again and the last wait (written by the pass in progress only). */
  backoff: Map<string, { until: number; delayMs: number }>;
}

const isEnoent = (err: unknown): boolean => (err as NodeJS.ErrnoException).code === 'ENOENT';

/**
 * Compressed copies made during one pass, shared by the members' lanes (which walk the same files at about the same
 * time), bounded by bytes: the oldest are dropped and made again if still needed.
 */
export class GzCache {
  private readonly entries = new Map<string, Promise<Buffer>>();
  private readonly sizes = new Map<string, number>();
  private bytes = 0;

  constructor(private readonly maxBytes = 32 << 20) {}

  get(path: string): Promise<Buffer> {
    let p = this.entries.get(path);
    if (!p) {
      // In memory: an operator's file is a few KB to a few MB. A small one is compressed at once on this thread
      // (cheaper than a trip through the thread pool), a larger one in the pool.
      p = readRegularBytes(path).then((data) => (data.length <= SYNC_GZIP_BYTES ? gzipSync(data) : gzipAsync(data)));
      this.entries.set(path, p);
      void p.then(
        (b) => this.account(path, p!, b.length),
        () => this.entries.get(path) === p && this.entries.delete(path), // the lane that asked gets the error
      );
    }
    return p;
  }

  private account(path: string, p: Promise<Buffer>, size: number): void {
    if (this.entries.get(path) !== p) return;
    this.sizes.set(path, size);
    this.bytes += size;
    for (const [k, n] of this.sizes) {
      if (this.bytes <= this.maxBytes) break;
      this.sizes.delete(k);
      this.entries.delete(k);
      this.bytes -= n;
    }
  }
}

/** The bytes to send for `file` (its path, or its compressed copy) and the name they go under. */
async function payload(
  pc: PassContext,
  file: string,
  gz: GzCache,
): Promise<{ data: string | Uint8Array; dest: string }> {
  const src = join(pc.distrDir, file);
  if (!pc.compress) return { data: src, dest: file };
  return { data: await gz.get(src), dest: `${file}.gz` };
}

/** Sends `member` the files it lacks; reports each outcome to the actor. */
export async function sendToMember(
  pc: PassContext,
  ctx: ActorContext<DistributorIn>,
  m: Member,
  files: readonly string[],
  gz: GzCache,
): Promise<void> {
  const b = pc.backoff.get(m.id);
  if (b && b.until > Date.now()) return;
  const to = parseAddress(m.address);
  if (!to) return;
  const todo = files.filter((f) => !pc.done.get(f)?.has(m.id));
  let next = 0;
  let failed = false;
  const lane = async (): Promise<void> => {
    while (!failed && next < todo.length && !ctx.signal.aborted) {
      const file = todo[next++]!;
      let what: { data: string | Uint8Array; dest: string };
      try {
        what = await payload(pc, file, gz);
      } catch (err) {
        if (isEnoent(err)) continue; // taken away meanwhile
        throw err;
      }
      try {
        const bytes = await sendFile(to, what.data, what.dest, 1, pc.source, CONNECT_TIMEOUT_MS, askSign(ctx));
        let set = pc.done.get(file);
        if (!set) pc.done.set(file, (set = new Set()));
        set.add(m.id);
        ctx.send(ctx.self, { type: 'distributor.sent', member: m, file, bytes });
      } catch (err) {
        if (failed) continue;
        failed = true;
        const delayMs = Math.min(RETRY_MAX_MS, Math.max(RETRY_MIN_MS, (pc.backoff.get(m.id)?.delayMs ?? 0) * 2));
        const until = Date.now() + delayMs;
        pc.backoff.set(m.id, { until, delayMs });
        ctx.send(ctx.self, {
          type: 'distributor.failed',
          member: m,
          file,
          error: errorMessage(err),
          retryAt: until,
        });
        ctx.log.warn('file not delivered to a cluster member: retried later', {
          file,
          member: m.address,
          retryMs: delayMs,
          error: errorMessage(err),
        });
      }
    }
  };
  await Promise.all(Array.from({ length: SEND_CONCURRENCY }, lane));
  if (!failed) pc.backoff.delete(m.id);
}

/** A file every member has: into the archive, unless the operator archived it there already. */
export async function archiveFile(pc: PassContext, file: string): Promise<void> {
  const path = join(pc.distrDir, file);
  const rel = archivePath(file, (await stat(path)).mtime);
  const gzPath = join(pc.archiveDir, rel);
  const there = await Promise.all(
    [gzPath, gzPath.slice(0, -3)].map((p) =>
      stat(p).then(
        () => true,
        (err: unknown) => {
          if (isEnoent(err)) return false;
          throw err;
        },
      ),
    ),
  );
  if (there.some(Boolean)) {
    await unlink(path);
    return;
  }
  await finishFile(
    path,
    file,
    {
      watchDir: pc.distrDir,
      archiveDir: pc.archiveDir,
      bkupDir: pc.archiveDir,
      errDir: pc.errDir,
      distrDir: pc.distrDir,
    },
    { archive: true, compress: true, delete: false, move: false },
  );
}
