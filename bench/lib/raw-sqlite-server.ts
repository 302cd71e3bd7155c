// The raw libsql baseline of `ingest-sqlite`, fed as the node is: a bare node:http server in its own process that
// takes the same PUT bodies from the same client and inserts each body's bytes as they came
// (`INSERT ... SELECT json_extract(value, ..) FROM json_each(cast(? as text))`, the node's statement shape) into a
// table made by the node's own DDL (given on argv: the `sql` of the node's table and its indexes, as read from
// the node's sqlite_master), WAL, synchronous=FULL, a ~40 MB log bound as the node's writer keeps (sqlite-wal.ts);
// a PUT is answered when its body is in (the node answers after its journal fsync; here there is no journal) and
// `GET` answers how many rows are committed: the bench's clock stops when every row is committed, on both sides.
// What it leaves out is what the node adds: validation, the journal, the rings, the positions row, the log's
// own checkpoints (RESTART past the bound, TRUNCATE when idle).
//
// One writer: every body that arrived while the last transaction ran goes into the next one (at most
// MAX_TX_BODIES, 50,000 rows of 1,000-row bodies, the node's bound per transaction: operator/apply.ts MAX_TX_ROWS),
// so under load transactions grow as the node's merged ones do; the clients are never held back by a commit.
// Usage:
//   node --import tsx bench/lib/raw-sqlite-server.ts <db file> <table> <ddl statements as a JSON array>
// prints its port on stdout, stops on SIGTERM.
import { createServer } from 'node:http';
import Database from 'libsql';

const [file, table, ddlJson] = process.argv.slice(2);
if (!file || !table || !ddlJson) throw new Error('usage: raw-sqlite-server <db file> <table> <ddl json>');
const ddl = JSON.parse(ddlJson) as string[];

const db = new Database(file);
db.exec('PRAGMA journal_mode=WAL');
db.exec('PRAGMA synchronous=FULL');
// 10,000 pages of 4 KB: the node's writer empties its log at 40 MB (WAL_BOUND_BYTES); SQLite's own checkpoint
// at the same bound is the raw way to keep the log as small.
db.exec('PRAGMA wal_autocheckpoint=10000');
for (const s of ddl) db.exec(s);
const cols = (db.prepare(`PRAGMA table_info("${table}")`).all() as { name: string }[])
  .map((c) => c.name)
  .filter((c) => !['row_id', 'insert_timestamp', 'tsd_name', 'tsd_id'].includes(c));
const insert = db.prepare(
  `INSERT INTO "${table}" (insert_timestamp, tsd_name, tsd_id, ${cols.map((c) => `"${c}"`).join(', ')}) ` +
    `SELECT ?, ?, ?, ${cols.map((c) => `json_extract(value, '$.${c}')`).join(', ')} FROM json_each(cast(? as text))`,
);
const commit = db.transaction((bodies: Buffer[], at: string): number => {
  let rows = 0;
  for (const b of bodies) rows += (insert.run(at, '0', 0, b) as { changes: number }).changes;
  return rows;
});

const MAX_TX_BODIES = 50;
let pending: Buffer[] = [];
let scheduled = false;
let committed = 0;

function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  // After this turn's I/O callbacks: bodies that arrived together share a transaction, and requests are read
  // between transactions.
  setImmediate(writeSome);
}

function writeSome(): void {
  scheduled = false;
  const batch = pending.slice(0, MAX_TX_BODIES);
  pending = pending.slice(batch.length);
  committed += commit(batch, new Date().toISOString());
  if (pending.length > 0) schedule();
}

const server = createServer((req, res) => {
  if (req.method === 'GET') {
    res.end(String(committed));
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    pending.push(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    res.end('{"ok":true}');
    schedule();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const addr = server.address();
  process.stdout.write(`${typeof addr === 'object' && addr ? addr.port : 0}\n`);
});
process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  db.close();
  process.exit(0);
});
