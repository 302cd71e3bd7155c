// A real EdgeLake node for interop tests, started by the steering repo's launcher (run-edgelake.sh): TCP and REST
// on loopback, SQLite, a local ledger, optionally an operator (cluster cl1, table policies published locally).
// Runs when EDGELAKE_SRC names a checkout of github.com/EdgeLake/EdgeLake and the launcher is found
// (EDGELAKE_LAUNCHER, else ../shared/tools/run-edgelake.sh beside the repository); `edgeLakeSkip` says why not.
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './child-node.js';
import { connect } from 'node:net';

const SRC = process.env['EDGELAKE_SRC'];
const LAUNCHER =
  process.env['EDGELAKE_LAUNCHER'] ?? fileURLToPath(new URL('../../shared/tools/run-edgelake.sh', import.meta.url));

/** Why EdgeLake tests skip, or false when they can run. */
export const edgeLakeSkip: string | false = !SRC
  ? 'EDGELAKE_SRC is not set (a checkout of EdgeLake/EdgeLake is needed to run a real EdgeLake node)'
  : !existsSync(LAUNCHER)
    ? `the EdgeLake launcher ${LAUNCHER} is not here (set EDGELAKE_LAUNCHER)`
    : false;

export interface EdgeLake {
  tcp: string;
  rest: number;
  name: string;
  /** The node's root (its watch dir is <dir>/EdgeLake/data/watch). */
  dir: string;
}

/** Starts EdgeLake with the launcher (it installs Debian's python3 packages unless they import already). */
export async function startEdgeLake(t: TestContext, operator = false, name = 'el-node'): Promise<EdgeLake> {
  const dir = mkdtempSync(join(tmpdir(), 'elrt-edgelake-'));
  // The launcher takes fixed ports: ask the OS for free ones.
  const tcp = await freePort();
  const rest = await freePort();
  const haveDeps =
    spawnSync('/usr/bin/python3', ['-c', 'import dns, netifaces, psutil, requests, pytz, dateutil']).status === 0;
  t.after(() => {
    const pidFile = join(dir, 'edgelake.pid');
    if (existsSync(pidFile)) {
      const pid = Number(readFileSync(pidFile, 'utf8'));
      try {
        process.kill(pid, 'SIGKILL');
      } catch (err) {
        if ((err as { code?: string }).code !== 'ESRCH') throw err;
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });
  const r = spawnSync('bash', [LAUNCHER, String(tcp), String(rest), dir, String(operator)], {
    env: { ...process.env, EDGELAKE_SRC: SRC!, EL_NAME: name, ...(haveDeps ? { EL_SKIP_APT: '1' } : {}) },
    encoding: 'utf8',
    timeout: 300_000,
  });
  assert.equal(
    r.status,
    0,
    `EdgeLake did not start:\n${r.stdout}\n${r.stderr}\n${existsSync(join(dir, 'stdout.log')) ? readFileSync(join(dir, 'stdout.log'), 'utf8').slice(-2000) : ''}`,
  );
  return { tcp: `127.0.0.1:${tcp}`, rest, name, dir };
}

/**
 * A command through EdgeLake's REST API (GET, or POST for what EdgeLake takes only by POST), read from a raw
 * socket: EdgeLake's chunked replies do not always have valid chunk sizes (a network query's body is written
 * as it comes), which Node's HTTP parser refuses. The body is de-chunked where the sizes are valid, else kept.
 */
export function elCmd(
  el: EdgeLake,
  command: string,
  method: 'GET' | 'POST' = 'GET',
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  const all: Record<string, string> = { 'User-Agent': 'AnyLog/1.23', command, ...headers, Connection: 'close' };
  const head =
    `${method} / HTTP/1.1\r\nHost: 127.0.0.1:${el.rest}\r\nContent-Length: 0\r\n` +
    Object.entries(all)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('') +
    '\r\n';
  return new Promise((resolve, reject) => {
    const sock = connect(el.rest, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => sock.destroy(new Error(`EdgeLake REST: no answer to '${command}' in 60 s`)), 60_000);
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    sock.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('utf8');
      const at = text.indexOf('\r\n\r\n');
      const status = Number(/^HTTP\/1\.[01] (\d+)/.exec(text)?.[1] ?? 0);
      const rawBody = at < 0 ? '' : text.slice(at + 4);
      const chunked = /\r\ntransfer-encoding:\s*chunked/i.test(text.slice(0, at));
      resolve({ status, body: chunked ? dechunk(rawBody) : rawBody });
    });
    sock.write(head);
  });
}

/** The body of a chunked reply, or the text as it came when its chunk sizes are not valid. */
function dechunk(text: string): string {
  const buf = Buffer.from(text, 'utf8');
  const out: Buffer[] = [];
  let i = 0;
  for (let guard = 0; guard < 100_000 && i < buf.length; guard++) {
    const eol = buf.indexOf('\r\n', i);
    if (eol < 0) return text;
    const size = Number.parseInt(buf.subarray(i, eol).toString('latin1').trim(), 16);
    if (!Number.isFinite(size)) return text;
    if (size === 0) return Buffer.concat(out).toString('utf8');
    out.push(buf.subarray(eol + 2, eol + 2 + size));
    i = eol + 2 + size + 2;
  }
  return Buffer.concat(out).toString('utf8');
}
