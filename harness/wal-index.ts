// Reads a SQLite database's WAL-index (the `-shm` file) without opening the database: how many frames of the
// write-ahead log are valid (`mxFrame`: what a recovery after kill -9 reads back), how many of them a checkpoint has
// copied into the database (`nBackfill`), and the readers' marks. Reading the file takes no lock and runs no
// checkpoint, so watching a node does not change what it does. Only from a process that has no SQLite connection to
// the file: closing a descriptor of the `-shm` drops every POSIX lock the process holds on it (restart-replay's bench
// watches a child node; test/storage/sqlite-wal-restart.test.ts a child writer).
// Layout (sqlite/src/wal.c, "WAL-INDEX FORMAT"): two copies of the 48-byte WalIndexHdr (u32 iVersion, u32 unused,
// u32 iChange, u8 isInit, u8 bigEndCksum, u16 szPage, u32 mxFrame, u32 nPage, ...), then WalCkptInfo at 96 (u32
// nBackfill, u32 aReadMark[5], u8 aLock[8], u32 nBackfillAttempted); native byte order (little-endian here).
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';

export interface WalIndex {
  /** Frames in the log that a reader (or a recovery) takes as valid. */
  mxFrame: number;
  /** Frames already copied into the database file by a checkpoint. */
  nBackfill: number;
  /** Page size (bytes): one frame is a page plus a 24-byte frame header. */
  pageSize: number;
  /** The readers' marks: the last frame each read snapshot may use (0xffffffff: slot unused). */
  readMarks: number[];
  /** The `-wal` file's size on disk (bytes): its high-water mark; frames past mxFrame are stale. */
  walFileBytes: number;
}

export function readWalIndex(dbFile: string): WalIndex | undefined {
  const shm = `${dbFile}-shm`;
  if (!existsSync(shm)) return undefined;
  const buf = Buffer.alloc(136);
  const fd = openSync(shm, 'r');
  try {
    if (readSync(fd, buf, 0, 136, 0) < 136) return undefined;
  } finally {
    closeSync(fd);
  }
  const sz = buf.readUInt16LE(14);
  const wal = `${dbFile}-wal`;
  return {
    mxFrame: buf.readUInt32LE(16),
    nBackfill: buf.readUInt32LE(96),
    pageSize: sz === 1 ? 65536 : sz,
    readMarks: [0, 1, 2, 3, 4].map((i) => buf.readUInt32LE(100 + 4 * i)),
    walFileBytes: existsSync(wal) ? statSync(wal).size : 0,
  };
}

/** The valid part of the log in MB (frames of a page plus their 24-byte headers). */
export function validWalMb(w: WalIndex): number {
  return (w.mxFrame * (w.pageSize + 24)) / 1e6;
}
