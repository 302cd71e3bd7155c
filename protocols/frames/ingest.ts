// The msgpack-framed records that carry rows through the runtime's SharedArrayBuffer rings
// (runtime/ring.ts):  producer (REST, msg client, Kafka, gRPC) --rows--> streamer --batch--> operator.
// Every record names the journal entries it carries (stream, seq), so the operator records exactly
// which entries are in the database and can fill any gap from the journal (storage/journal).

/** One journal entry: the rows a producer accepted in one request/message. */
export interface RowsFrame {
  t: 'rows';
  dbms: string;
  table: string;
  stream: string;
  seq: number;
  count: number;
  /** UTF-8 bytes of the JSON array text of row objects (json-bytes.ts). */
  rows: Uint8Array;
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
