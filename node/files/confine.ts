// Where file commands may read and write (`file copy`, `file store`, `file retrieve`, TCP `file write`).
// Paths are checked after resolving symlinks (fs.realpath of the path, or of its deepest existing ancestor for a
// file not yet written), so a link inside a data directory cannot point a write at a database or a read at
// /etc/passwd.
//   - Never, for anyone: writing into the node's databases (`dbms_dir`), journal, ledger directory (but see
//     below), actor state (`state_dir`: users, sealed secrets) or keys (`id_dir`, `pem_dir`).
//   - From outside (a REST client or a TCP peer: `via` set): reading and writing only inside the node's data
//     directories (`prep_dir`, `watch_dir`, `bkup_dir`, `err_dir`, `archive_dir`, `distr_dir`, `test_dir`,
//     `blobs_dir`, `bwatch_dir`, `tmp_dir`).
//   - The node's owner (control socket, scripts, node.yaml) may read and write elsewhere on the machine: they
//     own it already.
//   - The ledger a master sends (TCP generic flag 2) may be written only as `blockchain[.master_id_<n>].new` in
//     the ledger directory, where the synchronizer asked for it; the ledger itself is never overwritten.
import { realpath } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { CommandError } from '../../base/errors.js';
import { Status } from '../../base/status.js';
import type { Invocation, NodeApi } from '../service.js';
import type { DispatchEnv } from '../commands/dispatcher.js';

export const DATA_DIR_KEYS = [
  'prep_dir',
  'watch_dir',
  'bkup_dir',
  'err_dir',
  'archive_dir',
  'distr_dir',
  'test_dir',
  'blobs_dir',
  'bwatch_dir',
  'tmp_dir',
] as const;

export const PROTECTED_DIR_KEYS = [
  'dbms_dir',
  'journal_dir',
  'state_dir',
  'blockchain_dir',
  'id_dir',
  'pem_dir',
] as const;

/** The directories by dictionary key (`watch_dir` -> path). */
export type NodeDirs = Record<string, string | undefined>;

export type FileAccess = 'read' | 'write' | 'ledger';

export class FileAccessError extends CommandError {
  constructor(what: string, path: string, why: string) {
    super(`${what}: '${path}' ${why}`, { code: Status.UnauthorizedCommand });
  }
}

function inside(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith(sep) ? dir : dir + sep);
}

/** realpath of `path`, or of its deepest existing ancestor joined with the rest (for a file not yet written). */
export async function realTarget(path: string): Promise<string> {
  const abs = resolve(path);
  let head = abs;
  const tail: string[] = [];
  for (let i = 0; i < 256; i++) {
    try {
      return join(await realpath(head), ...tail);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
      const up = dirname(head);
      if (up === head) break;
      tail.unshift(basename(head));
      head = up;
    }
  }
  return abs;
}

async function realDirs(dirs: NodeDirs, keys: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const k of keys) {
    const d = dirs[k];
    if (d) out.push(await realTarget(d));
  }
  return out;
}

const LEDGER_COPY = /^blockchain(\.master_id_\d+)?\.new$/;

/**
 * The real path `path` stands for, when this caller may use it for `access`; else throws FileAccessError.
 * `outside`: the command came from a REST client or a TCP peer.
 */
export async function confinedPath(
  path: string,
  access: FileAccess,
  dirs: NodeDirs,
  outside: boolean,
  what: string,
): Promise<string> {
  const real = await realTarget(path);
  if (access === 'ledger') {
    const ledgerDir = dirs['blockchain_dir'] ? await realTarget(dirs['blockchain_dir']) : undefined;
    if (ledgerDir && dirname(real) === ledgerDir && LEDGER_COPY.test(basename(real))) return real;
    throw new FileAccessError(what, path, 'is not where this node receives a ledger (blockchain.new)');
  }
  if (access === 'write' && (await realDirs(dirs, PROTECTED_DIR_KEYS)).some((d) => inside(real, d)))
    throw new FileAccessError(what, path, "is in the node's databases, journal, ledger, state or keys");
  if (access === 'read' && outside && (await realDirs(dirs, PROTECTED_DIR_KEYS)).some((d) => inside(real, d)))
    throw new FileAccessError(what, path, "is in the node's databases, journal, ledger, state or keys");
  if (outside && !(await realDirs(dirs, DATA_DIR_KEYS)).some((d) => inside(real, d)))
    throw new FileAccessError(what, path, "is outside the node's data directories");
  return real;
}

/** The directories of this node's dictionary (they follow `set anylog home`). */
export function nodeDirs(node: NodeApi): NodeDirs {
  return Object.fromEntries([...DATA_DIR_KEYS, ...PROTECTED_DIR_KEYS].map((k) => [k, node.dict.get(k)]));
}

/** Did the command come from a REST client or a TCP peer (not the node's owner)? */
export function fromOutside(inv: Invocation): boolean {
  const env = inv.env as DispatchEnv;
  return env.via !== undefined || env.peer !== undefined;
}

/** `confinedPath` for a command handler. */
export function commandPath(
  inv: Invocation,
  node: NodeApi,
  path: string,
  access: FileAccess,
  what: string,
): Promise<string> {
  return confinedPath(path, access, nodeDirs(node), fromOutside(inv), what);
}
