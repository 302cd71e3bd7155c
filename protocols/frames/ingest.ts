// The msgpack-framed records that name rows through the runtime's SharedArrayBuffer rings
// (runtime/ring.ts):  producer (REST, msg client, Kafka, gRPC) --rows--> streamer --batch--> operator.
// Every record names the journal entries it stands for (stream, seq), so the operator records exactly
// which entries are in the database and can fill any gap from the journal (storage/journal).
// A record may carry the rows' bytes or only name them: producers journal the rows durably before they push, so
// they push the name alone and the operator reads the rows from the journal when it applies them. A body's bytes
// then leave the producer once (into LMDB) and are read once (out of it), where carrying them cost two encodings
// and six copies through the two rings, and the garbage of each (bench/README.md "Profile", branch sqlrow).

/** One journal entry: the rows a producer accepted in one request/message. */
export interface RowsFrame {
  t: 'rows';
  dbms: string;
  table: string;
  stream: string;
  seq: number;
  count: number;
  /**
   * UTF-8 bytes of the JSON array text of row objects (json-bytes.ts), or absent: the rows are the journal entry
   * (dbms, table, stream, seq), read there by the operator.
   */
  rows?: Uint8Array;
  /** Bytes of the rows' text (rows.length when they travel along): the streamer's volume, the operator's bounds. */
  bytes: number;
  keys: string[];
  /** When the producer accepted it (ms), for latency figures. */
  at: number;
}

/** The entries of one dbms.table that the streamer flushes together (per stream in seq order). */
export interface BatchFrame {
  t: 'batch';
  dbms: string;
  table: string;
  parts: Omit<RowsFrame, 't' | 'dbms' | 'table'>[];
}

export type IngestFrame = RowsFrame | BatchFrame;
