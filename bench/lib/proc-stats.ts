// What /proc says of a process (Linux): its RSS, open fds and their kinds, the soak's samples (soak.ts).
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

export const rssMb = (pid: number): number =>
  Number(
    execFileSync('ps', ['-o', 'rss=', '-p', String(pid)])
      .toString()
      .trim(),
  ) / 1024;
export const fds = (pid: number): number => readdirSync(`/proc/${pid}/fd`).length;
/**
 * Open fds of the node by kind: sockets (its REST connections follow the bench's client pool: up to 16 PUTs in
 * flight, pooled sockets kept 4 s, so they move with the load of that moment), pipes, anon inodes (eventfd, epoll),
 * and files by suffix (`.db`, `-wal`, `-shm`, `.mdb`, other). SQLite's unix VFS does not close a closed connection's
 * descriptor while another connection of the process holds a lock on the file (os_unix.c `unixClose`: they close
 * when the last lock goes), so under ingest the database's and WAL's counts move with the writer's locks too.
 */
export function fdKinds(pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let target: string;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch (err) {
      // Closed between the listing and the link read: not open any more.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      continue;
    }
    const kind = target.startsWith('socket:')
      ? 'socket'
      : target.startsWith('pipe:')
        ? 'pipe'
        : target.startsWith('anon_inode:')
          ? target.slice('anon_inode:'.length).replace(/[[\]]/g, '')
          : (/(\.db|-wal|-shm|-journal|\.mdb)$/.exec(target)?.[1] ?? 'file');
    out[kind] = (out[kind] ?? 0) + 1;
  }
  return out;
}
/** RSS split as Linux counts it: anonymous (heaps) and file-backed (mapped files: the LMDB journal, libraries). */
export function rssSplit(pid: number): { anon: number; file: number } {
  const st = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string): number => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(st)?.[1] ?? 0) / 1024;
  return { anon: kb('RssAnon'), file: kb('RssFile') + kb('RssShmem') };
}
