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
import { http } from './test-node.js';

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

/** A command through EdgeLake's REST API (GET, or POST for what EdgeLake takes only by POST). */
export async function elCmd(
  el: EdgeLake,
  command: string,
  method: 'GET' | 'POST' = 'GET',
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  return http(el.rest, method, { 'User-Agent': 'AnyLog/1.23', command, ...headers });
}
