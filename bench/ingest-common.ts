// Shared pieces of the ingest benchmarks: a node in a child process (the compiled CLI, as users run
// it), HTTP PUT load with keep-alive, and the rows (1,000 per body, 5 data columns, every row unique).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request, type ClientRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import Database from 'libsql';
import { freePort } from '../harness/child-node.js';

export { freePort };
import { ensureBuilt } from './lib/build.js';

export const ROOT = new URL('..', import.meta.url).pathname;
export const CLI = join(ROOT, 'dist/main/cli/main.js');

export interface BenchNode {
  root: string;
  port: number;
  proc: ChildProcess;
  /** The node's own process: `proc`'s pid, or under `BENCH_NODE_WRAP` the node process the wrapper started. */
  pid: number;
  stop(): Promise<void>;
}

/**
 * The node process under `wrapper` (pid): the descendant whose executable is this node binary (a wrapper such as
 * heaptrack runs it as a child of its shell script), or the wrapper itself once it has exec'd node (`env VAR=x`).
 * Undefined while it has not started yet.
 */
function nodeUnder(wrapper: number): number | undefined {
  const parent = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      // /proc/<pid>/stat: `pid (comm) state ppid ...`; comm may hold spaces, so split after its closing paren.
      const st = readFileSync(`/proc/${d}/stat`, 'utf8');
      parent.set(Number(d), Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // Gone between the listing and the read.
    }
  }
  for (const [pid] of parent) {
    let p: number | undefined = pid;
    while (p !== undefined && p > 1 && p !== wrapper) p = parent.get(p);
    if (p !== wrapper) continue;
    try {
      if (readlinkSync(`/proc/${pid}/exe`) === process.execPath) return pid;
    } catch {
      // Gone, or not ours to read.
    }
  }
  return undefined;
}

/** Starts a node (dist CLI) with REST, streamer and operator on `dbmsYaml`; resolves when REST answers. */
export async function startNode(dbmsYaml: string, extraServices = ''): Promise<BenchNode> {
  ensureBuilt();
  const root = mkdtempSync(join(tmpdir(), 'elrt-bench-'));
  const port = await freePort();
  const yaml = join(root, 'node.yaml');
  writeFileSync(
    yaml,
    `node:\n  name: bench\n  root: ${root}\n  log_level: warn\ndbms:\n${dbmsYaml}\nservices:\n  rest_server:\n    internal_ip: 127.0.0.1\n    internal_port: ${port}\n  streamer: {}\n  operator: {}\n${extraServices}`,
  );
  // BENCH_CPU_PROF=<dir>: the node runs with --cpu-prof, one .cpuprofile per thread (workers too) in <dir>,
  // written when the node stops; `node --import tsx bench/lib/cpuprof-top.ts <dir>` sums them up.
  const prof = process.env['BENCH_CPU_PROF'];
  const flags = prof ? ['--cpu-prof', '--cpu-prof-dir', prof] : [];
  // BENCH_NODE_WRAP='<command and args>': the node runs under that command (split on spaces), e.g.
  // `heaptrack -o /tmp/soak` to record its native allocations, or `env LD_PRELOAD=<allocator>` to try another malloc
  // (bench/README.md soak); RSS and fds are the node's.
  const wrap = (process.env['BENCH_NODE_WRAP'] ?? '').split(' ').filter((w) => w !== '');
  const argv = [process.execPath, ...flags, CLI, 'start', yaml];
  const proc = spawn(wrap[0] ?? argv[0]!, [...wrap.slice(1), ...argv.slice(wrap.length === 0 ? 1 : 0)], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const deadline = Date.now() + (wrap.length === 0 ? 20_000 : 120_000);
  for (;;) {
    try {
      await get(port, 'get status');
      break;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const pid = wrap.length === 0 ? proc.pid! : nodeUnder(proc.pid!);
  if (pid === undefined) throw new Error(`BENCH_NODE_WRAP: no node process under ${wrap[0]} (pid ${proc.pid})`);
  return {
    root,
    port,
    proc,
    pid,
    stop: () =>
      new Promise((r) => {
        // The wrapper ends when the node does (a shell would not pass the signal on).
        proc.once('exit', () => r());
        process.kill(pid, 'SIGTERM');
      }),
  };
}

/**
 * `timeout` makes the agent expire a pooled socket before the server does: node's agent takes the server's
 * `Keep-Alive: timeout=5` less 1 s only when it has a timeout of its own (0, the default, keeps idle sockets forever).
 * Without it, a socket idle past the server's close (6 s on Node 20) could be taken for a PUT while its FIN waited
 * behind this busy loop (building the next body): the PUT failed with `socket hang up` (bench/README.md soak). On a
 * socket in use the timeout only emits 'timeout', which nothing here listens to: a long query is not cut.
 */
const agent = new Agent({ keepAlive: true, maxSockets: 64, timeout: 60_000 });
/** When each socket went back to the pool, to say in a failure how long the socket it took had been idle. */
const freedAt = new WeakMap<object, number>();
agent.on('free', (socket: object) => freedAt.set(socket, Date.now()));

/** The request's error with whether it went out on a pooled socket and how long that socket had been idle. */
function requestError(req: ClientRequest, idleMs: number | undefined, err: Error): Error {
  const on = req.reusedSocket ? `a pooled socket idle ${idleMs ?? '?'} ms` : 'a new socket';
  return new Error(`${err.message} (on ${on})`, { cause: err });
}

export function put(port: number, headers: Record<string, string>, body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'PUT',
        agent,
        headers: { 'content-length': Buffer.byteLength(body), ...headers },
      },
      (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (data += c));
        res.on('end', () =>
          res.statusCode === 200 ? resolve(data) : reject(new Error(`PUT ${res.statusCode}: ${data}`)),
        );
      },
    );
    let idleMs: number | undefined;
    req.on('socket', (sock) => {
      const at = freedAt.get(sock);
      if (at !== undefined) idleMs = Date.now() - at;
    });
    req.on('error', (err) => reject(requestError(req, idleMs, err)));
    req.end(body);
  });
}

export function get(port: number, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method: 'GET', agent, headers: { command, 'User-Agent': 'AnyLog/1.23' } },
      (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (data += c));
        res.on('end', () =>
          res.statusCode === 200 ? resolve(data) : reject(new Error(`GET ${res.statusCode}: ${data}`)),
        );
      },
    );
    let idleMs: number | undefined;
    req.on('socket', (sock) => {
      const at = freedAt.get(sock);
      if (at !== undefined) idleMs = Date.now() - at;
    });
    req.on('error', (err) => reject(requestError(req, idleMs, err)));
    req.end();
  });
}

export async function count(port: number, dbms: string, table: string): Promise<number> {
  try {
    const r = await get(port, `sql ${dbms} format = json "select count(*) as n from ${table}"`);
    return Number((JSON.parse(r) as { Query: { n: number | string }[] }).Query[0]?.n ?? 0); // PostgreSQL's count is a bigint string
  } catch (err) {
    if (/no such table|does not exist/.test((err as Error).message)) return 0;
    throw err;
  }
}

export interface Row {
  timestamp: string;
  device: string;
  value: number;
  count: number;
  ok: boolean;
}

/** `n` bodies of `rows` rows; row i of body b is unique (count = b * rows + i). */
export function bodies(n: number, rows = 1000, base = Date.UTC(2026, 0, 1)): { text: string; rows: Row[] }[] {
  return Array.from({ length: n }, (_, b) => {
    const rs = Array.from({ length: rows }, (_, i) => {
      const k = b * rows + i;
      return {
        timestamp: new Date(base + k).toISOString(),
        device: `dev-${k % 16}`,
        value: k * 0.25,
        count: k,
        ok: k % 2 === 0,
      };
    });
    return { text: JSON.stringify(rs), rows: rs };
  });
}

/** Runs `tasks` with at most `c` in flight. */
export async function pool<T>(c: number, tasks: (() => Promise<T>)[]): Promise<T[]> {
  const out: T[] = new Array(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: c }, async () => {
      while (next < tasks.length) {
        const i = next++;
        out[i] = await tasks[i]!();
      }
    }),
  );
  return out;
}

/** Where the raw SQLite baseline writes: by default a table `t` with EdgeLake's columns and no index. */
export interface RawTable {
  /** The statements that create the table (e.g. the node's own, read from its sqlite_master). */
  ddl: readonly string[];
  name: string;
}

const BARE_TABLE: RawTable = {
  ddl: [
    'CREATE TABLE t(row_id integer primary key autoincrement, insert_timestamp timestamp, tsd_name char(3), tsd_id int, timestamp timestamp, device varchar, value decimal, count int, ok boolean)',
  ],
  name: 't',
};

/** The statements (table, then indexes) that made `table` in the SQLite file `file`: what a raw baseline re-creates. */
export function sqliteTableDdl(file: string, table: string): RawTable {
  const db = new Database(file, { readonly: true });
  try {
    const rows = db
      .prepare("SELECT sql FROM sqlite_master WHERE tbl_name = ? AND sql IS NOT NULL ORDER BY type = 'index', name")
      .all(table) as { sql: string }[];
    if (rows.length === 0) throw new Error(`${file} has no table ${table}`);
    return { ddl: rows.map((r) => r.sql), name: table };
  } finally {
    db.close();
  }
}

/**
 * The raw SQLite baseline: the fastest method measured here (one `INSERT ... SELECT json_extract(..)
 * FROM json_each(?)` per `group` JSON texts, one transaction each, WAL, synchronous=FULL), on the same
 * five data columns plus EdgeLake's four system columns, into `table` (by default one without EdgeLake's two
 * indexes). `texts` are JSON array texts, or what `load` turns into one inside the timed loop (a file's path:
 * the raw method then reads what the node reads). Returns rows/s.
 */
export function rawSqliteRowsPerSecond(
  texts: readonly string[],
  rowsPerText: number,
  group = 5,
  table: RawTable = BARE_TABLE,
  load: (text: string) => string = (t) => t,
): number {
  const dir = mkdtempSync(join(tmpdir(), 'elrt-raw-'));
  const db = new Database(join(dir, 'raw.db'));
  db.exec('PRAGMA journal_mode=WAL');
  db.exec('PRAGMA synchronous=FULL');
  for (const sql of table.ddl) db.exec(sql);
  const st = db.prepare(
    `INSERT INTO ${table.name}(insert_timestamp, tsd_name, tsd_id, timestamp, device, value, count, ok) SELECT ?, '0', 0, json_extract(value,'$.timestamp'), json_extract(value,'$.device'), json_extract(value,'$.value'), json_extract(value,'$.count'), json_extract(value,'$.ok') FROM json_each(?)`,
  );
  const tx = db.transaction((text: string) => st.run(new Date().toISOString(), text));
  const t0 = performance.now();
  for (let i = 0; i < texts.length; i += group)
    tx(
      `[${texts
        .slice(i, i + group)
        .map((t) => load(t).trim().slice(1, -1))
        .join(',')}]`,
    );
  const secs = (performance.now() - t0) / 1000;
  db.close();
  rmSync(dir, { recursive: true, force: true });
  return (texts.length * rowsPerText) / secs;
}

export interface RawServer {
  port: number;
  /** Its SQLite file (a reader may open it: WAL). */
  file: string;
  pid: number;
  stop(): Promise<void>;
}

/**
 * CPU seconds (user + system, all threads) a child process has used so far, from /proc/<pid>/stat (Linux): what a
 * side of an ingest bench spent, which the machine's other load changes far less than the rate.
 */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100; // utime + stime in clock ticks (USER_HZ = 100)
}

/** Starts bench/lib/raw-sqlite-server.ts (raw libsql behind node:http) in its own process on a fresh file. */
export async function startRawSqliteServer(table: string, ddl: readonly string[]): Promise<RawServer> {
  const dir = mkdtempSync(join(tmpdir(), 'elrt-raw-'));
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'bench/lib/raw-sqlite-server.ts'), join(dir, 'raw.db'), table, JSON.stringify(ddl)],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('raw SQLite server did not start within 20 s')), 20_000);
    proc.once('exit', (code) => reject(new Error(`raw SQLite server exited (${code})`)));
    createInterface({ input: proc.stdout! }).once('line', (l) => {
      clearTimeout(t);
      resolve(Number(l));
    });
  });
  return {
    port,
    file: join(dir, 'raw.db'),
    pid: proc.pid!,
    stop: () =>
      new Promise((r) => {
        proc.once('exit', () => {
          rmSync(dir, { recursive: true, force: true });
          r();
        });
        proc.kill('SIGTERM');
      }),
  };
}
