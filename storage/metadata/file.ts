// EdgeLake's metadata file `<blockchain dir>/blockchain.json` (blockchain/blockchain.py blockchain_write L92-140,
// generic/utils_io.py append_data_to_file L2386-2400, write_list_to_file L763-788):
//   one policy per line, `json.dumps(policy)` (default separators `, ` and `: `), each line ending in `\n`
//   a deleted policy is recorded by appending `{"deleted": { "id" : "<id>", "ledger" : "local" }}` (L895-930)
// Its md5 (of the whole file) is EdgeLake's "Metadata Version" (`get synchronizer`, bsync.py BlockchainStat).
// Writes here are durable before they return: an append is fsynced, a rewrite goes to `<file>.tmp`, is fsynced and
// renamed over the file (EdgeLake rewrites in place, so a crash can leave half a ledger).
import { createHash, type Hash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { mkdirSync } from 'node:fs';

export const md5Hex = (text: string | Uint8Array): string => createHash('md5').update(text).digest('hex');

/** EdgeLake's exact text for a deletion record (blockchain.py delete_policy L913). */
export function deletedLine(id: string): string {
  return `{"deleted": { "id" : "${id}", "ledger" : "local" }}`;
}

/** The ledger file as text ('' when there is none). */
export function readLedgerText(path: string): string {
  return existsSync(path) ? readFileSync(path, 'utf8') : '';
}

/** The non-empty lines of a ledger text, without their line ends. */
export function ledgerLines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '');
}

/** The file text of these lines. */
export function ledgerText(lines: readonly string[]): string {
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

function writeAll(fd: number, text: string): void {
  const buf = Buffer.from(text, 'utf8');
  let at = 0;
  while (at < buf.length) at += writeSync(fd, buf, at, buf.length - at);
}

/** Replaces the file with `text`, atomically and durably. */
export function writeLedgerFile(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeAll(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/** Appends lines (each with its `\n`) and fsyncs. */
export function appendLedgerLines(path: string, lines: readonly string[]): void {
  mkdirSync(dirname(path), { recursive: true });
  const fd = openSync(path, 'a', 0o600);
  try {
    writeAll(fd, ledgerText(lines));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** The md5 of a file that only grows between rewrites: updated line by line, read at any time. */
export class RunningMd5 {
  private hash: Hash = createHash('md5');
  private bytes = 0;

  reset(text: string): void {
    this.hash = createHash('md5').update(text);
    this.bytes = Buffer.byteLength(text);
  }

  append(text: string): void {
    this.hash.update(text);
    this.bytes += Buffer.byteLength(text);
  }

  /** md5 hex of everything so far; EdgeLake reports '0' for a missing or empty file. */
  hex(): string {
    return this.bytes === 0 ? '0' : this.hash.copy().digest('hex');
  }
}
